"""Cold concurrency: many first calls at once on one new client; how many page fetches, how long.

Each round starts cold: a new client (and connection pool) and an empty token cache. Then
200 calls at once on one AsyncClient, and 16 threads calling one Client. The page is the
realistic ~300 KB one (_sitepage.py), served with the success JSON by _server.py in a child
process, which counts page fetches. The same work done by hand, with the same library:

- ideal: one GET, one regex for the tokens, then the N POSTs at once;
- naive (as gpt4free's Chatgpt4o did): every call that finds no cached nonce GETs the page
  and scrapes it (``re.search(r'data-nonce="(.*?)"')``), so N concurrent first calls make N
  page fetches.

Goal: 1 page fetch per cold burst. Times are reported against both hand-written ways.
"""

from __future__ import annotations

import asyncio
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Awaitable, Callable, Dict, List

import httpx
import requests
from _common import (
    Result,
    Row,
    fmt_ratio,
    fmt_time,
    main,
    median,
    quiet_http_logs,
    raw_chat_form,
)
from _server import AJAX_PATH, REPLY_TEXT, spawn, stats

import chatgpt4o
from chatgpt4o._constants import DEFAULT_HEADERS

TASKS = 200
THREADS = 16
ROUNDS = 5
NAIVE_ROUNDS = 3  # 200 fetches of a 300 KB page take a few seconds: fewer rounds of those
MESSAGE = "hi"
_NONCE = re.compile(r'data-nonce="(.*?)"')
_POST_ID = re.compile(r'data-post-id="([0-9]+)"')


def _scrape(text: str) -> Dict[str, str]:
    nonce, post_id = _NONCE.search(text), _POST_ID.search(text)
    assert nonce is not None, "no data-nonce on the page"
    assert post_id is not None, "no data-post-id on the page"
    return raw_chat_form(nonce.group(1), post_id.group(1), MESSAGE)


# -- asyncio: 200 tasks -------------------------------------------------------------------------


async def async_sdk(url: str) -> None:
    async with chatgpt4o.AsyncClient(url) as client:
        replies = await asyncio.gather(*(client.create(None, MESSAGE) for _ in range(TASKS)))
    assert replies == [REPLY_TEXT] * TASKS


async def async_ideal(url: str) -> None:
    headers = {**DEFAULT_HEADERS, "Origin": url, "Referer": url + "/"}
    async with httpx.AsyncClient(headers=headers, follow_redirects=True) as http:
        page = await http.get(url + "/")
        form = _scrape(page.text)

        async def post() -> str:
            response = await http.post(url + AJAX_PATH, data=form)
            return str(response.json()["data"])

        replies = await asyncio.gather(*(post() for _ in range(TASKS)))
    assert replies == [REPLY_TEXT] * TASKS


async def async_naive(url: str) -> None:
    headers = {**DEFAULT_HEADERS, "Origin": url, "Referer": url + "/"}
    cache: Dict[str, Dict[str, str]] = {}
    async with httpx.AsyncClient(headers=headers, follow_redirects=True) as http:

        async def call() -> str:
            if "form" not in cache:
                page = await http.get(url + "/")
                cache["form"] = _scrape(page.text)
            response = await http.post(url + AJAX_PATH, data=cache["form"])
            return str(response.json()["data"])

        replies = await asyncio.gather(*(call() for _ in range(TASKS)))
    assert replies == [REPLY_TEXT] * TASKS


# -- threads: 16 threads ------------------------------------------------------------------------


def _in_threads(call: Callable[[], str]) -> None:
    barrier = threading.Barrier(THREADS)

    def start() -> str:
        barrier.wait()
        return call()

    with ThreadPoolExecutor(THREADS) as pool:
        replies = list(pool.map(lambda _: start(), range(THREADS)))
    assert replies == [REPLY_TEXT] * THREADS


def thread_sdk(url: str) -> None:
    with chatgpt4o.Client(url) as client:
        _in_threads(lambda: client.create(None, MESSAGE))


def thread_ideal(url: str) -> None:
    with requests.Session() as http:
        http.headers.update({**DEFAULT_HEADERS, "Origin": url, "Referer": url + "/"})
        form = _scrape(http.get(url + "/").text)
        _in_threads(lambda: str(http.post(url + AJAX_PATH, data=form).json()["data"]))


