"""The unit tier: both clients through mocked transports, for what only a mock shows cheaply.

`responses` (requests) and `httpx.MockTransport` (httpx) make each HTTP library fail the way it
does on a real network — a refused connection, a read timeout, a connection broken while the
body is read — so these tests pin how each transport maps its library's errors to the SDK's,
and which of them are retried.

Every fault a site can serve (statuses, bodies, nonces, streams, both plugin generations) is a
row of the fault table instead, run over real sockets against the stand-in on both clients:
``tests/reliability/fault_matrix.py``.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Optional

import httpx
import pytest
import requests

import chatgpt4o
from chatgpt4o import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    BadReplyError,
    ClientClosedError,
)
from tests.fakesite import BASE_URL, FakeSite, Runner, Step, httpx_transport, success

KINDS = ["sync", "async"]


def ask(client: object) -> object:
    return client.ask("Hi")  # type: ignore[attr-defined]


# -- each transport's mapping of its library's network errors ------------------------------


@dataclass(frozen=True)
class Network:
    """A network failure: the SDK error it becomes, its words, the library's cause, retried?"""

    error: str
    expect: type[APIError]
    says: str
    causes: dict[str, type[BaseException]]
    retried: bool


NETWORK = [
    Network(
        "connect",
        APIConnectionError,
        "Could not reach",
        {"sync": requests.ConnectionError, "async": httpx.ConnectError},
        retried=True,
    ),
    Network(
        "timeout",
        APITimeoutError,
        "Timed out after",
        {"sync": requests.ReadTimeout, "async": httpx.ReadTimeout},
        retried=True,
    ),
    # The site already took the message: asking again would run the model twice.
    Network(
        "broken",
        BadReplyError,
        "broke while reading",
        {"sync": requests.exceptions.ChunkedEncodingError, "async": httpx.RemoteProtocolError},
        retried=False,
    ),
]


def failing(case: Network) -> Step:
    # A broken connection gives the status line and part of the body first.
    return Step(body=success("cut short")[:24], error=case.error)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("case", NETWORK, ids=[case.error for case in NETWORK])
def test_network_errors_map_to_the_sdk_errors(kind: str, case: Network) -> None:
    site = FakeSite(posts=[failing(case)])
    runner = Runner(kind, site, max_retries=0)

    with pytest.raises(APIError) as caught:
        runner.run(ask)

    assert type(caught.value) is case.expect
    assert case.says in str(caught.value)
    assert isinstance(caught.value.__cause__, case.causes[kind])
    assert caught.value.url == "http://127.0.0.1:8088/wp-admin/admin-ajax.php"
    assert caught.value.method == "POST"


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("case", NETWORK, ids=[case.error for case in NETWORK])
def test_network_errors_retried_or_not(kind: str, case: Network) -> None:
    site = FakeSite(posts=[failing(case), Step(body=success("ok"))])
    runner = Runner(kind, site, max_retries=1)

    if case.retried:
        assert runner.run(ask) == "ok"
        assert len(site.forms) == 2
        (wait,) = runner.sleeps
        assert 0.25 <= wait <= 0.5
    else:
        with pytest.raises(case.expect):
            runner.run(ask)
        assert len(site.forms) == 1
        assert runner.sleeps == []
    assert site.page_fetches == 1


# -- a dead proxy is named as the proxy, not the site --------------------------------------------


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A port on 127.0.0.1 that refuses connections: bound, held, never listening."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield int(sock.getsockname()[1])


def ask_site(kind: str, proxy: Optional[str]) -> None:
    """One call, with no retry, to a reserved host name that only a proxy would look up."""
    url = "https://chat.example"
    if kind == "sync":
        with chatgpt4o.Client(url, proxy=proxy, max_retries=0) as client:
            client.ask("Hi")
        return

    async def ask_async() -> None:
        async with chatgpt4o.AsyncClient(url, proxy=proxy, max_retries=0) as client:
            await client.ask("Hi")

    asyncio.run(ask_async())


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("how", ["HTTPS_PROXY", "proxy="])
def test_a_dead_proxy_is_blamed_not_the_site(
    kind: str, how: str, closed_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy = f"http://127.0.0.1:{closed_port}"
    for name in ("NO_PROXY", "no_proxy", "CHATGPT4O_PROXY"):
        monkeypatch.delenv(name, raising=False)
    if how == "HTTPS_PROXY":
        monkeypatch.setenv("HTTPS_PROXY", proxy)

    with pytest.raises(APIConnectionError) as caught:
        ask_site(kind, proxy if how == "proxy=" else None)

    says = "Could not reach https://chat.example: the proxy refused the connection"
    assert says in str(caught.value)


# -- a client's life: shared with its copies, and bound to one event loop ------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_closing_a_client_closes_its_with_options_copies(kind: str) -> None:
    async def check() -> None:
        client: Any = (chatgpt4o.Client if kind == "sync" else chatgpt4o.AsyncClient)(
            "http://127.0.0.1:9", max_retries=0
        )
        early = client.with_options(timeout=5)
        gone = client.with_options(timeout=6)
        await gone.aclose() if kind == "async" else gone.close()
        assert (gone.is_closed, client.is_closed, early.is_closed) == (True, False, False)
        await client.aclose() if kind == "async" else client.close()
        late = client.with_options(max_retries=1)

        for each in (client, early, late):
            assert each.is_closed
            with pytest.raises(ClientClosedError, match="is closed"):
                await each.ask("Hi") if kind == "async" else each.ask("Hi")

    asyncio.run(check())


def test_an_async_client_belongs_to_the_event_loop_it_first_ran_in() -> None:
    # Over a mock transport, so that the first loop leaves no connection open behind it;
    # over sockets the second run met httpx's bare "RuntimeError: Event loop is closed".
    site = FakeSite(posts=[Step(body=success("Hello there"))])
    http = httpx.AsyncClient(transport=httpx_transport(site))
    client = chatgpt4o.AsyncClient(BASE_URL, http_client=http, max_retries=0)
    assert asyncio.run(client.ask("Hi")) == "Hello there"

    for each in (client, client.with_options(timeout=5)):
        with pytest.raises(ClientClosedError, match="belongs to the event loop it first ran in"):
            asyncio.run(each.ask("Hi"))
    assert len(site.forms) == 1
