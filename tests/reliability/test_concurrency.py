"""Many calls at once on one client while the site rotates its nonce key mid-run.

Every reply must answer its own request (the stand-in echoes the message), no call may be lost
or answered twice, and the rotation costs one renewal however many calls meet it. The rotation
happens inside the site, while the other calls are in flight, so some of them are sent with the
dead nonce and must share the one renewal. A race needs contention, not volume: a few dozen calls
from 8 threads, or as many tasks at once, are enough to make calls meet the rotation together.
"""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from collections.abc import Iterator
from typing import Optional

import pytest

import chatgpt4o
from chatgpt4o.testing import LocalSite, echo
from tests.sites import chat_sends

THREADS, CALLS_PER_THREAD = 8, 4
TASKS = THREADS * CALLS_PER_THREAD
# The answer after which the site rotates its nonce key: a quarter of the way through, so most
# calls are still to come and several are in flight. One rotation: a call renews its nonce once
# (README), so a call meeting a second rotation would rightly fail.
ROTATE_AT = TASKS // 4
# A guard against hangs, far above what the runs take.
TIME_LIMIT = 30.0


class RotatingEcho:
    """The site's model: echoes, and rotates the site's nonce key after ROTATE_AT answers."""

    def __init__(self) -> None:
        self.site: Optional[LocalSite] = None
        self.answered: Counter[str] = Counter()
        self.rotations = 0
        self._lock = threading.Lock()

    def __call__(self, message: str) -> str:
        with self._lock:
            self.answered[message] += 1
            rotate = sum(self.answered.values()) == ROTATE_AT
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


def check(site: LocalSite, model: RotatingEcho, messages: list[str], replies: list[str]) -> None:
    assert replies == [echo(m) for m in messages]  # each reply answers its own request
    assert model.answered == Counter(messages)  # nothing lost, nothing answered twice
    assert model.rotations == 1
    # One renewal, however many calls met the rotation (single-flight): a page fetch on the old
    # plugin, one nonce request on the current one.
    if site.profile.era == "aipkit":
        assert site.page_fetches == 1
        assert len(site.nonce_refreshes) == 1
    else:
        assert site.page_fetches == 2
    assert len(chat_sends(site)) > len(messages)  # the rotation did meet calls in flight
    assert site.errors == []


def test_threads_on_one_client(site: LocalSite, model: RotatingEcho) -> None:
    messages = [f"thread {t} call {c}" for t in range(THREADS) for c in range(CALLS_PER_THREAD)]
    replies: list[str] = [""] * len(messages)
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

    with chatgpt4o.Client(site.url, timeout=10, verify=False) as client:
        threads = [threading.Thread(target=work, args=(client, t)) for t in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=TIME_LIMIT)

    assert errors == []
    assert not any(thread.is_alive() for thread in threads)
    check(site, model, messages, replies)


def test_tasks_on_one_async_client(site: LocalSite, model: RotatingEcho) -> None:
    messages = [f"task call {i}" for i in range(TASKS)]

    async def main() -> list[str]:
        async with chatgpt4o.AsyncClient(site.url, timeout=10, verify=False) as client:
            calls = asyncio.gather(*(client.create(None, m) for m in messages))
            return list(await asyncio.wait_for(calls, timeout=TIME_LIMIT))

    check(site, model, messages, asyncio.run(main()))
