"""Streaming: how long after the server sends the first SSE chunk the caller holds the first piece.

The server (_server.py on an event loop in a thread of this process, so both ends read the same
``time.perf_counter()``) sends the reply head at once, the first content chunk 5 ms later
(recording the clock right after handing it to the kernel), and the rest 5 ms after that. The
caller notes the clock when ``Client.stream`` / ``AsyncClient.stream`` yields the first piece.
For scale, the same delay for requests' ``iter_content`` and httpx's ``aiter_raw`` on the raw
bytes (what the transport alone costs). Tokens are cached; calls alternate SDK, raw, ...
Goal: < 5 ms.
"""

from __future__ import annotations

import asyncio
import time
from typing import Dict, List

import httpx
import requests
from _common import Result, Row, fmt_time, main, median
from _server import AJAX_PATH, ServerThread
from _sitepage import NONCE

import chatgpt4o

ROUNDS = 40
FORM = {
    "_wpnonce": NONCE,
    "post_id": "4",
    "action": "wpaicg_chat_shortcode_message",
    "message": "hi",
}


def _delay(server: ServerThread, received: float) -> float:
    return received - server.app.first_sent[-1]


def measure_sync(server: ServerThread) -> Dict[str, List[float]]:
    url = server.url
    delays: Dict[str, List[float]] = {"sdk": [], "raw": []}
    with chatgpt4o.Client(url) as client, requests.Session() as session:

        def sdk() -> float:
            with client.stream(None, "hi") as stream:
                first = next(stream)
                received = time.perf_counter()
                assert first == "Hello", first
                assert "".join(stream) == " there"
            return _delay(server, received)

        def raw() -> float:
            with session.post(url + AJAX_PATH, data=FORM, stream=True) as response:
                chunks = response.iter_content(chunk_size=None)
                next(chunks)
                received = time.perf_counter()
                for _ in chunks:
                    pass
            return _delay(server, received)

        sdk(), raw()  # warm-up: tokens, connections
        for _ in range(ROUNDS):
            delays["sdk"].append(sdk())
            delays["raw"].append(raw())
    return delays


async def measure_async(server: ServerThread) -> Dict[str, List[float]]:
    url = server.url
    delays: Dict[str, List[float]] = {"sdk": [], "raw": []}
    async with chatgpt4o.AsyncClient(url) as client, httpx.AsyncClient() as http:

        async def sdk() -> float:
            async with client.stream(None, "hi") as stream:
                first = await stream.__anext__()
                received = time.perf_counter()
                assert first == "Hello", first
                assert "".join([p async for p in stream]) == " there"
            return _delay(server, received)

        async def raw() -> float:
            async with http.stream("POST", url + AJAX_PATH, data=FORM) as response:
                chunks = response.aiter_raw()
                await chunks.__anext__()
                received = time.perf_counter()
                async for _ in chunks:
                    pass
            return _delay(server, received)

        await sdk()
        await raw()
        for _ in range(ROUNDS):
            delays["sdk"].append(await sdk())
            delays["raw"].append(await raw())
    return delays


def run() -> Result:
    with ServerThread(sse=True, first_delay=0.005, rest_delay=0.005) as server:
        sync = measure_sync(server)
        async_ = asyncio.run(measure_async(server))
    rows = []
    shortest = min(min(d) for side in (sync, async_) for d in side.values())
    for label, delays, raw_label in (
        ("Client.stream", sync, "requests iter_content"),
        ("AsyncClient.stream", async_, "httpx aiter_raw"),
    ):
        sdk, raw = median(delays["sdk"]), median(delays["raw"])
        rows.append(
            Row(
                f"{label}: first chunk sent -> first piece received",
                f"{fmt_time(sdk)} (max {fmt_time(max(delays['sdk']))})",
                f"{raw_label}: {fmt_time(raw)}",
                f"+{fmt_time(sdk - raw)}",
                "< 5 ms",
                sdk < 0.005,
            )
        )
    return Result(
        "stream",
        "5. Streaming: time to first piece",
        rows,
        [
            "server: _server.py on an event loop in a thread of this process (same "
            "perf_counter); head at once, first content chunk after 5 ms, the rest 5 ms later",
            f"medians of {ROUNDS} calls per side, alternating; the ratio column is the SDK's "
            f"extra delay over the raw transport; shortest delay seen {fmt_time(shortest)} "
            "(a negative one would mean the caller ran before the server noted the time)",
        ],
    )


if __name__ == "__main__":
    main(run)
