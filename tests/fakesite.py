"""A scripted fake AI Power site behind `responses` (requests) and `httpx.MockTransport`.

Both clients run the same table of cases through it: each case scripts the page replies and
the POST replies in order, and the fake records what the client sent.
"""

from __future__ import annotations

import asyncio
import re
import threading
import time
from collections.abc import Iterator
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
    """One scripted reply; ``error`` is "connect" or "timeout" to fail at the network level."""

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
    page_delay: float = 0.0  # simulated page latency, so concurrent callers overlap
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


@contextmanager
def serve_requests(site: FakeSite) -> Iterator[None]:
    """Route requests' traffic for BASE_URL to ``site`` through `responses`."""

    def reply(step: Step) -> tuple[int, dict[str, str], Union[bytes, str]]:
        if step.error == "connect":
            raise requests.ConnectionError("connection refused")
        if step.error == "timeout":
            raise requests.ReadTimeout("read timed out")
        return step.status, step.headers, step.body

    def on_page(request: Any) -> tuple[int, dict[str, str], Union[bytes, str]]:
        time.sleep(site.page_delay)
        return reply(site.page())

    def on_post(request: Any) -> tuple[int, dict[str, str], Union[bytes, str]]:
        body = request.body.decode() if isinstance(request.body, bytes) else request.body
        return reply(site.post(dict(parse_qsl(body or ""))))

    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_callback(responses.GET, re.compile(re.escape(BASE_URL) + r"/?(\?.*)?$"), on_page)
        mock.add_callback(responses.POST, AJAX_URL, on_post)
        yield


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
        body = step.body.encode() if isinstance(step.body, str) else step.body
        return httpx.Response(step.status, headers=step.headers, content=body)

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