def thread_naive(url: str) -> None:
    cache: Dict[str, Dict[str, str]] = {}
    with requests.Session() as http:
        http.headers.update({**DEFAULT_HEADERS, "Origin": url, "Referer": url + "/"})

        def call() -> str:
            if "form" not in cache:
                cache["form"] = _scrape(http.get(url + "/").text)
            return str(http.post(url + AJAX_PATH, data=cache["form"]).json()["data"])

        _in_threads(call)


# -- driver -------------------------------------------------------------------------------------

Times = Dict[str, List[float]]
Fetches = Dict[str, List[int]]


def _rounds(url: str, sides: Dict[str, Callable[[str], None]]) -> tuple[Times, Fetches]:
    """Interleaved rounds (SDK, ideal, naive, SDK, ...); naive sits out the later rounds."""
    times: Times = {name: [] for name in sides}
    fetches: Fetches = {name: [] for name in sides}
    sides["sdk"](url)  # warm-up: imports, the OS's first connections
    sides["ideal"](url)
    for index in range(ROUNDS):
        for name, fn in sides.items():
            if name == "naive" and index >= NAIVE_ROUNDS:
                continue
            stats(url, reset=True)
            start = time.perf_counter()
            fn(url)
            times[name].append(time.perf_counter() - start)
            fetches[name].append(stats(url)["page_fetches"])
    return times, fetches


def _rows(label: str, n: int, times: Times, fetches: Fetches) -> List[Row]:
    sdk, ideal, naive = (median(times[k]) for k in ("sdk", "ideal", "naive"))
    most = max(fetches["sdk"])
    low, high = min(fetches["naive"]), max(fetches["naive"])
    naive_fetches = str(low) if low == high else f"{low}–{high}"
    return [
        Row(
            f"{label}: page fetches per cold burst",
            f"{most} (worst of {ROUNDS})",
            f"ideal 1, naive {naive_fetches}",
            "—",
            "1",
            most == 1,
        ),
        Row(
            f"{label}: burst time vs ideal (1 GET + {n} POSTs)",
            fmt_time(sdk),
            fmt_time(ideal),
            fmt_ratio(sdk / ideal),
        ),
        Row(
            f"{label}: burst time vs naive ({n} GETs + {n} POSTs)",
            fmt_time(sdk),
            fmt_time(naive),
            fmt_ratio(sdk / naive),
        ),
    ]


def _blocking(
    loop: asyncio.AbstractEventLoop, fn: Callable[[str], Awaitable[None]]
) -> Callable[[str], None]:
    return lambda url: loop.run_until_complete(fn(url))


def run() -> Result:
    quiet_http_logs()
    loop = asyncio.new_event_loop()
    asyncio_sides = {"sdk": async_sdk, "ideal": async_ideal, "naive": async_naive}
    try:
        with spawn() as server:
            a_times, a_fetches = _rounds(
                server.url, {name: _blocking(loop, fn) for name, fn in asyncio_sides.items()}
            )
            t_times, t_fetches = _rounds(
                server.url, {"sdk": thread_sdk, "ideal": thread_ideal, "naive": thread_naive}
            )
    finally:
        loop.close()
    return Result(
        "cold",
        "3. Cold concurrency (first calls at once)",
        _rows(f"AsyncClient, {TASKS} tasks", TASKS, a_times, a_fetches)
        + _rows(f"Client, {THREADS} threads", THREADS, t_times, t_fetches),
        [
            "each burst: a new client and connection pool, an empty token cache; page ~300 KB; "
            "server: _server.py in a child process, counting page GETs",
            "ideal and naive are written by hand with the same library (httpx for tasks, "
            "requests for threads) and the same headers; naive is gpt4free's Chatgpt4o, which "
            "fetched and scraped the page in every call that found no nonce cached yet",
            f"times: medians of {ROUNDS} interleaved rounds ({NAIVE_ROUNDS} for naive); the "
            "issue sets no goal for them, so they only report",
        ],
    )


if __name__ == "__main__":
    main(run)
