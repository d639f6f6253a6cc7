"""``--fetch-image-urls``: the fetcher against a picture server on 127.0.0.1, and the app.

No test reaches the internet: the fetcher's address policy refuses 127.0.0.1 unless a test
allows loopback for itself, and host names are resolved by a test's own table, which also
proves the connection goes to the checked address while the request names the host.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import ipaddress
import json
import shutil
import ssl
import subprocess
from collections.abc import AsyncIterator, Awaitable
from pathlib import Path
from typing import Any, Callable, Optional, TypeVar

import pytest

pytest.importorskip("starlette")

import httpx

import chatgpt4o
from chatgpt4o import ImageTooLargeError, InvalidImageError
from chatgpt4o._images import ImageInput
from chatgpt4o.serve import create_app
from chatgpt4o.serve._app import build_app
from chatgpt4o.serve._fetch import PictureFetcher
from chatgpt4o.serve._image_urls import address_refusal
from chatgpt4o.testing import LocalSite

from ._profiles import API_KEY, CLIENT_TIMEOUT

_T = TypeVar("_T")
AUTH = {"Authorization": f"Bearer {API_KEY}"}
FIELD = "messages[0].content[1].image_url.url"
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP4z8DwHwAFAAH/VscvDQAAAABJRU5ErkJggg=="
)
HOST = "pictures.test"  # resolved by the tests' table only


def _loopback_too(address: str) -> Optional[str]:
    """The real policy, except that this machine's loopback address may be fetched from."""
    if ipaddress.ip_address(address).is_loopback:
        return None
    return address_refusal(address)


async def _table(host: str, port: int) -> list[str]:
    names = {
        HOST: ["127.0.0.1"],
        "other.test": ["127.0.0.1"],
        "mixed.test": ["127.0.0.1", "10.0.0.7"],
    }
    return names.get(host, [host])  # an address resolves to itself


