"""Many calls at once on one client while the site rotates its nonce key now and then.

Every reply must answer its own request (the stand-in echoes the message), no call may be lost
or answered twice, and each rotation costs one page fetch however many calls meet it.
Rotations happen inside the site at fixed answer counts, while many calls are in flight.

A call re-scrapes and retries once after a rejected nonce (README), so no call may meet two
rotations. Threads keep calling without a pause; the async calls go in waves of 250, each
finished before the next and each but the last meeting one rotation halfway, because after a
rotation the retrying tasks pass the client's refresh lock one event-loop turn at a time and
new calls overtake them by hundreds of requests (see the report).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter
from collections.abc import Iterator
from typing import Optional

import pytest

import chatgpt4o
from chatgpt4o.testing import LocalSite, echo
from tests.sites import chat_sends

THREADS, CALLS_PER_THREAD = 16, 50
ASYNC_CALLS, CONCURRENCY, WAVE = 1000, 100, 250
# The answer counts after which the site rotates its nonce key.
SYNC_ROTATIONS = (200, 400, 600)
ASYNC_ROTATIONS = (125, 375, 625)  # halfway through the first three waves
# A guard against hangs, far above what the runs take.
TIME_LIMIT = 30.0


class RotatingEcho:
    """The site's model: echoes, and rotates the site's nonce key after the given answers."""

    def __init__(self) -> None:
        self.rotate_at: tuple[int, ...] = ()
        self.site: Optional[LocalSite] = None
        self.answered: Counter[str] = Counter()
        self.rotations = 0
        self._lock = threading.Lock()

    def __call__(self, message: str) -> str:
        with self._lock:
            self.answered[message] += 1
            rotate = sum(self.answered.values()) in self.rotate_at
            if rotate:
                self.rotations += 1
        if rotate and self.site is not None:
            self.site.rotate_nonce()
        return echo(message)


@pytest.fixture
def model() -> RotatingEcho:
    return RotatingEcho()


@pytest.fixture(params=["1.9.18", "2.4.71"])
def site(model: RotatingEcho, request: pytest.FixtureRequest) -> Iterator[LocalSite]:
    with LocalSite(request.param, answer=model) as running:
        model.site = running
        yield running


def report(label: str, calls: int, seconds: float, site: LocalSite, model: RotatingEcho) -> None:
    print(
        f"\n{label}: {calls} calls in {seconds:.2f} s, {site.page_fetches} page fetches, "
        f"{len(site.nonce_refreshes)} nonce requests, {model.rotations} rotations, "
        f"{len(chat_sends(site))} sends ({len(chat_sends(site)) - calls} rejected nonces re-sent)"
    )


def check(site: LocalSite, model: RotatingEcho, messages: list[str], replies: list[str]) -> None:
    assert replies == [echo(m) for m in messages]  # each reply answers its own request
    assert model.answered == Counter(messages)  # nothing lost, nothing answered twice
    assert model.rotations == len(model.rotate_at)
    # One renewal per rotation, however many calls met it (never more: single-flight): a page
    # fetch on the old plugin, one nonce request on the current one.
    if site.profile.era == "aipkit":
        assert site.page_fetches == 1
        assert len(site.nonce_refreshes) == model.rotations
    else:
        assert site.page_fetches == 1 + model.rotations
    assert len(chat_sends(site)) > len(messages)  # rotations did meet calls in flight
    assert site.errors == []


def test_threads_on_one_client(site: LocalSite, model: RotatingEcho) -> None:
    calls = THREADS * CALLS_PER_THREAD
    model.rotate_at = SYNC_ROTATIONS
    messages = [f"thread {t} call {c}" for t in range(THREADS) for c in range(CALLS_PER_THREAD)]
    replies: list[str] = [""] * calls
    errors: list[BaseException] = []
    barrier = threading.Barrier(THREADS)

    def work(client: chatgpt4o.Client, thread: int) -> None:
        try:
            barrier.wait(timeout=10)
            for call in range(CALLS_PER_THREAD):
                index = thread * CALLS_PER_THREAD + call
                replies[index] = client.create(None, messages[index])
        except BaseException as exc:  # surfaced below, not lost in the thread
            errors.append(exc)

    started = time.perf_counter()
    with chatgpt4o.Client(site.url, timeout=10, verify=False) as client:
        threads = [threading.Thread(target=work, args=(client, t)) for t in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=TIME_LIMIT)
    seconds = time.perf_counter() - started

    report("Client, 16 threads x 50 calls", calls, seconds, site, model)
    assert errors == []
    assert not any(thread.is_alive() for thread in threads)
    check(site, model, messages, replies)


def test_tasks_on_one_async_client(site: LocalSite, model: RotatingEcho) -> None:
    model.rotate_at = ASYNC_ROTATIONS
    messages = [f"task call {i}" for i in range(ASYNC_CALLS)]

    async def main() -> list[str]:
        gate = asyncio.Semaphore(CONCURRENCY)
        replies: list[str] = []
        async with chatgpt4o.AsyncClient(site.url, timeout=10, verify=False) as client:

            async def call(message: str) -> str:
                async with gate:
                    return await client.create(None, message)

            for start in range(0, ASYNC_CALLS, WAVE):
                wave = (call(m) for m in messages[start : start + WAVE])
                replies += await asyncio.wait_for(asyncio.gather(*wave), timeout=TIME_LIMIT)
        return replies

    started = time.perf_counter()
    replies = asyncio.run(main())
    seconds = time.perf_counter() - started

    label = f"AsyncClient, {ASYNC_CALLS} calls at concurrency {CONCURRENCY}"
    report(label, ASYNC_CALLS, seconds, site, model)
    check(site, model, messages, replies)
