"""Load: 200 concurrent streamed requests through one server, each reply its own, no leaks."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from pathlib import Path
from typing import Callable

import pytest

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")
pytest.importorskip("openai")

import openai

from chatgpt4o.serve import create_app
from chatgpt4o.testing import LocalSite

from ._server import ServerThread

CONCURRENT = 200
_GUARD = 30.0  # waits for the server to settle, never a performance limit
_FDS = Path(f"/proc/{os.getpid()}/fd")


def _sockets() -> int:
    count = 0
    for fd in _FDS.iterdir():
        with contextlib.suppress(OSError):  # closed while listing
            count += os.readlink(fd).startswith("socket:")
    return count


def _settle(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + _GUARD
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.01)


async def _ask_all(url: str) -> dict[str, str]:
    async def ask(client: openai.AsyncOpenAI, n: int) -> tuple[str, str]:
        message = f"request {n} of {CONCURRENT}"
        stream = await client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": message}], stream=True
        )
        pieces = [chunk.choices[0].delta.content or "" async for chunk in stream]
        return message, "".join(pieces)

    async with openai.AsyncOpenAI(base_url=url, api_key="-", max_retries=0) as client:
        replies = await asyncio.gather(*(ask(client, n) for n in range(CONCURRENT)))
    return dict(replies)


@pytest.mark.skipif(not _FDS.is_dir(), reason="counts open sockets through /proc")
def test_200_concurrent_streams_each_get_their_own_reply_and_leave_nothing_open() -> None:
    before = _sockets()
    with LocalSite("1.9.18", stream=True) as site:  # noqa: SIM117 - the server needs site.url
        with ServerThread(create_app(site.url, api_key=None, max_retries=0)) as server:
            replies = asyncio.run(_ask_all(server.url + "/v1"))
            assert len(replies) == CONCURRENT
            for message, reply in replies.items():
                assert reply == f"Echo: {message}"
            assert sorted(post.fields["message"] for post in site.posts) == sorted(replies)
            assert site.page_fetches == 1  # one pooled client, one page fetch
            assert site.errors == []
            _settle(lambda: server.open_connections() == 0, "client connections to close")
            _settle(lambda: server.other_tasks() == 0, "request tasks to end")
            assert server.state.open_streams == 0
    # The server's pool and the site are closed: every socket of the test is gone.
    _settle(lambda: _sockets() <= before, "sockets to close")
