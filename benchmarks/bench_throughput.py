"""Throughput: async calls, 50 at a time, on one AsyncClient vs raw httpx.

A burst is 200 calls that fifty worker tasks share; the raw side does the same requests with the
same headers from one httpx.AsyncClient with httpx's default pool, as the SDK's own: for the old
plugin one POST, its ``data`` read from the JSON; for the current one (AI Puffer 2.4.71) the
cache POST and the event-stream GET, read to ``event: done``. Both are warmed (tokens cached,
connections open) before the timed rounds, which alternate SDK, raw, raw, SDK, ... Bursts are
short and many (30-40 pairs) because this machine's speed drifts by 20 % within seconds: a pair
measured within half a second sees the same machine, and the median of many pairs moves less
between runs.

Rows: against the stand-in site (``python -m chatgpt4o.testing --profile 1.9.18``, in a child
process; it checks every nonce as WordPress does), and against the fast server of _server.py
(child process) on both protocols, where the site's own work is small and the ratio shows the
clients. The stand-in's 2.4.71 profile is left out: at about 280 calls/s its rounds would double
the run time, and its few hundred µs of work per request only pull the ratio towards 1.
Goal: SDK throughput >= 0.9x raw.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any, Awaitable, Callable, Dict, List

import httpx
from _common import (
    RawEvents,
    Result,
    Row,
    fmt_rate,
    fmt_ratio,
    main,
    median,
    paired_ratio,
    raw_aipkit_cache_form,
    raw_aipkit_stream_params,
    spread,
)
from _server import AIPKIT_PATH, spawn, spawn_stand_in

import chatgpt4o
from chatgpt4o._constants import DEFAULT_HEADERS
from chatgpt4o._page import extract_page

CALLS = 200
CONCURRENCY = 50
WARMUP_CALLS = 200
MESSAGE = "hi"
STREAM_HEADERS = {"Accept": "text/event-stream", "Cache-Control": "no-cache"}


async def _burst(call: Callable[[], Awaitable[str]], calls: int = CALLS) -> float:
    remaining = calls

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            reply = await call()
            assert reply.endswith(MESSAGE), reply

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return calls / (time.perf_counter() - start)


async def measure(page_url: str, rounds: int) -> Dict[str, Any]:
    origin = page_url.split("/", 3)[:3]
    headers = {**DEFAULT_HEADERS, "Origin": "/".join(origin), "Referer": page_url + "/"}
    session_id = str(uuid.uuid4())
    # httpx's default pool on both sides (the SDK makes a default httpx.AsyncClient).
    client = chatgpt4o.AsyncClient(page_url)
    http = httpx.AsyncClient(headers=headers, follow_redirects=True)
    async with client, http:
        page = await http.get(page_url)
        tokens = extract_page(page.text, str(page.url), link_header=page.headers.get("link")).chat()
        nonce = tokens.nonce
        form = {
            "_wpnonce": nonce,
            "post_id": tokens.post_id,
            "url": tokens.page_url,
            "action": "wpaicg_chat_shortcode_message",
            "message": MESSAGE,
            "bot_id": tokens.bot_id,
            "chatbot_identity": tokens.chat_type,
            "wpaicg_chat_client_id": "AbCdEf1234",
            "wpaicg_chat_history": "[]",
        }

        async def sdk() -> str:
            return await client.create(None, MESSAGE)

        async def raw() -> str:
            response = await http.post(tokens.ajax_url, data=form)
            response.raise_for_status()
            return str(response.json()["data"])

        async def raw_aipkit() -> str:
            cache_form = raw_aipkit_cache_form(nonce, tokens.bot_id, MESSAGE)
            cache = await http.post(tokens.ajax_url, data=cache_form)
            cache.raise_for_status()
            key = cache.json()["data"]["cache_key"]
            params = raw_aipkit_stream_params(nonce, tokens.bot_id, tokens.post_id, key, session_id)
            events, pieces = RawEvents(), []
            async with http.stream(
                "GET", tokens.ajax_url, params=params, headers=STREAM_HEADERS
            ) as response:
                response.raise_for_status()
                async for chunk in response.aiter_bytes():
                    pieces += events.feed(chunk)
            assert events.done, "no event: done"
            return "".join(pieces)

        sides = {"sdk": sdk, "raw": raw_aipkit if tokens.generation == "aipkit" else raw}
        for call in sides.values():  # warm-up: tokens, connections
            await _burst(call, WARMUP_CALLS)
        rates: Dict[str, List[float]] = {name: [] for name in sides}
        for turn in range(rounds):
            # SDK first in one round, raw first in the next: a burst runs a little slower
            # or faster for coming second (the server's and the pool's state), whichever side.
            order = list(sides.items())
            for name, call in order if turn % 2 == 0 else reversed(order):
                rates[name].append(await _burst(call))
    return {
        "sdk": median(rates["sdk"]),
        "raw": median(rates["raw"]),
        "ratio": paired_ratio(rates["sdk"], rates["raw"]),
        "spread": spread([a / b for a, b in zip(rates["sdk"], rates["raw"])]),
        "rounds": rounds,
    }


def run() -> Result:
    measured = []
    with spawn_stand_in("1.9.18") as site:
        measured.append(("stand-in 1.9.18, old protocol", asyncio.run(measure(site.url, 30))))
    with spawn() as server:
        for path, label, rounds in (("", "old protocol", 40), (AIPKIT_PATH, "AIPKit 2.4.71", 30)):
            rates = asyncio.run(measure(server.url + path, rounds))
            measured.append((f"fast server, {label}", rates))
    rows = [
        Row(
            f"{where}: bursts of {CALLS} calls, {CONCURRENCY} at a time, one AsyncClient vs one "
            "httpx.AsyncClient",
            fmt_rate(rates["sdk"]),
            fmt_rate(rates["raw"]),
            fmt_ratio(rates["ratio"]),
            "≥ 0.9×",
            rates["ratio"] >= 0.9,
        )
        for where, rates in measured
    ]
    spreads = "; ".join(f"{where} {rates['spread']}" for where, rates in measured)
    counts = ", ".join(f"{where} {rates['rounds']}" for where, rates in measured)
    return Result(
        "throughput",
        "4. Throughput (async, concurrency 50)",
        rows,
        [
            "stand-in row: `python -m chatgpt4o.testing --profile 1.9.18` in a child process "
            "(threading http.server, real nonce checks, a few hundred µs of server work per "
            "request); fast-server rows: benchmarks/_server.py in a child process (for AIPKit "
            "each call is a cache POST and an event-stream GET on both sides); the client runs "
            "alone in this process",
            f"interleaved rounds ({counts}) after a warm-up of {WARMUP_CALLS} calls per side; "
            f"rates are medians, the ratio the median of the per-round ratios (middle half: "
            f"{spreads})",
        ],
    )


if __name__ == "__main__":
    main(run)
