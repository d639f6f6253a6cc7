"""Size caps hold while reading: an endless page or reply is cut off, with bounded traffic.

A tiny server streams for ever (or up to a hard limit far above the caps) and counts what it
managed to send; the client must raise ``BadReplyError`` having taken in little more than its
cap, and hold little more than that in memory.
"""

from __future__ import annotations

import asyncio
import json
import time
import tracemalloc
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Callable, Union

import pytest

import chatgpt4o
from chatgpt4o import BadReplyError
from chatgpt4o._constants import MAX_PAGE_BYTES, MAX_REPLY_BYTES, MAX_SSE_LINE_BYTES
from tests.reliability._servers import (
    CHUNK,
    Exchange,
    TinySite,
    chat_page,
    endless,
)

# What the kernel may hold between the two ends of a loopback connection (the client's
# autotuned receive buffer, the server's small send buffer) on top of what the client read.
SLACK = 16 * 1024 * 1024
TIME_LIMIT = 10.0
AJAX = "/wp-admin/admin-ajax.php"
HTML = ("content-type", "text/html; charset=UTF-8")
JSON = ("content-type", "application/json; charset=UTF-8")
SSE = ("content-type", "text/event-stream;charset=UTF-8")

EVENT = (
    "data: "
    + json.dumps(
        {
            "id": "chatcmpl-1",
            "object": "chat.completion.chunk",
            "choices": [{"index": 0, "delta": {"content": "more "}, "finish_reason": None}],
        }
    )
    + "\n\n"
).encode()


def endless_page(exchange: Exchange) -> None:
    exchange.chunked(200, endless(b"<p>" + b"x" * (CHUNK - 3)), [HTML])


def page(exchange: Exchange) -> None:
    exchange.reply(200, chat_page(), [HTML])


def endless_json(exchange: Exchange) -> None:
    head = b'{"status":"success","msg":"","data":"'
    exchange.chunked(200, _after(head, endless(b"a" * CHUNK)), [JSON])


def endless_events(exchange: Exchange) -> None:
    exchange.chunked(200, endless(EVENT * (CHUNK // len(EVENT))), [SSE])


def endless_line(exchange: Exchange) -> None:
    exchange.chunked(200, _after(b'data: {"choices":"', endless(b"b" * CHUNK)), [SSE])


def _after(head: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    yield head
    yield from rest


@dataclass(frozen=True)
class Endless:
    """An endless body somewhere; ``cap`` is the limit the client must stop at."""

    id: str
    routes: dict[str, Callable[[Exchange], None]]
    cap: int
    streamed: bool = False


CASES = [
    Endless("page", {"/": endless_page}, MAX_PAGE_BYTES),
    Endless("JSON reply", {"/": page, AJAX: endless_json}, MAX_REPLY_BYTES),
    Endless("SSE events, joined", {"/": page, AJAX: endless_events}, MAX_REPLY_BYTES),
    Endless("SSE events, streamed", {"/": page, AJAX: endless_events}, MAX_REPLY_BYTES, True),
    Endless("one SSE line", {"/": page, AJAX: endless_line}, MAX_SSE_LINE_BYTES, True),
]


def call_sync(url: str, streamed: bool, pieces: list[int]) -> None:
    """Make the call, counting in ``pieces[0]`` the pieces that arrive."""
    with chatgpt4o.Client(url, timeout=5, max_retries=0, verify=False) as client:
        if not streamed:
            client.ask("hello")
            return
        with client.stream(None, "hello") as stream:
            for _ in stream:
                pieces[0] += 1


async def call_async(url: str, streamed: bool, pieces: list[int]) -> None:
    async with chatgpt4o.AsyncClient(url, timeout=5, max_retries=0, verify=False) as client:
        if not streamed:
            await client.ask("hello")
            return
        async with client.stream(None, "hello") as stream:
            async for _ in stream:
                pieces[0] += 1


@pytest.mark.parametrize("kind", ["sync", "async"])
@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_an_endless_body_is_cut_off_at_its_cap(case: Endless, kind: str) -> None:
    pieces: list[int] = [0]
    outcome: Union[BaseException, None] = None
    with TinySite(case.routes) as server:
        tracemalloc.start()
        started = time.perf_counter()
        try:
            if kind == "sync":
                call_sync(server.url, case.streamed, pieces)
            else:
                asyncio.run(call_async(server.url, case.streamed, pieces))
        except Exception as exc:
            outcome = exc
        seconds = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    sent = server.bytes_sent

    assert isinstance(outcome, BadReplyError), repr(outcome)
    assert "larger than" in str(outcome) or "longer than" in str(outcome), str(outcome)
    assert seconds < TIME_LIMIT
    page_bytes = len(chat_page()) if AJAX in case.routes else 0
    assert case.cap <= sent - page_bytes <= case.cap + SLACK, sent
    assert peak < 3 * case.cap, peak  # the body is never held much beyond the cap
    if case.streamed and case.cap == MAX_REPLY_BYTES:
        assert pieces[0] > 1000  # the pieces did flow until the cap stopped them
