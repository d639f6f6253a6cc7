"""The benchmarks' site: a realistic ~300 KB chat page and a zero-latency server that plays it.

The stand-in ``chatgpt4o.testing.LocalSite`` is faithful, but as a threading ``http.server`` it
spends a few hundred µs on each request, which would be added to both sides of every ratio and
pull it towards 1; it is used where the site's own behaviour is the point (``serve``). This
server does almost nothing per request (asyncio, keep-alive, TCP_NODELAY, pre-encoded replies):

- ``GET /`` (any other path): the recorded AI Power 1.8.79 page grown to ~300 KB with what a
  live WordPress page carries (head CSS and scripts, a JSON-LD graph, a menu, the page's text,
  comments, footer bundles; fixed seed, so every run reads the same bytes). ``GET /aipkit/``:
  the same page with the recorded AI Puffer 2.4.71 bot in place of the old chat.
- ``POST /wp-admin/admin-ajax.php``: the old plugin's success JSON, or for
  ``aipkit_cache_sse_message`` the cache JSON.
- ``GET /wp-admin/admin-ajax.php?action=aipkit_frontend_chat_stream``: the recorded 2.4.71
  event stream (4 KB preamble, ``message_start``, two ``status``, three deltas, ``done``).
- ``GET /_bench/stats`` (``?reset=1`` zeroes them): ``{"page_fetches": n}``.

With ``stream_delay`` (``SiteThread`` only) every chat reply streams: the head at once, the
first content chunk ``stream_delay`` later (its send time kept in ``first_sent``), the rest
after as long again; the old plugin's reply then comes as its SSE.

``spawn()`` runs a command that serves HTTP (this module, the stand-in, ``chatgpt4o serve``) in
a child process on a free port, so that on a 2-core machine the client has a core to itself.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from functools import cache
from pathlib import Path
from typing import Iterator, List, Optional, Sequence, Tuple

_TESTS = Path(__file__).resolve().parent.parent / "tests"
AJAX_PATH = "/wp-admin/admin-ajax.php"
AIPKIT_PATH = "/aipkit"
REPLY = "Echo: hi"
# The tokens in the two recorded pages: (nonce, post id, bot id).
TOKENS = {"wpaicg": ("14004b0807", "4", "0"), "aipkit": ("defb835c4d", "6", "5")}

_WORDS = (  # noqa: SIM905 (prose reads better than a list of 40 strings)
    "the model answers questions about code travel recipes history and science in plain "
    "language ask it to summarise an article translate a paragraph or explain a concept our "
    "assistant runs on a WordPress site and replies in a few seconds privacy matters"
).split()


def _text(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(_WORDS) for _ in range(words)).capitalize() + "."


def _script(rng: random.Random, size: int) -> str:
    parts: List[str] = []
    while sum(map(len, parts)) < size:
        a, b = rng.choice(_WORDS), rng.choice(_WORDS)
        parts.append(
            rng.choice(
                (
                    f"function {a}_{b}(x,n){{return x&&x.length>n?x.slice(0,n):x}}",
                    f"var {a}=document.querySelectorAll('.entry-content a[href^=\"http\"]');",
                    f"window.{a}=window.{a}||[];{a}.push({{event:'{b}',ts:Date.now()}});",
                )
            )
        )
    return "".join(parts)


def _filler(rng: random.Random) -> List[Tuple[str, bool, str]]:
    css = "".join(
        f".wp-{rng.choice(_WORDS)}-{i}{{margin:0 0 1em;padding:.5em {i % 4}em;color:#1e1e1e}}"
        + (f"@media (max-width:{480 + i}px){{.wp-{i}{{display:flex}}}}" if i % 7 == 0 else "")
        for i in range(400)
    )
    graph = [{"@type": "WebPage", "name": _text(rng, 8), "description": _text(rng, 30)}] * 12
    head = (
        f"<style id='wp-block-library-inline-css'>{css}</style>\n"
        f'<script type="application/ld+json">{json.dumps({"@graph": graph})}</script>\n'
        f"<script id='analytics-js'>{_script(rng, 6_000)}</script>\n"
    )
    menu = "".join(
        f'<li class="menu-item"><a href="https://example.org/{i}/{j}/">{_text(rng, 3)}</a></li>'
        for i in range(14)
        for j in range(7)
    )
    intro = "".join(f"<p>{_text(rng, rng.randint(40, 90))}</p>\n" for _ in range(14))
    comment = (
        '<li id="comment-{n}" class="comment depth-1"><article class="comment-body">'
        '<img alt="" src="https://secure.gravatar.com/avatar/{n:032x}?s=60" class="avatar" '
        'height="60" width="60" loading="lazy"/><b class="fn">{who}</b> '
        '<time datetime="2024-05-01T10:00:00+00:00">May 1, 2024</time>'
        '<div class="comment-content"><p>{text}</p></div><a rel="nofollow" '
        'class="comment-reply-link" href="#comment-{n}" data-commentid="{n}">Reply</a>'
        "</article></li>"
    )
    comments = "".join(
        comment.format(n=n, who=_text(rng, 2), text=_text(rng, rng.randint(30, 120)))
        # One reader quotes the chat's markup, escaped: text, not an element.
        + ('<pre><code>&lt;div class="wpaicg-chat-shortcode" data-nonce="0"&gt;</code></pre>')
        * (n % 40 == 4)
        for n in range(1, 165)
    )
    # (where, before it or after it, what): the chat sits a little before the page's middle.
    return [
        ("</head>", True, head),
        ("</header><!-- #masthead -->", False, f'<nav class="menu"><ul>{menu}</ul></nav>'),
        ('<div class="entry-content">', False, intro),
        ("</article><!-- #post-4 -->", False, f'<ol class="comment-list">{comments}</ol>'),
        ("</body>", True, f"<script id='theme-bundle-js'>{_script(rng, 38_000)}</script>\n"),
    ]


def _entry_content(html: str) -> str:
    start = html.index('<div class="entry-content">')
    return html[start : html.index("</div><!-- .entry-content -->", start)]


@cache
def page(generation: str = "wpaicg") -> str:
    """The realistic page with the old chat (``"wpaicg"``) or the 2.4.71 bot (``"aipkit"``)."""
    html = (_TESTS / "aipower-1.8.79-front-page.html").read_text(encoding="utf-8")
    if generation == "aipkit":
        bot = (_TESTS / "fixtures" / "aipkit" / "2.4.71" / "front-page.html").read_text("utf-8")
        html = html.replace(_entry_content(html), _entry_content(bot))
    for marker, before, text in _filler(random.Random(20240513)):
        at = html.index(marker) + (0 if before else len(marker))
        html = html[:at] + text + html[at:]
    return html


def _response(content_type: str, body: bytes, extra: bytes = b"") -> bytes:
    head = f"HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
    return head.encode() + extra + b"\r\n" + body


def _chunk(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


def _json(value: object) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def _completion_chunk(content: Optional[str], finish: Optional[str] = None) -> bytes:
    delta = {} if content is None else {"content": content}
    choice = {"index": 0, "delta": delta, "finish_reason": finish}
    return b"data: " + _json({"object": "chat.completion.chunk", "choices": [choice]}) + b"\n\n"


_STREAM_HEAD = (
    b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\n"
    b"Cache-Control: no-cache\r\nTransfer-Encoding: chunked\r\n\r\n"
)
_STATUS = b'event: status\ndata: {"type":"response.%s","status":"in_progress",' + (
    b'"response_id":"resp_fake00000000000000000000000000000000"}\n\n'
)
# The recorded 2.4.71 stream (tests/fixtures/aipkit/2.4.71/02-message.body): what comes before
# the first delta, the first delta, the rest.
_AIPKIT_STREAM = (
    b":" + b" " * 4096 + b"\n\n"
    b'event: message_start\ndata: {"message_id":"aipkit-msg-6b0f961a7c8900.66954138"}\n\n'
    + _STATUS % b"created"
    + _STATUS % b"in_progress",
    b'data: {"delta":"Echo"}\n\n',
    b'data: {"delta":":"}\n\ndata: {"delta":" hi"}\n\n'
    b'event: openai_response_id\ndata: {"id":"resp_fake00000000000000000000000000000000"}\n\n'
    b'event: done\ndata: {"finished":true}\n\n',
)
_OLD_STREAM = (
    b"",
    _completion_chunk("Echo"),
    _completion_chunk(": hi") + _completion_chunk(None, "stop") + b"data: [DONE]\n\n",
)


class _App:
    """The replies, pre-encoded, and the counters."""

    def __init__(self, stream_delay: Optional[float]) -> None:
        html = "text/html; charset=UTF-8"
        json_type = "application/json; charset=UTF-8"
        self.pages = {name: _response(html, page(name).encode()) for name in TOKENS}
        cache = {"success": True, "data": {"cache_key": "aipkit_sse_Q2pgtvRM2xNOoRBB5TG"}}
        self.cache = _response(json_type, _json(cache))
        self.success = _response(json_type, _json({"status": "success", "data": REPLY}))
        self.stream_delay = stream_delay
        self.page_fetches = 0
        self.first_sent: List[float] = []

    def handle(
        self, transport: asyncio.Transport, method: bytes, target: bytes, body: bytes
    ) -> None:
        path, _, query = target.partition(b"?")
        if path == AJAX_PATH.encode():
            if b"aipkit_cache_sse_message" in body:
                transport.write(self.cache)
            elif method == b"GET":
                self._stream(transport, _AIPKIT_STREAM)
            elif self.stream_delay is None:
                transport.write(self.success)
            else:
                self._stream(transport, _OLD_STREAM)
        elif path == b"/_bench/stats":
            transport.write(
                _response("application/json", _json({"page_fetches": self.page_fetches}))
            )
            if b"reset=1" in query:
                self.page_fetches = 0
        else:
            self.page_fetches += 1
            transport.write(self.pages["aipkit" if path.startswith(b"/aipkit") else "wpaicg"])

    def _stream(self, transport: asyncio.Transport, parts: Sequence[bytes]) -> None:
        head, first, rest = (_chunk(part) if part else b"" for part in parts)
        if self.stream_delay is None:
            transport.write(_STREAM_HEAD + head + first + rest + b"0\r\n\r\n")
            return
        transport.write(_STREAM_HEAD + head)
        later = asyncio.get_running_loop().call_later

        def send_first() -> None:
            transport.write(first)  # straight to the kernel: nothing is queued before it
            self.first_sent.append(time.perf_counter())
            later(self.stream_delay or 0.0, transport.write, rest + b"0\r\n\r\n")

        later(self.stream_delay, send_first)


class _Http(asyncio.Protocol):
    def __init__(self, app: _App) -> None:
        self.app = app
        self.buffer = bytearray()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        transport.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while (end := self.buffer.find(b"\r\n\r\n")) >= 0:
            head = bytes(self.buffer[:end])
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.lower() == b"content-length":
                    length = int(value)
            if len(self.buffer) < end + 4 + length:
                return
            body = bytes(self.buffer[end + 4 : end + 4 + length])
            del self.buffer[: end + 4 + length]
            method, target, _ = head.split(b" ", 2)
            self.app.handle(self.transport, method, target, body)


async def _listen(app: _App, port: int = 0) -> asyncio.Server:
    loop = asyncio.get_running_loop()
    return await loop.create_server(lambda: _Http(app), "127.0.0.1", port, backlog=2048)


class SiteThread:
    """The server on an event loop in a daemon thread of this process (the caller's clock)."""

    def __init__(self, stream_delay: Optional[float] = None) -> None:
        self.app = _App(stream_delay)
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self.url = ""

    def _run(self) -> None:
        server = self._loop.run_until_complete(_listen(self.app))
        self.url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
        self._ready.set()
        self._loop.run_forever()
        server.close()

    def __enter__(self) -> SiteThread:
        threading.Thread(target=self._run, name="bench-site", daemon=True).start()
        self._ready.wait()
        return self

    def __exit__(self, *exc: object) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)


