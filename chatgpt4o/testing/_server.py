"""The stand-in's HTTP/1.1 server: reads each request, asks a responder, writes its SiteReply.

Hand-written on ``http.server`` because the stand-in must control the bytes a framework would
tidy up: chunk boundaries and pauses, dropped connections, streams with no terminating chunk.
"""

from __future__ import annotations

import contextlib
import socket
import sys
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import urlsplit

from chatgpt4o.testing._recording import (
    RecordedRequest,
    header_dict,
    parse_cookies,
    parse_form,
    parse_query,
)
from chatgpt4o.testing._replies import SiteReply, html_reply

MAX_BODY = 16 * 1024 * 1024

Responder = Callable[[RecordedRequest], SiteReply]
"""Decides the reply to one request (delays and drops are carried in the SiteReply)."""


class SiteServer(ThreadingHTTPServer):
    """A threading HTTP server on a background thread that answers with ``respond``.

    It tracks its connections so ``stop()`` can close them all, and cuts pending delays short.
    """

    daemon_threads = True
    block_on_close = False
    request_queue_size = 1024  # SDK tests open hundreds of connections at once

    def __init__(self, address: tuple[str, int], respond: Responder, *, options: bool) -> None:
        self.respond = respond
        self.options = options
        self.stopping = threading.Event()
        self._conn_lock = threading.Lock()
        self._conns: dict[threading.Thread, socket.socket] = {}
        self._thread: threading.Thread | None = None
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, _Handler)

    def start(self) -> None:
        """Serve in a daemon thread."""
        self._thread = threading.Thread(
            target=self.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"chatgpt4o-local-site-{self.server_port}",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop serving: close the listening socket and every open connection, join threads."""
        self.stopping.set()
        self.shutdown()
        self._close_connections(timeout=5.0)
        self.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5.0)

    def server_bind(self) -> None:
        # HTTPServer.server_bind() calls getfqdn(), a slow reverse DNS lookup we don't need.
        super(ThreadingHTTPServer, self).server_bind()  # socketserver.TCPServer.server_bind
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    def process_request(self, request: Any, client_address: Any) -> None:
        thread = threading.Thread(
            target=self._serve_connection, args=(request, client_address), daemon=True
        )
        with self._conn_lock:
            self._conns[thread] = request
        thread.start()

    def _serve_connection(self, request: Any, client_address: Any) -> None:
        try:
            self.process_request_thread(request, client_address)
        finally:
            with self._conn_lock:
                self._conns.pop(threading.current_thread(), None)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return  # the client went away; nothing to report
        super().handle_error(request, client_address)

    def _close_connections(self, timeout: float) -> None:
        with self._conn_lock:
            items = list(self._conns.items())
        for _, conn in items:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        deadline = time.monotonic() + timeout
        for thread, _ in items:
            thread.join(max(0.0, deadline - time.monotonic()))


class _Handler(BaseHTTPRequestHandler):
    """Reads a request, asks the server's responder for a SiteReply and writes it byte for byte."""

    protocol_version = "HTTP/1.1"
    server_version = "Apache"
    sys_version = ""
    timeout = 60.0  # idle keep-alive connections
    server: SiteServer

    def setup(self) -> None:
        super().setup()
        # Without this, Nagle's algorithm holds back SSE chunks and small replies.
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: the site keeps its own request log

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_HEAD(self) -> None:
        self._dispatch(head=True)

    def do_OPTIONS(self) -> None:
        if not self.server.options:
            # What BaseHTTPRequestHandler answers without a do_OPTIONS, as before AIPKit.
            self.send_error(HTTPStatus.NOT_IMPLEMENTED, f"Unsupported method ({self.command!r})")
            return
        self._dispatch()

    def _read_body(self) -> bytes | None:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked()
        length_text = self.headers.get("Content-Length")
        if not length_text:
            return b""
        try:
            length = int(length_text)
        except ValueError:
            return None
        if length < 0 or length > MAX_BODY:
            return None
        return self.rfile.read(length)

    def _read_chunked(self) -> bytes | None:
        parts: list[bytes] = []
        total = 0
        while True:
            line = self.rfile.readline(1024)
            try:
                size = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                return None
            if size == 0:
                while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass
                return b"".join(parts)
            total += size
            if total > MAX_BODY:
                return None
            parts.append(self.rfile.read(size))
            self.rfile.readline(1024)

    def _dispatch(self, *, head: bool = False) -> None:
        body = self._read_body()
        if body is None:
            self.close_connection = True
            self._write(html_reply(400, "Bad Request"), head=head)
            return
        target = urlsplit(self.path)
        query = parse_query(target.query)
        content_type = self.headers.get("Content-Type", "")
        fields = parse_form(content_type, body) if self.command == "POST" else dict(query)
        request = RecordedRequest(
            method=self.command,
            path=target.path or "/",
            query=query,
            content_type=content_type,
            fields=fields,
            headers=header_dict(self.headers.items()),
            cookies=parse_cookies(self.headers.get_all("Cookie") or []),
            body=body,
            remote_addr=str(self.client_address[0]),
        )
        self._write(self.server.respond(request), head=head)

    def _write(self, reply: SiteReply, *, head: bool) -> None:
        stopping = self.server.stopping
        if reply.delay and stopping.wait(reply.delay):
            self.close_connection = True
            return
        if reply.drop:
            self.close_connection = True
            return
        try:
            phrase = HTTPStatus(reply.status).phrase
        except ValueError:
            phrase = ""
        headers = list(reply.headers)
        names = {name.lower() for name, _ in headers}
        if "server" not in names:
            headers.insert(0, ("Server", self.version_string()))
        headers.insert(0, ("Date", self.date_time_string()))
        if reply.events is None:
            headers.append(("Content-Length", str(len(reply.body))))
        else:
            headers.append(("Transfer-Encoding", "chunked"))
        if reply.close:
            headers.append(("Connection", "close"))
            self.close_connection = True
        head_bytes = f"HTTP/1.1 {reply.status} {phrase}\r\n".encode("latin-1")
        head_bytes += b"".join(f"{k}: {v}\r\n".encode("latin-1") for k, v in headers) + b"\r\n"
        try:
            if reply.events is None:
                self.wfile.write(head_bytes if head else head_bytes + reply.body)
                return
            self.wfile.write(head_bytes)
            if head:
                self.close_connection = True
                return
            for index, event in enumerate(reply.events):
                pause = reply.delays[index] if index < len(reply.delays) else 0.0
                if pause and stopping.wait(pause):
                    self.close_connection = True
                    return
                self.wfile.write(b"%x\r\n%s\r\n" % (len(event), event))
                self.wfile.flush()
            if reply.complete:
                self.wfile.write(b"0\r\n\r\n")
            else:
                self.close_connection = True
        except (ConnectionError, TimeoutError):
            self.close_connection = True
