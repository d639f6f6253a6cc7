"""Per-call overhead: Client.create vs requests, AsyncClient.create vs httpx, tokens cached.

Both sides post the same form, with the same headers, to the same fast local server (_server.py,
in its own process so it does not share the GIL with the client) and read the reply text from
its JSON; calls are sequential, so a sample is one call's latency. The SDK is warmed first, so
its page tokens are cached and every timed call is one POST.
Goal: SDK / raw <= 1.15, sync and async.
"""

from __future__ import annotations

import asyncio
from typing import Dict, List

import httpx
import requests
from _common import (
    Result,
    Row,
    ainterleave,
    fmt_ratio,
    fmt_time,
    interleave,
    main,
    median,
    paired_ratio,
    raw_chat_form,
    spread,
)
from _server import AJAX_PATH, REPLY_TEXT, spawn
from _sitepage import NONCE

import chatgpt4o
from chatgpt4o._constants import DEFAULT_HEADERS

ROUNDS = 60
CALLS = 20  # short rounds: a pair of samples sees the same machine state
MESSAGE = "hi"


def raw_headers(url: str) -> dict[str, str]:
    return {**DEFAULT_HEADERS, "Origin": url, "Referer": url + "/"}


Samples = Dict[str, List[float]]


def measure_sync(url: str) -> Samples:
    ajax = url + AJAX_PATH
    form, headers = raw_chat_form(NONCE, "4", MESSAGE), raw_headers(url)
    with chatgpt4o.Client(url) as client, requests.Session() as session:

        def sdk() -> None:
            assert client.create("gpt-4o-mini", MESSAGE) == REPLY_TEXT

        def raw() -> None:
            response = session.post(ajax, data=form, headers=headers, timeout=120)
            response.raise_for_status()
            assert response.json()["data"] == REPLY_TEXT

        return interleave({"sdk": sdk, "raw": raw}, rounds=ROUNDS, number=CALLS, warmup=2)


async def measure_async(url: str) -> Samples:
    ajax = url + AJAX_PATH
    form, headers = raw_chat_form(NONCE, "4", MESSAGE), raw_headers(url)
    async with chatgpt4o.AsyncClient(url) as client, httpx.AsyncClient() as http:

        async def sdk() -> None:
            assert await client.create("gpt-4o-mini", MESSAGE) == REPLY_TEXT

        async def raw() -> None:
            response = await http.post(ajax, data=form, headers=headers, timeout=120)
            response.raise_for_status()
            assert response.json()["data"] == REPLY_TEXT

        return await ainterleave({"sdk": sdk, "raw": raw}, rounds=ROUNDS, number=CALLS, warmup=2)


def run() -> Result:
    with spawn() as server:
        sync = measure_sync(server.url)
        async_ = asyncio.run(measure_async(server.url))
    rows, spreads = [], []
    for what, samples, base in (
        ("Client.create vs requests.Session.post", sync, "requests"),
        ("AsyncClient.create vs httpx.AsyncClient.post", async_, "httpx"),
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
            "replies) rather than the stand-in site, whose few hundred µs of work per request "
            "would be added to both sides and dilute the ratio",
            f"{ROUNDS} interleaved rounds of {CALLS} sequential calls per side; times are medians, "
            "the ratio is the median of the per-round ratios (middle half: "
            + ", ".join(spreads)
            + "); raw sides send the same form and headers and parse the JSON",
        ],
    )


if __name__ == "__main__":
    main(run)