class PictureServer:
    """A tiny HTTP/1.1 server on 127.0.0.1: each path answers as its handler says.

    Attributes:
        hosts: the ``Host`` header of every request, in order.
    """

    def __init__(self, tls: Optional[ssl.SSLContext] = None) -> None:
        self.hosts: list[str] = []
        self.port = 0
        self._tls = tls
        self._server: Optional[asyncio.base_events.Server] = None
        self._never = asyncio.Event()

    async def __aenter__(self) -> PictureServer:
        self._server = await asyncio.start_server(self._answer, "127.0.0.1", 0, ssl=self._tls)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        assert self._server is not None
        self._never.set()  # lets a stalled answer end, so the server can close
        self._server.close()
        await self._server.wait_closed()

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"{'https' if self._tls else 'http'}://{host}:{self.port}{path}"

    async def _answer(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
        path = head.split(" ", 2)[1]
        headers = dict(line.split(": ", 1) for line in head.split("\r\n")[1:] if ": " in line)
        self.hosts.append(headers.get("Host", headers.get("host", "")))
        if path == "/stall":
            await self._never.wait()  # no answer; the fetch's deadline ends it
            writer.close()
            return
        status, extra, body = _ROUTES[path](self)
        lines = [f"HTTP/1.1 {status} X", "Connection: close", *extra]
        if not any(line.lower().startswith("content-length") for line in extra):
            lines.append(f"Content-Length: {len(body)}")
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        await writer.drain()
        writer.close()


_Route = Callable[[PictureServer], tuple[int, list[str], bytes]]
_ROUTES: dict[str, _Route] = {
    "/cat.png": lambda s: (200, ["Content-Type: text/plain"], PNG),  # the type is not trusted
    "/hop": lambda s: (302, ["Location: /cat.png"], b""),
    "/hop-named": lambda s: (302, [f"Location: http://{HOST}:{s.port}/cat.png"], b""),
    "/hop-private": lambda s: (302, ["Location: http://10.0.0.7/cat.png"], b""),
    "/hop-file": lambda s: (302, ["Location: file:///etc/passwd"], b""),
    "/loop": lambda s: (302, ["Location: /loop"], b""),
    "/big.png": lambda s: (200, [], PNG + b"\0" * 100),
    "/declared-big.png": lambda s: (200, ["Content-Length: 999999"], PNG),
    "/page.html": lambda s: (200, ["Content-Type: image/png"], b"<html>not a picture</html>"),
    "/gone.png": lambda s: (404, [], b"not here"),
    "/zipped.png": lambda s: (200, ["Content-Encoding: gzip"], PNG),
}


def _fetcher(**options: Any) -> PictureFetcher:
    settings: dict[str, Any] = {
        "max_bytes": 100,
        "policy": _loopback_too,
        "resolver": _table,
        "timeout": CLIENT_TIMEOUT,
    }
    return PictureFetcher(**{**settings, **options})


def _run(work: Callable[[PictureServer], Awaitable[_T]]) -> _T:
    async def go() -> _T:
        async with PictureServer() as server:
            return await work(server)

    return asyncio.run(go())


def _fetch(path: str, host: str = "127.0.0.1", **options: Any) -> ImageInput:
    return _run(lambda server: _fetcher(**options).fetch(server.url(path, host), FIELD))


def _refusal(path: str, host: str = "127.0.0.1", **options: Any) -> InvalidImageError:
    with pytest.raises(InvalidImageError) as caught:
        _fetch(path, host, **options)
    assert caught.value.field == FIELD
    assert str(caught.value).startswith(f"{FIELD}: ")
    return caught.value


def test_a_picture_is_fetched_and_its_type_read_from_its_bytes() -> None:
    picture = _fetch("/cat.png")
    assert (picture.mime_type, picture.data) == ("image/png", PNG)


def test_the_connection_goes_to_the_checked_address_and_the_request_names_the_host() -> None:
    async def work(server: PictureServer) -> tuple[ImageInput, list[str], int]:
        picture = await _fetcher().fetch(server.url("/cat.png", HOST), FIELD)
        return picture, server.hosts, server.port

    picture, hosts, port = _run(work)
    assert picture.data == PNG
    assert hosts == [f"{HOST}:{port}"]


def _certificate(folder: Path) -> Path:
    """A self-signed certificate (and its key, in the same file) for HOST only."""
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command to make a test certificate")
    pem = folder / "pictures.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", f"/CN={HOST}", "-addext", f"subjectAltName=DNS:{HOST}",
         "-keyout", str(pem), "-out", str(pem)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return pem


def test_https_is_checked_against_the_url_host_while_connecting_to_its_address(
    tmp_path: Path,
) -> None:
    pem = _certificate(tmp_path)
    served = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    served.load_cert_chain(pem)
    trusted = ssl.create_default_context(cafile=str(pem))

    async def work() -> tuple[ImageInput, str, list[str]]:
        async with PictureServer(tls=served) as server:
            fetcher = _fetcher(verify=trusted)
            picture = await fetcher.fetch(server.url("/cat.png", HOST), FIELD)
            with pytest.raises(InvalidImageError) as caught:  # same address, another name
                await fetcher.fetch(server.url("/cat.png", "other.test"), FIELD)
            return picture, str(caught.value), server.hosts

    picture, refusal, hosts = asyncio.run(work())
    assert picture.data == PNG
    assert "could not fetch the picture from other.test:" in refusal
    assert "certificate" in refusal.lower()
    assert hosts[0].startswith(f"{HOST}:")


@pytest.mark.parametrize("path", ["/hop", "/hop-named"])
def test_a_redirect_is_followed_to_a_checked_target(path: str) -> None:
    assert _fetch(path).data == PNG


@pytest.mark.parametrize(
    ("path", "why"),
    [
        ("/hop-private", "resolves to 10.0.0.7 is a private address"),
        ("/hop-file", "only http and https picture URLs are fetched, not file:"),
        ("/loop", "more than 3 redirects"),
    ],
)
def test_a_redirect_is_refused_where_its_target_would_be(path: str, why: str) -> None:
    assert why in str(_refusal(path))


def test_a_host_with_one_private_address_is_refused_before_connecting() -> None:
    async def work(server: PictureServer) -> list[str]:
        with pytest.raises(InvalidImageError, match=r"10\.0\.0\.7 is a private address"):
            await _fetcher().fetch(server.url("/cat.png", "mixed.test"), FIELD)
        return server.hosts

    assert _run(work) == []


@pytest.mark.parametrize("path", ["/big.png", "/declared-big.png"])
def test_a_picture_over_the_cap_is_refused_while_it_is_read(path: str) -> None:
    with pytest.raises(ImageTooLargeError) as caught:
        _fetch(path)
    assert (caught.value.field, caught.value.limit) == (FIELD, 100)
    assert caught.value.size > 100


@pytest.mark.parametrize(
    ("path", "why"),
    [
        ("/page.html", "not a picture this client recognises"),
        ("/gone.png", "could not fetch the picture from 127.0.0.1:"),
        ("/zipped.png", "it sent the picture compressed (gzip)"),
    ],
)
def test_what_is_not_a_picture_is_refused_saying_why(path: str, why: str) -> None:
    assert why in str(_refusal(path))


def test_a_server_that_stalls_is_cut_off_at_the_deadline() -> None:
    error = _refusal("/stall", timeout=0.05)
    assert str(error) == f"{FIELD}: fetching the picture timed out after 0.05 s"


def test_an_unreachable_server_is_a_failed_fetch() -> None:
    async def work() -> None:
        async with PictureServer() as closed:
            pass
        await _fetcher().fetch(closed.url("/cat.png"), FIELD)

    with pytest.raises(InvalidImageError, match=r"could not fetch the picture from 127\.0\.0\.1:"):
        asyncio.run(work())


# -- through the app -------------------------------------------------------------------------


def _body(url: str, stream: bool = False) -> dict[str, Any]:
    content = [
        {"type": "text", "text": "What is in this picture?"},
        {"type": "image_url", "image_url": {"url": url}},
    ]
    return {"messages": [{"role": "user", "content": content}], "stream": stream}


@contextlib.asynccontextmanager
async def _app(site: LocalSite, **options: Any) -> AsyncIterator[httpx.AsyncClient]:
    client = chatgpt4o.AsyncClient(site.url, timeout=CLIENT_TIMEOUT, max_retries=0)
    fetcher = options.pop("picture_fetcher", None)
    if fetcher is None:
        app = create_app(client=client, api_key=API_KEY, **options)
    else:
        app = build_app(lambda: (client, None), api_key=API_KEY, picture_fetcher=fetcher)
    try:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://serve") as http:
                yield http
    finally:
        await client.aclose()


def _post(site: LocalSite, body: dict[str, Any], **options: Any) -> httpx.Response:
    async def go() -> httpx.Response:
        async with _app(site, **options) as http:
            return await http.post("/v1/chat/completions", json=body, headers=AUTH)

    return asyncio.run(go())


def _fetching(
    body_for: Callable[[PictureServer], dict[str, Any]],
) -> tuple[httpx.Response, list[str], list[Any]]:
    """Post ``body_for(server)`` to an app that fetches picture URLs: the response, the hosts
    the picture server was asked for, and the calls the site received."""

    async def work(server: PictureServer) -> tuple[httpx.Response, list[str], list[Any]]:
        with LocalSite("2.4.71", image_upload=True) as site:
            async with _app(site, picture_fetcher=_fetcher()) as http:
                body = body_for(server)
                response = await http.post("/v1/chat/completions", json=body, headers=AUTH)
            return response, server.hosts, list(site.upstream_calls)

    return _run(work)


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:9/cat.png", "http://[::ffff:127.0.0.1]:9/cat.png", "http://[::1]/"]
)
def test_the_server_refuses_a_picture_on_its_own_machine(url: str) -> None:
    with LocalSite("2.4.71", image_upload=True) as site:
        response = _post(site, _body(url), fetch_image_urls=True)
        assert site.requests == []
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["param"], error["code"]) == (FIELD, "invalid_image")
    assert "a loopback address" in error["message"]


