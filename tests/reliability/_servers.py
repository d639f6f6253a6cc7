"""Tiny HTTP servers on 127.0.0.1 for what the stand-in site does not play.

Endless bodies, redirects to another host name, TLS with a self-signed certificate: each
``TinySite`` answers by path with a route function, records what it received and counts the
body bytes it managed to hand to the kernel.
"""

from __future__ import annotations

import contextlib
import json
import socket
import socketserver
import ssl
import threading
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Optional
from urllib.parse import urlsplit

# Small kernel send buffers keep what a server can push ahead of a reader close to the reader's
# own buffer, so "bytes sent" is a tight bound on what the client had to take in.
SEND_BUFFER = 64 * 1024
# A server never sends more than this in one reply, so a client without a cap fails the test
# instead of hanging it.
HARD_LIMIT = 64 * 1024 * 1024
CHUNK = 64 * 1024

PAGE_NONCE = "3f9c2a7b1e"


def chat_page(nonce: str = PAGE_NONCE) -> bytes:
    """A minimal page that carries the chat tokens (ajax URL: the default path)."""
    return (
        "<!DOCTYPE html><html><head><title>Chat</title></head><body>"
        f'<div class="wpaicg-chat-shortcode" data-nonce="{nonce}" data-post-id="4" '
        'data-bot-id="0"></div></body></html>'
    ).encode()


def success(text: str) -> bytes:
    """The plugin's JSON success reply."""
    return json.dumps({"status": "success", "msg": "", "data": text, "log": False}).encode()


@dataclass(frozen=True)
class Seen:
    """A request a TinySite received (header names lower-cased)."""

    method: str
    path: str
    headers: Mapping[str, str]
    body: bytes


class Exchange:
    """One request being answered: what came in, and how to write the reply."""

    def __init__(self, handler: _Handler, request: Seen) -> None:
        self._handler = handler
        self.request = request

    @property
    def site(self) -> TinySite:
        return self._handler.server.site

    def reply(
        self, status: int, body: bytes = b"", headers: Iterable[tuple[str, str]] = ()
    ) -> None:
        """A reply with a Content-Length."""
        handler = self._handler
        handler.send_response(status)
        for name, value in headers:
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        self._write(body)

    def chunked(
        self, status: int, chunks: Iterable[bytes], headers: Iterable[tuple[str, str]] = ()
    ) -> None:
        """A chunked reply, written until the chunks end, the client leaves or HARD_LIMIT."""
        handler = self._handler
        handler.send_response(status)
        for name, value in headers:
            handler.send_header(name, value)
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        handler.close_connection = True
        sent = 0
        try:
            for chunk in chunks:
                if sent >= HARD_LIMIT:
                    return
                handler.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                self.site._count(len(chunk))
                sent += len(chunk)
            handler.wfile.write(b"0\r\n\r\n")
        except OSError:
            return  # the client went away: what it read is what we counted

    def _write(self, body: bytes) -> None:
        with contextlib.suppress(OSError):
            self._handler.wfile.write(body)
            self.site._count(len(body))


Route = Callable[[Exchange], None]


def endless(chunk: bytes) -> Iterator[bytes]:
    """The same chunk for ever."""
    while True:
        yield chunk


class TinySite:
    """A small threaded HTTP(S) server on 127.0.0.1 whose paths are answered by routes.

    Example::

        with TinySite({"/": lambda ex: ex.reply(200, chat_page())}) as site:
            ...
            assert site.requests[0].path == "/"

    Args:
        routes: path -> route; other paths get 404.
        tls: serve HTTPS with this context.
    """

    def __init__(self, routes: Mapping[str, Route], *, tls: Optional[ssl.SSLContext] = None):
        self.routes = dict(routes)
        self._tls = tls
        self._lock = threading.Lock()
        self._requests: list[Seen] = []
        self._sent = 0
        self._server: Optional[_Server] = None
        self._thread: Optional[threading.Thread] = None

    @property
    def port(self) -> int:
        assert self._server is not None, "not started"
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        scheme = "https" if self._tls else "http"
        return f"{scheme}://127.0.0.1:{self.port}"

    @property
    def requests(self) -> list[Seen]:
        with self._lock:
            return list(self._requests)

    @property
    def bytes_sent(self) -> int:
        """Body bytes handed to the kernel so far (over every reply)."""
        with self._lock:
            return self._sent

    def _count(self, size: int) -> None:
        with self._lock:
            self._sent += size

    def _record(self, seen: Seen) -> None:
        with self._lock:
            self._requests.append(seen)

    def start(self) -> TinySite:
        server = _Server(("127.0.0.1", 0), self)
        if self._tls is not None:
            server.socket = self._tls.wrap_socket(server.socket, server_side=True)
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> TinySite:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], site: TinySite) -> None:
        self.site = site
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind() does a reverse DNS lookup; not needed here.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = "127.0.0.1", int(self.server_address[1])

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients hang up on purpose in these tests


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def setup(self) -> None:
        super().setup()
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER)

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def _dispatch(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        seen = Seen(
            method=self.command,
            path=urlsplit(self.path).path or "/",
            headers={name.lower(): value for name, value in self.headers.items()},
            body=body,
        )
        site = self.server.site
        site._record(seen)
        route = site.routes.get(seen.path)
        exchange = Exchange(self, seen)
        if route is None:
            exchange.reply(404, b"not found")
        else:
            route(exchange)
