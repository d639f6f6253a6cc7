"""Throughput: 1,000 async calls, 50 at a time, on one AsyncClient vs raw httpx.

Against the stand-in site (``python -m chatgpt4o.testing``, profile 1.9.18, JSON replies) in a
child process, which checks every nonce as WordPress does. Fifty worker tasks share the 1,000
calls; the raw side posts the same form with the same headers from one httpx.AsyncClient with
httpx's default pool, as the SDK's own, and reads ``data`` from the JSON. Both are warmed (tokens
cached, connections open) before the timed rounds, which alternate SDK, raw, SDK, raw, ...
Goal: SDK throughput >= 0.9x raw.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, Awaitable, Callable, Dict, List

import httpx
from _common import Result, Row, fmt_rate, fmt_ratio, main, median, paired_ratio, spread
from _server import spawn_stand_in

import chatgpt4o
from chatgpt4o._constants import DEFAULT_HEADERS
from chatgpt4o._page import extract_page

CALLS = 1000
CONCURRENCY = 50
ROUNDS = 6  # a round is 1,000 calls per side: a few seconds each
WARMUP_CALLS = 200
MESSAGE = "hi"


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


async def measure(url: str, rounds: int) -> Dict[str, Any]:
    headers = {**DEFAULT_HEADERS, "Origin": url, "Referer": url + "/"}
    # httpx's default pool on both sides (the SDK makes a default httpx.AsyncClient).
    client = chatgpt4o.AsyncClient(url)
    http = httpx.AsyncClient(headers=headers, follow_redirects=True)
    async with client, http:
        page = await http.get(url + "/")
        tokens = extract_page(page.text, str(page.url), link_header=page.headers.get("link")).chat()
        form = {
            "_wpnonce": tokens.nonce,
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

        sides = {"sdk": sdk, "raw": raw}
        for call in sides.values():  # warm-up: tokens, connections
            await _burst(call, WARMUP_CALLS)
        rates: Dict[str, List[float]] = {name: [] for name in sides}
        for _ in range(rounds):
            for name, call in sides.items():
                rates[name].append(await _burst(call))
    return {
        "sdk": median(rates["sdk"]),
        "raw": median(rates["raw"]),
        "ratio": paired_ratio(rates["sdk"], rates["raw"]),
        "spread": spread([a / b for a, b in zip(rates["sdk"], rates["raw"])]),
    }


def run() -> Result:
    with spawn_stand_in() as site:
        rates = asyncio.run(measure(site.url, ROUNDS))
    ratio = rates["ratio"]
    return Result(
        "throughput",
        "4. Throughput (async, concurrency 50)",
        [
            Row(
                f"{CALLS} calls, {CONCURRENCY} at a time, one AsyncClient vs one httpx.AsyncClient",
                fmt_rate(rates["sdk"]),
                fmt_rate(rates["raw"]),
                fmt_ratio(ratio),
                "≥ 0.9×",
                ratio >= 0.9,
            )
        ],
        [
            "server: the stand-in, `python -m chatgpt4o.testing --profile 1.9.18`, in a child "
            "process (threading http.server, real nonce checks); the client runs alone in this "
            "process",
            f"{ROUNDS} interleaved rounds after a warm-up of {WARMUP_CALLS} calls per side; rates "
            f"are medians, the ratio the median of the per-round ratios (middle half: "
            f"{rates['spread']})",
        ],
    )


if __name__ == "__main__":
    main(run)