def test_without_the_option_a_picture_url_is_refused_saying_how_to_allow_it() -> None:
    with LocalSite("2.4.71", image_upload=True) as site:
        response = _post(site, _body("https://example.com/cat.png"))
        assert site.requests == []
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["param"], error["code"]) == (FIELD, "invalid_image")
    assert "--fetch-image-urls" in error["message"]


def test_a_bad_request_is_refused_before_any_picture_is_fetched() -> None:
    response, hosts, _ = _fetching(lambda server: {**_body(server.url("/cat.png")), "model": "x"})
    assert response.status_code == 404
    assert hosts == []


def test_more_pictures_than_the_site_takes_are_refused_before_any_is_fetched() -> None:
    def five(server: PictureServer) -> dict[str, Any]:
        part = {"type": "image_url", "image_url": {"url": server.url("/cat.png")}}
        return {"messages": [{"role": "user", "content": [part] * 5}]}

    response, hosts, _ = _fetching(five)
    assert response.status_code == 400
    assert "at most 4" in response.json()["error"]["message"]
    assert hosts == []


@pytest.mark.parametrize("stream", [False, True], ids=["create", "stream"])
def test_a_fetched_picture_reaches_the_model(stream: bool) -> None:
    response, _, calls = _fetching(lambda server: _body(server.url("/hop", HOST), stream))
    assert response.status_code == 200, response.text
    (call,) = calls
    assert [part.data for part in call.images] == [PNG]
    assert _content(response, stream).endswith("[images: image/png 70 bytes sha256:49e1dad481e9]")


def _content(response: httpx.Response, stream: bool) -> str:
    if not stream:
        return str(response.json()["choices"][0]["message"]["content"])
    events = response.text.strip().split("\n\n")[:-1]  # the last is [DONE]
    chunks = [json.loads(event[len("data: ") :]) for event in events]
    return "".join(chunk["choices"][0]["delta"].get("content") or "" for chunk in chunks)


def test_a_picture_over_the_cap_is_413_naming_the_part() -> None:
    response, _, _ = _fetching(lambda server: _body(server.url("/big.png")))
    assert response.status_code == 413
    error = response.json()["error"]
    assert (error["param"], error["code"]) == (FIELD, "image_too_large")
