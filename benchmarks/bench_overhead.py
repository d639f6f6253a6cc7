"""Per-call overhead: Client.create vs requests, AsyncClient.create vs httpx, tokens cached.

Both plugin generations, against the same fast local server (_server.py, in its own process so
it does not share the GIL with the client); calls are sequential, so a sample is one call's
latency. The SDK is warmed first, so its page tokens are cached.

- Old protocol (AI Power ≤ 2.2): one POST of the chat form; the raw side posts the same form
  with the same headers and reads the reply text from its JSON.
- Current protocol (AI Puffer 2.4.71): the cache POST, then the event-stream GET read to
  ``event: done``; the raw side does the same two requests by hand (cache key from the JSON,
  the stream read with ``iter_content`` / ``aiter_bytes``, split into events, the ``delta``
  pieces joined).

Goal: SDK / raw <= 1.15, sync and async, on each protocol.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Dict, List, Tuple

import httpx
import requests
from _common import (
    RawEvents,
    Result,
    Row,
    ainterleave,
    fmt_ratio,
    fmt_time,
    interleave,
    main,
    median,
    paired_ratio,
    raw_aipkit_cache_form,
    raw_aipkit_stream_params,
    raw_chat_form,
    spread,
)
from _server import AIPKIT_PATH, AJAX_PATH, REPLY_TEXT, spawn
from _sitepage import AIPKIT_NONCE, NONCE

import chatgpt4o
from chatgpt4o._constants import DEFAULT_HEADERS

ROUNDS = 50
CALLS = 20  # short rounds: a pair of samples sees the same machine state
MESSAGE = "hi"
AIPKIT_BOT, AIPKIT_POST = "5", "6"  # the recorded 2.4.71 page's bot and post
STREAM_HEADERS = {"Accept": "text/event-stream", "Cache-Control": "no-cache"}


def raw_headers(url: str, page: str = "/") -> dict[str, str]:
    return {**DEFAULT_HEADERS, "Origin": url, "Referer": url + page}


Samples = Dict[str, List[float]]


def measure_sync(url: str) -> Tuple[Samples, Samples]:
    ajax = url + AJAX_PATH
    form, headers = raw_chat_form(NONCE, "4", MESSAGE), raw_headers(url)
    aipkit_headers = raw_headers(url, AIPKIT_PATH + "/")
    session_id = str(uuid.uuid4())
    with (
        chatgpt4o.Client(url) as client,
        chatgpt4o.Client(url + AIPKIT_PATH) as aipkit,
        requests.Session() as session,
    ):

        def sdk() -> None:
            assert client.create("gpt-4o-mini", MESSAGE) == REPLY_TEXT

        def raw() -> None:
            response = session.post(ajax, data=form, headers=headers, timeout=120)
            response.raise_for_status()
            assert response.json()["data"] == REPLY_TEXT

        def sdk_aipkit() -> None:
            assert aipkit.create("gpt-4o-mini", MESSAGE) == REPLY_TEXT

        def raw_aipkit() -> None:
            cache = session.post(
                ajax,
                data=raw_aipkit_cache_form(AIPKIT_NONCE, AIPKIT_BOT, MESSAGE),
                headers=aipkit_headers,
                timeout=120,
            )
            cache.raise_for_status()
            key = cache.json()["data"]["cache_key"]
            params = raw_aipkit_stream_params(
                AIPKIT_NONCE, AIPKIT_BOT, AIPKIT_POST, key, session_id
            )
            events, pieces = RawEvents(), []
            with session.get(
                ajax,
                params=params,
                headers={**aipkit_headers, **STREAM_HEADERS},
                stream=True,
                timeout=120,
            ) as response:
                response.raise_for_status()
                for chunk in response.iter_content(chunk_size=None):
                    pieces += events.feed(chunk)  # read to the end: the connection stays open
            assert events.done, "no event: done"
            assert "".join(pieces) == REPLY_TEXT

        old = interleave({"sdk": sdk, "raw": raw}, rounds=ROUNDS, number=CALLS, warmup=2)
        new = interleave(
            {"sdk": sdk_aipkit, "raw": raw_aipkit}, rounds=ROUNDS, number=CALLS, warmup=2
        )
        return old, new


async def measure_async(url: str) -> Tuple[Samples, Samples]:
    ajax = url + AJAX_PATH
    form, headers = raw_chat_form(NONCE, "4", MESSAGE), raw_headers(url)
    aipkit_headers = raw_headers(url, AIPKIT_PATH + "/")
    session_id = str(uuid.uuid4())
    async with (
        chatgpt4o.AsyncClient(url) as client,
        chatgpt4o.AsyncClient(url + AIPKIT_PATH) as aipkit,
        httpx.AsyncClient() as http,
    ):

        async def sdk() -> None:
            assert await client.create("gpt-4o-mini", MESSAGE) == REPLY_TEXT

        async def raw() -> None:
            response = await http.post(ajax, data=form, headers=headers, timeout=120)
            response.raise_for_status()
            assert response.json()["data"] == REPLY_TEXT

        async def sdk_aipkit() -> None:
            assert await aipkit.create("gpt-4o-mini", MESSAGE) == REPLY_TEXT

        async def raw_aipkit() -> None:
            cache = await http.post(
                ajax,
                data=raw_aipkit_cache_form(AIPKIT_NONCE, AIPKIT_BOT, MESSAGE),
                headers=aipkit_headers,
                timeout=120,
            )
            cache.raise_for_status()
            key = cache.json()["data"]["cache_key"]
            params = raw_aipkit_stream_params(
                AIPKIT_NONCE, AIPKIT_BOT, AIPKIT_POST, key, session_id
            )
            events, pieces = RawEvents(), []
            async with http.stream(
                "GET",
                ajax,
                params=params,
                headers={**aipkit_headers, **STREAM_HEADERS},
                timeout=120,
            ) as response:
                response.raise_for_status()
                async for chunk in response.aiter_bytes():
                    pieces += events.feed(chunk)  # read to the end: the connection stays open
            assert events.done, "no event: done"
            assert "".join(pieces) == REPLY_TEXT

        old = await ainterleave({"sdk": sdk, "raw": raw}, rounds=ROUNDS, number=CALLS, warmup=2)
        new = await ainterleave(
            {"sdk": sdk_aipkit, "raw": raw_aipkit}, rounds=ROUNDS, number=CALLS, warmup=2
        )
        return old, new


def run() -> Result:
    with spawn() as server:
        sync_old, sync_new = measure_sync(server.url)
        async_old, async_new = asyncio.run(measure_async(server.url))
    rows, spreads = [], []
    for what, samples, base in (
        ("old protocol: Client.create vs requests.Session.post", sync_old, "requests"),
        ("old protocol: AsyncClient.create vs httpx.AsyncClient.post", async_old, "httpx"),
        (
            "AIPKit 2.4.71: Client.create vs requests (cache POST + stream GET)",
            sync_new,
            "requests, AIPKit",
        ),
        (
            "AIPKit 2.4.71: AsyncClient.create vs httpx (cache POST + stream GET)",
            async_new,
            "httpx, AIPKit",
        ),
    ):
        sdk, raw = median(samples["sdk"]), median(samples["raw"])
        ratio = paired_ratio(samples["sdk"], samples["raw"])
        ratios = [a / b for a, b in zip(samples["sdk"], samples["raw"])]
        spreads.append(f"{base} {spread(ratios)}")
        rows.append(
            Row(
                what,
                f"{fmt_time(sdk)}/call",
                f"{fmt_time(raw)}/call",
                fmt_ratio(ratio),
                "≤ 1.15",
                ratio <= 1.15,
            )
        )
        rows.append(Row(f"↳ the SDK's own work ({base} side subtracted)", fmt_time(sdk - raw)))
    return Result(
        "overhead",
        "2. Per-call overhead (tokens cached)",
        rows,
        [
            "server: benchmarks/_server.py in a child process (asyncio, keep-alive, pre-encoded "
            "replies: the old plugin's success JSON; for AIPKit the cache JSON and the recorded "
            "2.4.71 event stream with its 4 KB preamble, 3 deltas and `event: done`) rather than "
            "the stand-in site, whose few hundred µs of work per request would be added to both "
            "sides and dilute the ratio",
            f"{ROUNDS} interleaved rounds of {CALLS} sequential calls per side; times are medians, "
            "the ratio is the median of the per-round ratios (middle half: "
            + ", ".join(spreads)
            + "); raw sides send the same fields and headers and parse the replies",
        ],
    )


if __name__ == "__main__":
    main(run)