def page_fetches(url: str, *, reset: bool = False) -> int:
    """How many pages the server in a child process has served (and zero the count)."""
    with urllib.request.urlopen(f"{url}/_bench/stats{'?reset=1' if reset else ''}") as reply:
        return int(json.loads(reply.read())["page_fetches"])


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def spawn(argv: Sequence[str], ready_path: str = "/") -> Iterator[str]:
    """Run ``python ARGV --port N`` in a child process; yield its URL once it answers HTTP."""
    with spawn_process(argv, ready_path) as (url, _):
        yield url


@contextlib.contextmanager
def spawn_process(argv: Sequence[str], ready_path: str = "/") -> Iterator[Tuple[str, int]]:
    """spawn(), yielding the child's process id too (to read the CPU it uses)."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHATGPT4O_")}
    process = subprocess.Popen(
        [sys.executable, *argv, "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            if process.poll() is not None:
                raise RuntimeError(f"{' '.join(argv)} exited with {process.returncode}")
            try:
                urllib.request.urlopen(url + ready_path, timeout=5).close()
                break
            except urllib.error.HTTPError:
                break  # it answers
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError(f"{' '.join(argv)} did not answer at {url}")
        yield url, process.pid
    finally:
        process.terminate()
        process.wait(10)


def spawn_site() -> contextlib.AbstractContextManager[str]:
    """This module's server in a child process."""
    return spawn([str(Path(__file__).resolve())])


def _main() -> None:
    parser = argparse.ArgumentParser(description="Serve the benchmark site until killed.")
    parser.add_argument("--port", type=int, default=0)
    port = parser.parse_args().port

    async def serve() -> None:
        server = await _listen(_App(None), port)
        print(f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}", flush=True)
        await asyncio.Event().wait()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve())


if __name__ == "__main__":
    _main()
