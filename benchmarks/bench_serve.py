"""The OpenAI-compatible server: its throughput and added first-piece delay vs AsyncClient.

Throughput: bursts of 200 chat completions, 50 at a time, against the stand-in site
(``python -m chatgpt4o.testing``, profile 1.9.18, JSON replies) in a child process. The direct
side awaits ``AsyncClient.chat.completions.create`` itself; the served side posts the same chat
as OpenAI JSON to ``chatgpt4o serve``'s app, run by uvicorn on the same event loop in this
process, in front of its own AsyncClient. The load comes from 50 keep-alive connections of a
minimal HTTP/1.1 client (pre-encoded request, ``Content-Length`` read, JSON parsed), so that the
figure is the server's cost and not an HTTP client's; a second, report-only row loads it with
one ``httpx.AsyncClient`` instead. Both sides warm up first (tokens cached, connections open);
then 30 rounds, each side once per round, in an order that reverses every round. Bursts are
short and many for the reason bench_throughput gives: this machine's speed drifts within
seconds, and a pair measured back to back sees the same machine. Goal: served throughput >=
0.8x direct.

First piece: _server.py on an event loop in a thread of this process (same
``time.perf_counter()``) streams each reply: the first content chunk 5 ms after the head, the
rest 5 ms later. The direct side notes the clock when a streamed
``chat.completions.create`` yields the first chunk with content; the served side when the first
``data:`` event with content arrives from the server (``stream: true``). Goal: the server adds
< 5 ms to the time to first piece.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any, Awaitable, Callable, Dict, List, Optional

import httpx
import uvicorn
from _common import Result, Row, fmt_rate, fmt_ratio, fmt_time, main, median, paired_ratio, spread
from _server import ServerThread, spawn_stand_in

import chatgpt4o
from chatgpt4o.serve import create_app
from chatgpt4o.serve._cli import listen

CALLS = 200
CONCURRENCY = 50
ROUNDS = 30
WARMUP_CALLS = 200
STREAM_ROUNDS = 40
MESSAGE = "hi"
BODY = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": MESSAGE}]}


class Served:
    """``create_app()`` over ``client``, served by uvicorn on the running loop (127.0.0.1)."""

    def __init__(self, client: chatgpt4o.AsyncClient) -> None:
        self._sock = listen("127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"
        config = uvicorn.Config(
            create_app(client=client, api_key=None),
            log_level="warning",
            access_log=False,
            lifespan="on",
            # Idle connections must outlive the other sides' rounds: a keep-alive connection
            # closed as httpx reuses it would fail the request.
            timeout_keep_alive=300,
        )
        self.server = uvicorn.Server(config)
        self._task: Optional[asyncio.Task[None]] = None

    async def __aenter__(self) -> Served:
        self._task = asyncio.ensure_future(self.server.serve(sockets=[self._sock]))
        while not self.server.started:
            await asyncio.sleep(0.001)
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.server.should_exit = True
        if self._task is not None:
            await self._task
        self._sock.close()


async def _burst(call: Callable[[], Awaitable[str]], calls: int = CALLS) -> float:
    remaining = calls

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            reply = await call()
            assert reply == f"Echo: {MESSAGE}", reply

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return calls / (time.perf_counter() - start)


class RawLoad:
    """Posts BODY over ``CONCURRENCY`` keep-alive connections with almost no client work."""

    def __init__(self, url: str) -> None:
        host, port = url.rsplit("/", 1)[-1].rsplit(":", 1)
        self.host, self.port = host, int(port)
        payload = json.dumps(BODY).encode()
        self.request = (
            f"POST /v1/chat/completions HTTP/1.1\r\nHost: {host}:{port}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n"
        ).encode() + payload

    async def burst(self, calls: int = CALLS) -> float:
        remaining = calls

        async def worker() -> None:
            nonlocal remaining
            reader, writer = await asyncio.open_connection(self.host, self.port)
            try:
                while remaining > 0:
                    remaining -= 1
                    writer.write(self.request)
                    head = await reader.readuntil(b"\r\n\r\n")
                    at = head.lower().index(b"content-length:") + len(b"content-length:")
                    body = await reader.readexactly(int(head[at : head.index(b"\r\n", at)]))
                    reply = json.loads(body)["choices"][0]["message"]["content"]
                    assert reply == f"Echo: {MESSAGE}", reply
            finally:
                writer.close()
                await writer.wait_closed()

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        return calls / (time.perf_counter() - start)


async def measure_throughput(site_url: str, rounds: int) -> Dict[str, Any]:
    direct = chatgpt4o.AsyncClient(site_url, verify=False)
    behind = chatgpt4o.AsyncClient(site_url, verify=False)
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    async with direct, behind, Served(behind) as served, httpx.AsyncClient(limits=limits) as http:
        endpoint = served.url + "/v1/chat/completions"
        raw = RawLoad(served.url)

        async def sdk() -> str:
            completion = await direct.chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": MESSAGE}]
            )
            return completion.choices[0].message.content

        async def serve() -> str:
            response = await http.post(endpoint, json=BODY)
            response.raise_for_status()
            return str(response.json()["choices"][0]["message"]["content"])

        sides: Dict[str, Callable[[int], Awaitable[float]]] = {
            "direct": lambda calls: _burst(sdk, calls),
            "served": raw.burst,
            "httpx": lambda calls: _burst(serve, calls),
        }
        for burst in sides.values():
            await burst(WARMUP_CALLS)
        rates: Dict[str, List[float]] = {name: [] for name in sides}
        for turn in range(rounds):
            order = list(sides.items())
            for name, burst in order if turn % 2 == 0 else reversed(order):
                rates[name].append(await burst(CALLS))
    result: Dict[str, Any] = {name: median(values) for name, values in rates.items()}
    for name in ("served", "httpx"):
        result[f"{name}_ratio"] = paired_ratio(rates[name], rates["direct"])
        result[f"{name}_spread"] = spread([a / b for a, b in zip(rates[name], rates["direct"])])
    return result


async def measure_first_piece(site: ServerThread) -> Dict[str, List[float]]:
    delays: Dict[str, List[float]] = {"direct": [], "served": []}
    direct = chatgpt4o.AsyncClient(site.url, verify=False)
    behind = chatgpt4o.AsyncClient(site.url, verify=False)
    async with direct, behind, Served(behind) as served, httpx.AsyncClient() as http:
        endpoint = served.url + "/v1/chat/completions"

        async def sdk() -> float:
            stream = await direct.chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": MESSAGE}], stream=True
            )
            received = 0.0
            text = []
            async with stream:
                async for chunk in stream:
                    content = chunk.choices[0].delta.content
                    if content and not received:
                        received = time.perf_counter()
                    text.append(content or "")
            assert "".join(text) == "Hello there", text
            return received - site.app.first_sent[-1]

        async def serve() -> float:
            received = 0.0
            text = []
            async with http.stream("POST", endpoint, json={**BODY, "stream": True}) as response:
                async for line in response.aiter_lines():
                    if not line.startswith("data: {"):
                        continue
                    content = json.loads(line[6:])["choices"][0]["delta"].get("content")
                    if content and not received:
                        received = time.perf_counter()
                    text.append(content or "")
            assert "".join(text) == "Hello there", text
            return received - site.app.first_sent[-1]

        await sdk()
        await serve()
        for _ in range(STREAM_ROUNDS):
            delays["direct"].append(await sdk())
            delays["served"].append(await serve())
    return delays


def run() -> Result:
    with spawn_stand_in() as stand_in:
        rates = asyncio.run(measure_throughput(stand_in.url, ROUNDS))
    with ServerThread(sse=True, first_delay=0.005, rest_delay=0.005) as site:
        delays = asyncio.run(measure_first_piece(site))
    ratio = rates["served_ratio"]
    direct_first, served_first = median(delays["direct"]), median(delays["served"])
    added = served_first - direct_first
    return Result(
        "serve",
        "7. The OpenAI-compatible server (chatgpt4o serve)",
        [
            Row(
                f"bursts of {CALLS} chat completions, {CONCURRENCY} at a time: through the server "
                "(uvicorn → app → AsyncClient) vs AsyncClient directly",
                fmt_rate(rates["served"]),
                fmt_rate(rates["direct"]),
                fmt_ratio(ratio),
                "≥ 0.8×",
                ratio >= 0.8,
            ),
            Row(
                "the same, the load from one httpx.AsyncClient in this process (its cost "
                "counted on the served side)",
                fmt_rate(rates["httpx"]),
                fmt_rate(rates["direct"]),
                fmt_ratio(rates["httpx_ratio"]),
            ),
            Row(
                "time to first streamed piece: first chunk sent by the site -> first content "
                "event received through the server",
                f"{fmt_time(served_first)} (max {fmt_time(max(delays['served']))})",
                f"AsyncClient directly: {fmt_time(direct_first)}",
                f"+{fmt_time(added)}",
                "< 5 ms added",
                added < 0.005,
            ),
        ],
        [
            "throughput: the stand-in, `python -m chatgpt4o.testing --profile 1.9.18`, in a child "
            "process; the server (uvicorn with httptools, as the serve extra installs it, on the "
            "benchmark's own event loop) and the load "
            "both run in this process, so the served side also pays for the load client",
            f"{ROUNDS} interleaved rounds after a warm-up of {WARMUP_CALLS} calls per side; rates "
            f"are medians, a ratio the median of the per-round ratios (middle half: "
            f"{rates['served_spread']}; with httpx {rates['httpx_spread']})",
            f"first piece: _server.py streaming in a thread of this process; medians of "
            f"{STREAM_ROUNDS} streams per side, alternating",
        ],
    )


if __name__ == "__main__":
    main(run)
