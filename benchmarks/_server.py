"""A minimal, fast HTTP/1.1 server playing an AI Power site, for timing the client, not the site.

The stand-in ``chatgpt4o.testing.LocalSite`` is faithful (real nonces, every era's bytes, faults)
but it is a threading ``http.server``: a few hundred microseconds of server work per request,
added equally to both sides of a comparison, shrink every ratio towards 1. This server does
almost nothing per request, so a ratio shows the clients:

- ``GET /`` (any path but the AJAX one): the realistic ~300 KB page with the old plugin's chat
  (see _sitepage.py); ``GET /aipkit`` (and below it): the same page with the current plugin's
  bot (AI Puffer 2.4.71, ``div.aipkit_chat_container[data-config]``).
- ``POST /wp-admin/admin-ajax.php``, old protocol (``action=wpaicg_chat_shortcode_message``):
  the plugin's success JSON, or with ``sse=True`` an SSE reply whose first content chunk is timed
  (``first_sent``) and whose rest follows ``rest_delay`` later.
- ``POST /wp-admin/admin-ajax.php`` with ``action=aipkit_cache_sse_message``: the cache JSON,
  ``{"success":true,"data":{"cache_key":"aipkit_sse_…"}}``.
- ``GET /wp-admin/admin-ajax.php?action=aipkit_frontend_chat_stream&…``: the 2.4.71 event stream
  as recorded (tests/fixtures/aipkit/2.4.71/02-message.body): the 4096-space preamble comment,
  ``message_start``, two ``status`` events, ``data: {"delta":…}`` pieces, ``openai_response_id``,
  ``event: done``. With ``sse=True`` the preamble and the leading events go at once, the first
  delta after ``first_delay`` (timed in ``first_sent``) and the rest ``rest_delay`` later.
- ``GET /_bench/stats`` (``?reset=1`` to zero them):
  ``{"page_fetches": n, "posts": n, "streams": n, "connections": n}`` (connections accepted).

Keep-alive always, TCP_NODELAY, replies pre-encoded. It runs on an asyncio loop in a thread of
the benchmark's process (``ServerThread``, when the server's clock must be the caller's) or in
its own process (``spawn()``, so that on a 2-core machine it does not compete with the client
for the GIL). Run as a script, it serves until killed and prints its URL first.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional

from _sitepage import realistic_page

__all__ = [
    "AIPKIT_CACHE_KEY",
    "AIPKIT_DELTAS",
    "AIPKIT_PATH",
    "AJAX_PATH",
    "REPLY_TEXT",
    "ServerThread",
    "Spawned",
    "spawn",
    "stats",
]

AJAX_PATH = "/wp-admin/admin-ajax.php"
AIPKIT_PATH = "/aipkit"  # the page with the current plugin's bot
REPLY_TEXT = "Echo: hi"
AIPKIT_CACHE_KEY = "aipkit_sse_Q2pgtvRM2xNOoRBB5TGiuFd6MVRVkInf"
AIPKIT_DELTAS = ("Echo", ":", " hi")  # joined: REPLY_TEXT
_CACHE_JSON = json.dumps(
    {"success": True, "data": {"cache_key": AIPKIT_CACHE_KEY}}, separators=(",", ":")
).encode()
_AIPKIT_HEAD_EVENTS = (
    b":" + b" " * 4096 + b"\n\n"
    b'event: message_start\ndata: {"message_id":"aipkit-msg-6b0f961a7c8900.66954138"}\n\n'
    b'event: status\ndata: {"type":"response.created","status":"in_progress",'
    b'"response_id":"resp_fake00000000000000000000000000000000"}\n\n'
    b'event: status\ndata: {"type":"response.in_progress","status":"in_progress",'
    b'"response_id":"resp_fake00000000000000000000000000000000"}\n\n'
)
_AIPKIT_TAIL_EVENTS = (
    b'event: openai_response_id\ndata: {"id":"resp_fake00000000000000000000000000000000"}\n\n'
    b'event: done\ndata: {"finished":true}\n\n'
)
_SUCCESS = json.dumps(
    {
        "status": "success",
        "msg": "Something went wrong",
        "greeting_message": "Converse as if you were an AI assistant. Tone: Friendly.\n",
        "data": REPLY_TEXT,
        "log": False,
    },
    separators=(",", ":"),
).encode()
_AJAX_HEADERS = (
    b"X-Robots-Tag: noindex\r\nX-Content-Type-Options: nosniff\r\n"
    b"Cache-Control: no-cache, must-revalidate, max-age=0\r\n"
)


def _response(status: str, content_type: str, body: bytes, extra: bytes = b"") -> bytes:
    head = (
        f"HTTP/1.1 {status}\r\nServer: Apache\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {len(body)}\r\n"
    ).encode()
    return head + extra + b"\r\n" + body


def _chunk(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


def _delta_event(text: str) -> bytes:
    return b"data: " + json.dumps({"delta": text}, separators=(",", ":")).encode() + b"\n\n"


def _sse_event(content: Optional[str], finish: Optional[str] = None) -> bytes:
    delta = {} if content is None else {"content": content}
    obj = {
        "id": "chatcmpl-bench",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": "gpt-4o-mini",
        "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
    }
    return b"data: " + json.dumps(obj, separators=(",", ":")).encode() + b"\n\n"


class _App:
    def __init__(self, *, sse: bool, first_delay: float, rest_delay: float) -> None:
        page = realistic_page().encode()
        self.page = _response("200 OK", "text/html; charset=UTF-8", page)
        aipkit_page = realistic_page(generation="aipkit").encode()
        self.aipkit_page = _response("200 OK", "text/html; charset=UTF-8", aipkit_page)
        self.success = _response(
            "200 OK", "application/json; charset=UTF-8", _SUCCESS, _AJAX_HEADERS
        )
        self.cache_reply = _response(
            "200 OK", "application/json; charset=UTF-8", _CACHE_JSON, _AJAX_HEADERS
        )
        self.aipkit_head = (
            b"HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\n"
            b"Content-Type: text/event-stream; charset=utf-8\r\nTransfer-Encoding: chunked\r\n"
            b"X-Robots-Tag: noindex\r\nX-Content-Type-Options: nosniff\r\n"
            b"Cache-Control: no-cache, no-store, must-revalidate, max-age=0, no-transform\r\n"
            b"Pragma: no-cache\r\n\r\n"
        ) + _chunk(_AIPKIT_HEAD_EVENTS)
        self.aipkit_first = _chunk(_delta_event(AIPKIT_DELTAS[0]))
        self.aipkit_rest = (
            b"".join(_chunk(_delta_event(text)) for text in AIPKIT_DELTAS[1:])
            + _chunk(_AIPKIT_TAIL_EVENTS)
            + b"0\r\n\r\n"
        )
        self.aipkit_whole = self.aipkit_head + self.aipkit_first + self.aipkit_rest
        self.sse = sse
        self.first_delay = first_delay
        self.rest_delay = rest_delay
        self.sse_head = (
            b"HTTP/1.1 200 OK\r\nServer: Apache\r\n"
            b"Content-Type: text/event-stream;charset=UTF-8\r\nCache-Control: no-cache\r\n"
            b"X-Accel-Buffering: no\r\nTransfer-Encoding: chunked\r\n\r\n"
        )
        self.sse_first = _chunk(_sse_event("Hello"))
        self.sse_rest = (
            _chunk(_sse_event(" there"))
            + _chunk(_sse_event(None, "stop"))
            + _chunk(b"data: [DONE]\n\n")
            + b"0\r\n\r\n"
        )
        self.page_fetches = 0
        self.posts = 0
        self.streams = 0
        self.connections = 0
        self.first_sent: List[float] = []

    def handle(
        self, transport: asyncio.Transport, method: bytes, target: bytes, body: bytes
    ) -> None:
        path, _, query = target.partition(b"?")
        if path == AJAX_PATH.encode():
            if method == b"POST" and b"aipkit_cache_sse_message" in body:
                self.posts += 1
                transport.write(self.cache_reply)
            elif method == b"POST":
                self.posts += 1
                if self.sse:
                    self._stream(transport, self.sse_head, self.sse_first, self.sse_rest)
                else:
                    transport.write(self.success)
            elif b"action=aipkit_frontend_chat_stream" in query:
                self.streams += 1
                if self.sse:
                    self._stream(transport, self.aipkit_head, self.aipkit_first, self.aipkit_rest)
                else:
                    transport.write(self.aipkit_whole)
            else:
                transport.write(_response("400 Bad Request", "text/html; charset=UTF-8", b"0"))
        elif path == b"/_bench/stats":
            counts = {"page_fetches": self.page_fetches, "posts": self.posts}
            counts["streams"] = self.streams
            counts["connections"] = self.connections
            if b"reset=1" in query:
                self.page_fetches = self.posts = self.streams = self.connections = 0
            transport.write(_response("200 OK", "application/json", json.dumps(counts).encode()))
        elif path.startswith(AIPKIT_PATH.encode()):
            self.page_fetches += 1
            transport.write(self.aipkit_page)
        else:
            self.page_fetches += 1
            transport.write(self.page)

    def _stream(
        self, transport: asyncio.Transport, head: bytes, first_chunk: bytes, rest_chunks: bytes
    ) -> None:
        loop = asyncio.get_running_loop()
        transport.write(head)

        def first() -> None:
            if transport.is_closing():
                return
            transport.write(first_chunk)
            # write() hands the bytes to the kernel at once when nothing is queued before them.
            self.first_sent.append(time.perf_counter())
            loop.call_later(self.rest_delay, rest)

        def rest() -> None:
            if not transport.is_closing():
                transport.write(rest_chunks)

        loop.call_later(self.first_delay, first)


class _Http(asyncio.Protocol):
    def __init__(self, app: _App) -> None:
        self.app = app
        self.buffer = bytearray()
        self.transport: Optional[asyncio.Transport] = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.app.connections += 1
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(self.buffer[:end])
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            if len(self.buffer) < end + 4 + length:
                return
            body = bytes(self.buffer[end + 4 : end + 4 + length])
            del self.buffer[: end + 4 + length]
            method, target, _ = head.split(b"\r\n", 1)[0].split(b" ", 2)
            assert self.transport is not None
            self.app.handle(self.transport, method, target, body)


async def _serve(app: _App, port: int = 0) -> asyncio.Server:
    loop = asyncio.get_running_loop()
    return await loop.create_server(
        lambda: _Http(app), "127.0.0.1", port, backlog=2048, reuse_address=True
    )


class ServerThread:
    """The server on its own event loop in a daemon thread of this process.

    Example::

        with ServerThread(sse=True) as server:
            ...  # server.url, server.app.first_sent
    """

    def __init__(self, *, sse: bool = False, first_delay: float = 0.0, rest_delay: float = 0.0):
        self.app = _App(sse=sse, first_delay=first_delay, rest_delay=rest_delay)
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bench-server", daemon=True)
        self.url = ""

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(_serve(self.app))
        self.url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
        self._ready.set()
        self._loop.run_forever()
        server.close()
        self._loop.run_until_complete(server.wait_closed())
        self._loop.close()

    def __enter__(self) -> ServerThread:
        self._thread.start()
        self._ready.wait()
        return self

    def __exit__(self, *exc: object) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)


@dataclass
class Spawned:
    """A server in a child process; stop() ends it."""

    url: str
    process: subprocess.Popen  # type: ignore[type-arg]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def __enter__(self) -> Spawned:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _read_url(process: subprocess.Popen) -> str:  # type: ignore[type-arg]
    assert process.stdout is not None
    line = str(process.stdout.readline()).strip()
    if not line.startswith("http://"):
        process.kill()
        raise RuntimeError(f"the server did not start: {line!r}")
    return line


def spawn() -> Spawned:
    """This server in a child process (JSON replies)."""
    process = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve())], stdout=subprocess.PIPE, text=True
    )
    return Spawned(_read_url(process), process)


def spawn_stand_in(profile: str = "1.9.18") -> Spawned:
    """The package's stand-in site (``python -m chatgpt4o.testing``) in a child process."""
    process = subprocess.Popen(
        [sys.executable, "-m", "chatgpt4o.testing", "--profile", profile],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    return Spawned(_read_url(process), process)


def stats(url: str, *, reset: bool = False) -> dict[str, int]:
    """The server's counters (and zero them with ``reset``)."""
    with urllib.request.urlopen(url + "/_bench/stats" + ("?reset=1" if reset else "")) as reply:
        return json.loads(reply.read())  # type: ignore[no-any-return]


def _main() -> None:
    parser = argparse.ArgumentParser(description="Serve the benchmark site until killed.")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()

    async def serve() -> None:
        server = await _serve(_App(sse=False, first_delay=0.0, rest_delay=0.0), args.port)
        print(f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}", flush=True)
        await asyncio.Event().wait()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve())


if __name__ == "__main__":
    _main()
