"""A scripted fake AI Power site behind `responses` (requests) and `httpx.MockTransport`.

The unit tier (``tests/test_clients.py``, ``tests/test_provider.py``) drives the clients
through it: each test scripts the page replies and the POST replies in order, the fake records
what the client sent, and a step can fail the way each HTTP library fails (a refused
connection, a timeout, a connection that breaks while the body is read) — what a real socket
to the stand-in cannot stage on demand. Fault scenarios on real sockets live in the fault table
(``tests/reliability/fault_matrix.py``).
"""

from __future__ import annotations

import asyncio
import io
import re
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional, Union
from urllib.parse import parse_qsl

import httpx
import requests
import responses

import chatgpt4o
from chatgpt4o.testing import recorded_sleeps

BASE_URL = "http://127.0.0.1:8088"
AJAX_URL = BASE_URL + "/wp-admin/admin-ajax.php"
FIXTURE = (Path(__file__).parent / "aipower-1.8.79-front-page.html").read_text("utf-8")
JSON = {"Content-Type": "application/json; charset=UTF-8"}
HTML = {"Content-Type": "text/html; charset=UTF-8"}
ERRORS = ("connect", "timeout", "broken")
"""What a step's ``error`` may be: the connection refused, a read timeout, or the connection
broken after the status line and the first bytes of ``body``."""


def success(text: str) -> bytes:
    return (
        b'{"status":"success","msg":"Something went wrong","greeting_message":"g","data":'
        + f'"{text}"'.encode()
        + b',"log":false}'
    )


def page_with_nonce(nonce: str) -> str:
    return FIXTURE.replace("14004b0807", nonce)


@dataclass(frozen=True)
class Step:
    """One scripted reply; ``error`` (one of ``ERRORS``) fails it at the network level."""

    status: int = 200
    body: Union[bytes, str] = b""
    headers: dict[str, str] = field(default_factory=lambda: dict(JSON))
    error: Optional[str] = None


PAGE = None  # a page step: the fixture with the next nonce


@dataclass
class FakeSite:
    """Replays scripted steps and records the requests it saw."""

    pages: list[Optional[Step]] = field(default_factory=list)
    posts: list[Step] = field(default_factory=list)
    page_fetches: int = 0
    forms: list[dict[str, str]] = field(default_factory=list)
    nonces_served: list[str] = field(default_factory=list)
    page_delay: float = 0.0  # simulated page latency (httpx), so concurrent callers overlap
    lock: threading.Lock = field(default_factory=threading.Lock)

    def page(self) -> Step:
        with self.lock:
            return self._page()

    def _page(self) -> Step:
        self.page_fetches += 1
        step = self.pages.pop(0) if self.pages else PAGE
        if step is not None:
            return step
        nonce = f"{self.page_fetches:010x}"
        self.nonces_served.append(nonce)
        return Step(200, page_with_nonce(nonce), dict(HTML))

    def post(self, form: dict[str, str]) -> Step:
        with self.lock:
            self.forms.append(form)
            if not self.posts:
                raise AssertionError("the client posted more often than the case scripted")
            return self.posts.pop(0)


def _body(step: Step) -> bytes:
    return step.body.encode() if isinstance(step.body, str) else step.body


class _BreaksAfter(io.RawIOBase):
    """A socket's read side that gives ``head`` and then finds the connection reset."""

    def __init__(self, head: bytes) -> None:
        self._head = head

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if not self._head:
            raise ConnectionResetError(104, "Connection reset by peer")
        size = min(len(buffer), len(self._head))
        buffer[:size] = self._head[:size]
        self._head = self._head[size:]
        return size


@contextmanager
def serve_requests(site: FakeSite) -> Iterator[None]:
    """Route requests' traffic for BASE_URL to ``site`` through `responses`."""

    def reply(step: Step) -> tuple[int, dict[str, str], Union[bytes, io.BufferedReader]]:
        if step.error == "connect":
            raise requests.ConnectionError("connection refused")
        if step.error == "timeout":
            raise requests.ReadTimeout("read timed out")
        if step.error == "broken":  # urllib3 raises ProtocolError, requests ChunkedEncodingError
            return step.status, step.headers, io.BufferedReader(_BreaksAfter(_body(step)))
        return step.status, step.headers, _body(step)

    def on_page(request: Any) -> tuple[int, dict[str, str], Union[bytes, io.BufferedReader]]:
        return reply(site.page())

    def on_post(request: Any) -> tuple[int, dict[str, str], Union[bytes, io.BufferedReader]]:
        body = request.body.decode() if isinstance(request.body, bytes) else request.body
        return reply(site.post(dict(parse_qsl(body or ""))))

    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_callback(responses.GET, re.compile(re.escape(BASE_URL) + r"/?(\?.*)?$"), on_page)
        mock.add_callback(responses.POST, AJAX_URL, on_post)
        yield


class _BrokenStream(httpx.AsyncByteStream):
    """A body that gives ``head`` and then the peer closes without the rest."""

    def __init__(self, head: bytes) -> None:
        self._head = head

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self._head
        raise httpx.RemoteProtocolError("peer closed connection without sending complete body")


def httpx_transport(site: FakeSite) -> httpx.MockTransport:
    """An httpx transport that answers from ``site``."""

    async def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            await asyncio.sleep(site.page_delay)
            step = site.page()
        else:
            step = site.post(dict(parse_qsl(request.content.decode())))
        if step.error == "connect":
            raise httpx.ConnectError("connection refused", request=request)
        if step.error == "timeout":
            raise httpx.ReadTimeout("read timed out", request=request)
        if step.error == "broken":
            stream = _BrokenStream(_body(step))
            return httpx.Response(step.status, headers=step.headers, stream=stream)
        return httpx.Response(step.status, headers=step.headers, content=_body(step))

    return httpx.MockTransport(handler)


class Runner:
    """Runs a call on the sync or the async client against a FakeSite; same interface."""

    def __init__(self, kind: str, site: FakeSite, **client_kwargs: Any) -> None:
        self.kind = kind
        self.site = site
        self.sleeps: list[float] = []
        self.client_kwargs = {"base_url": BASE_URL, **client_kwargs}

    def run(self, call: Callable[[Any], Any]) -> Any:
        """``call(client)`` returns the value (sync) or an awaitable (async)."""
        with recorded_sleeps() as sleeps:
            try:
                return self._run(call)
            finally:
                self.sleeps.extend(sleeps)

    def _run(self, call: Callable[[Any], Any]) -> Any:
        if self.kind == "sync":
            with (
                serve_requests(self.site),
                chatgpt4o.Client(**self.client_kwargs) as client,
            ):
                return call(client)

        async def main() -> Any:
            transport = httpx_transport(self.site)
            async with (
                httpx.AsyncClient(transport=transport) as http,
                chatgpt4o.AsyncClient(http_client=http, **self.client_kwargs) as client,
            ):
                return await call(client)

        return asyncio.run(main())
