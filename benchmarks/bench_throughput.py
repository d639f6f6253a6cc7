"""Throughput: async calls, 50 at a time, on an AsyncClient vs raw httpx.

A burst is 200 calls that fifty worker tasks share; the raw side does the same requests with the
same headers from an httpx.AsyncClient with httpx's default pool, as the SDK's own: for the old
plugin one POST, its ``data`` read from the JSON; for the current one (AI Puffer 2.4.71) the
cache POST and the event-stream GET, read to ``event: done``.

Every pair of timed bursts (SDK then raw, or raw then SDK, alternating) gets a new client on
each side, warmed alike by one untimed burst, the SDK's with the tokens already cached. This
matters more than it looks: httpcore checks every idle connection of its pool (a system call
each) whenever it hands out or takes back one, so a pool that once grew larger stays slower for
as long as it keeps those connections. With one client per side for the whole run, an SDK warmed
from cold (its 49 other tasks released at once when the page arrived) kept about 17 connections
where the raw side kept 12, and a pool that grew in a later round kept the extra connections:
the ratio moved between 0.73 and 0.93 with the pools, not with the clients. A warm-up burst
from an empty pool opens 50 connections and leaves httpx's keep-alive maximum, 20, on both
sides; the fast-server rows count the connections each side opened, to show that no timed burst
opened any. A pool of 20 is also what a service at concurrency 50 holds against a real site,
where every call is in flight for a few hundred milliseconds.

Bursts are short and many (30-40 pairs) because this machine's speed drifts by 20 % within
seconds: a pair measured within half a second sees the same machine, and the median of many
pairs moves less between runs.

Rows: against the stand-in site (``python -m chatgpt4o.testing --profile 1.9.18``, in a child
process; it checks every nonce as WordPress does), and against the fast server of _server.py
(child process) on both protocols, where the site's own work is small and the ratio shows the
clients. The stand-in's 2.4.71 profile is left out: at about 280 calls/s its rounds would double
the run time, and its few hundred µs of work per request only pull the ratio towards 1.
Goal: SDK throughput >= 0.9x raw.
"""

from __future__ import annotations

import asyncio
import functools
import time
import uuid
from typing import Any, Awaitable, Callable, Dict, List, Optional

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
from _server import AIPKIT_PATH, spawn, spawn_stand_in, stats

import chatgpt4o
from chatgpt4o._constants import DEFAULT_HEADERS
from chatgpt4o._page import extract_page

CALLS = 200
CONCURRENCY = 50
WARMUP_CALLS = 100
MESSAGE = "hi"
STREAM_HEADERS = {"Accept": "text/event-stream", "Cache-Control": "no-cache"}
Call = Callable[[], Awaitable[str]]


async def _burst(call: Call, calls: int = CALLS) -> float:
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


async def measure(
    page_url: str, rounds: int, server_stats: Optional[Callable[[], Dict[str, int]]] = None
) -> Dict[str, Any]:
    """Rates and their paired ratio; ``server_stats`` (the fast server's counters) adds the
    connections each side opened."""
    origin = page_url.split("/", 3)[:3]
    headers = {**DEFAULT_HEADERS, "Origin": "/".join(origin), "Referer": page_url + "/"}
    session_id = str(uuid.uuid4())
    tokens_cache = chatgpt4o.TokenCache()
    async with chatgpt4o.AsyncClient(page_url, token_cache=tokens_cache) as client:
        await client.create(None, MESSAGE)  # every pair's SDK client starts with the tokens
    async with httpx.AsyncClient(headers=headers, follow_redirects=True) as http:
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

    def sides(client: chatgpt4o.AsyncClient, http: httpx.AsyncClient) -> Dict[str, Call]:
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

        return {"sdk": sdk, "raw": raw_aipkit if tokens.generation == "aipkit" else raw}

    opened = {"warm-up": {"sdk": 0, "raw": 0}, "timed": {"sdk": 0, "raw": 0}}

    async def burst(phase: str, name: str, call: Call, calls: int) -> float:
        before = server_stats()["connections"] if server_stats else 0
        rate = await _burst(call, calls)
        if server_stats:  # each reading of the counters opens a connection of its own
            opened[phase][name] += server_stats()["connections"] - before - 1
        return rate

    rates: Dict[str, List[float]] = {"sdk": [], "raw": []}
    for turn in range(rounds):
        # Fresh pools for every pair, both warmed alike: see the module's docstring.
        # httpx's default pool on both sides (the SDK makes a default httpx.AsyncClient).
        client = chatgpt4o.AsyncClient(page_url, token_cache=tokens_cache)
        http = httpx.AsyncClient(headers=headers, follow_redirects=True)
        async with client, http:
            calls = sides(client, http)
            for name, call in calls.items():
                await burst("warm-up", name, call, WARMUP_CALLS)
            # SDK first in one pair, raw first in the next: a burst runs a little slower
            # or faster for coming second (the server's state), whichever side.
            order = list(calls.items())
            for name, call in order if turn % 2 == 0 else reversed(order):
                rates[name].append(await burst("timed", name, call, CALLS))
    connections = "; ".join(
        f"{phase} SDK {counts['sdk']}, raw {counts['raw']}" for phase, counts in opened.items()
    )
    return {
        "connections": connections if server_stats else "",
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
            rates = asyncio.run(
                measure(server.url + path, rounds, functools.partial(stats, server.url))
            )
            measured.append((f"fast server, {label}", rates))
    rows = [
        Row(
            f"{where}: bursts of {CALLS} calls, {CONCURRENCY} at a time, an AsyncClient vs an "
            "httpx.AsyncClient (new pair of clients per pair of bursts)",
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
    connections = "; ".join(
        f"{where}: {rates['connections']}" for where, rates in measured if rates["connections"]
    )
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
            f"pairs of timed bursts ({counts}), each pair on new clients warmed by "
            f"{WARMUP_CALLS} calls per side; rates are medians, the ratio the median of the "
            f"per-pair ratios (middle half: {spreads})",
            f"connections opened: {connections} (httpcore checks each idle connection of a "
            "pool per request, so both sides' pools must match for a fair ratio)",
        ],
    )


if __name__ == "__main__":
    main(run)
