"""Idle and slow connections cannot starve the server: a header deadline and a connection cap."""

from __future__ import annotations

import contextlib
import socket
import urllib.request
from collections.abc import Iterator

import pytest

pytest.importorskip("uvicorn")

from chatgpt4o.serve import create_app

from ._server import ServerThread

_GUARD = 10.0  # a bound on a socket read that should end at once, never a performance limit
_NO_SITE = "http://127.0.0.1:9"  # /health never reaches the site


@contextlib.contextmanager
def _server(**options: float) -> Iterator[ServerThread]:
    with ServerThread(create_app(_NO_SITE, api_key=None), **options) as server:
        yield server


def _health(server: ServerThread) -> int:
    with urllib.request.urlopen(server.url + "/health", timeout=_GUARD) as reply:
        return int(reply.status)


def _closed_by_server(sock: socket.socket) -> bool:
    sock.settimeout(_GUARD)
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True


def test_a_flood_of_idle_connections_does_not_stop_a_real_request() -> None:
    with _server(max_connections=20) as server, contextlib.ExitStack() as stack:
        address = ("127.0.0.1", server.port)
        idle = [stack.enter_context(socket.create_connection(address)) for _ in range(200)]
        assert _health(server) == 200
        assert server.open_connections() <= 20
        assert _closed_by_server(idle[0])  # the one idle longest made room


@pytest.mark.parametrize("sent", [b"", b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n"])
def test_a_connection_that_sends_no_whole_request_is_closed(sent: bytes) -> None:
    with _server(header_timeout=0.05) as server:
        with socket.create_connection(("127.0.0.1", server.port)) as sock:
            sock.sendall(sent)
            assert _closed_by_server(sock)
        assert _health(server) == 200


def test_a_kept_alive_connection_serves_its_next_request() -> None:
    import http.client

    with _server(header_timeout=5.0) as server:
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=_GUARD)
        try:
            for _ in range(3):
                connection.request("GET", "/health")
                reply = connection.getresponse()
                assert (reply.status, reply.read()) == (200, b'{"status":"ok"}')
        finally:
            connection.close()
