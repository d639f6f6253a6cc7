"""Nothing is left behind: after close()/aclose() no connection stays open and no socket is
left for the garbage collector (a ResourceWarning).

The stand-in serves each connection on its own thread until the client closes it, so the
site's thread count shows the connections still open.
"""

from __future__ import annotations

import asyncio
import gc
import threading
import warnings
from collections.abc import Iterator

import pytest
import requests

import chatgpt4o
from chatgpt4o import Chatgpt4o
from chatgpt4o._provider_pool import ClientPools
from chatgpt4o.testing import LocalSite

# A guard against hangs: a server thread notices a closed connection at once, well within this.
SETTLE = 30.0


@pytest.fixture
def site() -> Iterator[LocalSite]:
    with LocalSite("1.9.18", stream=True) as running:
        yield running


def live_threads() -> frozenset[threading.Thread]:
    return frozenset(threading.enumerate())


def settle(baseline: frozenset[threading.Thread]) -> int:
    """Wait for the threads started since ``baseline`` to end; return how many are still alive.

    Threads are compared by identity, not counted: a thread of an earlier test that happens to
    end meanwhile must neither hide a leak nor fail the check.
    """
    for thread in live_threads() - baseline:
        thread.join(timeout=SETTLE)
    return started_since(baseline)


def started_since(baseline: frozenset[threading.Thread]) -> int:
    return len(live_threads() - baseline)


def resource_warnings(caught: list[warnings.WarningMessage]) -> list[str]:
    return [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]


def test_client_close_leaves_nothing_open(site: LocalSite) -> None:
    baseline = live_threads()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        client = chatgpt4o.Client(site.url, timeout=5, verify=False)
        assert client.ask("one") == "Echo: one"
        assert "".join(client.stream(None, "two")) == "Echo: two"
        site.inject("slow_stream", chunk_delay=0.05)
        with client.stream(None, "abandoned halfway") as stream:
            next(stream)  # then leave: the connection must be released
        assert client.with_options(timeout=3).ask("three") == "Echo: three"
        open_before = started_since(baseline)
        client.close()
        del client, stream
        gc.collect()
        remaining = settle(baseline)

    assert open_before > 0  # the check can see open connections
    assert remaining == 0
    assert resource_warnings(caught) == []


def test_async_client_aclose_leaves_nothing_open(site: LocalSite) -> None:
    baseline = live_threads()

    async def main() -> int:
        client = chatgpt4o.AsyncClient(site.url, timeout=5, verify=False)
        assert await client.ask("one") == "Echo: one"
        assert "".join([p async for p in client.stream(None, "two")]) == "Echo: two"
        site.inject("slow_stream", chunk_delay=0.05)
        async with client.stream(None, "abandoned halfway") as stream:
            await stream.__anext__()
        assert await client.with_options(timeout=3).ask("three") == "Echo: three"
        open_before = started_since(baseline)
        await client.aclose()
        return open_before

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        open_before = asyncio.run(main())
        gc.collect()
        remaining = settle(baseline)

    assert open_before > 0
    assert remaining == 0
    assert resource_warnings(caught) == []


def test_the_provider_closes_the_client_it_makes(
    site: LocalSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Chatgpt4o, "url", site.url)
    monkeypatch.setattr("chatgpt4o._provider._POOLS", ClientPools())
    baseline = live_threads()

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        reply = asyncio.run(Chatgpt4o.create_async("gpt-4o-mini", "hi", timeout=5))
        completion = list(Chatgpt4o.create_completion("gpt-4o-mini", "ho", timeout=5))
        gc.collect()
        remaining = settle(baseline)

    assert (reply, completion) == ("Echo: hi", ["Echo: ho"])
    assert remaining == 0
    assert resource_warnings(caught) == []


def test_a_session_passed_in_is_left_open_for_its_owner(site: LocalSite) -> None:
    baseline = live_threads()
    session = requests.Session()

    with chatgpt4o.Client(site.url, timeout=5, http_client=session) as client:
        assert client.ask("one") == "Echo: one"
    serving = live_threads() - baseline  # the server's thread for the session's connection
    assert session.get(site.url + "/", timeout=5).status_code == 200
    # The GET went over the connection the client used: had closing the client closed the
    # session, it would have needed a new connection, served on a new thread.
    started = live_threads() - baseline - serving
    session.close()

    assert serving
    assert started == frozenset()
    assert settle(baseline) == 0
