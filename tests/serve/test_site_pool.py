"""The server's connections to the site: every call in flight gets one, none waits in a queue."""

from __future__ import annotations

import asyncio
import socket
import threading

import httpx
import pytest

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")
pytest.importorskip("openai")

import openai

from chatgpt4o.serve import create_app
from chatgpt4o.testing import LocalSite

from ._server import ServerThread

CALLS = 110  # more than httpx's default pool of 100 connections
_GUARD = 30.0  # how long the site waits for the calls to gather, never a performance limit


async def _ask_all(url: str) -> list[str]:
    async with openai.AsyncOpenAI(base_url=url, api_key="-", max_retries=0) as client:
        completions = await asyncio.gather(
            *(
                client.chat.completions.create(
                    model="gpt-4o-mini", messages=[{"role": "user", "content": f"call {n}"}]
                )
                for n in range(CALLS)
            )
        )
    return [completion.choices[0].message.content or "" for completion in completions]


@pytest.mark.parametrize("profile", ["1.9.18", "2.4.71"])
def test_every_call_in_flight_reaches_the_site_at_the_same_time(profile: str) -> None:
    # The site answers no call until all of them are in: a call that waited for a pooled
    # connection held by another would never arrive, and the barrier would break.
    everyone = threading.Barrier(CALLS, timeout=_GUARD)

    def answer(message: str) -> str:
        everyone.wait()
        return f"Echo: {message}"

    with LocalSite(profile, answer=answer) as site:  # noqa: SIM117 - the server needs site.url
        with ServerThread(create_app(site.url, api_key=None, max_retries=0)) as server:
            replies = asyncio.run(_ask_all(server.url + "/v1"))
    assert sorted(replies) == sorted(f"Echo: call {n}" for n in range(CALLS))
    assert not everyone.broken


def test_the_pools_count_every_request_until_its_body_is_closed() -> None:
    # A count left behind would steer later requests away from a pool for good.
    from chatgpt4o.serve._pool import SHARD_CONNECTIONS, ShardedTransport

    async def scenario(site_url: str, dead_url: str) -> list[tuple[int, ...]]:
        pools = ShardedTransport(4 * SHARD_CONNECTIONS, trust_env=False)
        seen: list[tuple[int, ...]] = []
        async with httpx.AsyncClient(transport=pools) as client:
            streams = [client.stream("GET", site_url) for _ in range(6)]
            for stream in streams:
                await stream.__aenter__()
            seen.append(pools.open_requests)  # six bodies open, spread over the pools
            for stream in streams:
                await stream.__aexit__(None, None, None)  # left unread
            await asyncio.gather(*(client.get(site_url) for _ in range(10)))
            with pytest.raises(httpx.ConnectError):
                await client.get(dead_url)
            seen.append(pools.open_requests)
        return seen

    with LocalSite("1.9.18") as site:
        dead = socket.socket()
        dead.bind(("127.0.0.1", 0))  # bound, never listening: connections are refused
        try:
            during, after = asyncio.run(
                scenario(site.url, f"http://127.0.0.1:{dead.getsockname()[1]}/")
            )
        finally:
            dead.close()
    assert sorted(during, reverse=True) == [2, 2, 1, 1]
    assert after == (0, 0, 0, 0)
