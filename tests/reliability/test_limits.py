"""Size caps hold while reading: an endless or compressed page or reply is cut off, bounded.

A tiny server streams for ever (or up to a hard limit far above the caps) and counts what it
managed to send; the client must raise ``BadReplyError`` having taken in little more than its
cap. What the client holds is counted where its transport hands the body over, decoded: never
more than a bounded piece at a time, and little more than the cap in all, whatever the framing
(chunked, ``Content-Length``, close-delimited) and the encoding (a compression bomb).
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import json
import socket
import socketserver
import threading
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Callable

import pytest

import chatgpt4o
import chatgpt4o._http
from chatgpt4o import APITimeoutError, BadReplyError
from chatgpt4o._constants import MAX_PAGE_BYTES, MAX_REPLY_BYTES, MAX_SSE_LINE_BYTES
from chatgpt4o._http import ACCEPT_ENCODING, READ_SIZE, BodyLimit, ContentDecoder
from tests.reliability._servers import (
    CHUNK,
    Exchange,
    Route,
    TinySite,
    chat_page,
    endless,
)

# What the kernel may hold between the two ends of a loopback connection (the client's
# autotuned receive buffer, the server's small send buffer) on top of what the client read.
SLACK = 16 * 1024 * 1024
# The most one read may hand over decoded (Brotli overshoots its output limit a little).
PIECE = 2 * READ_SIZE
AJAX = "/wp-admin/admin-ajax.php"
HTML = ("content-type", "text/html; charset=UTF-8")
JSON = ("content-type", "application/json; charset=UTF-8")
SSE = ("content-type", "text/event-stream;charset=UTF-8")

EVENT = (
    "data: "
    + json.dumps(
        {
            "id": "chatcmpl-1",
            "object": "chat.completion.chunk",
            "choices": [{"index": 0, "delta": {"content": "more "}, "finish_reason": None}],
        }
    )
    + "\n\n"
).encode()


def endless_page(exchange: Exchange) -> None:
    exchange.chunked(200, endless(b"<p>" + b"x" * (CHUNK - 3)), [HTML])


def page(exchange: Exchange) -> None:
    exchange.reply(200, chat_page(), [HTML])


def endless_json(exchange: Exchange) -> None:
    head = b'{"status":"success","msg":"","data":"'
    exchange.chunked(200, _after(head, endless(b"a" * CHUNK)), [JSON])


def endless_events(exchange: Exchange) -> None:
    exchange.chunked(200, endless(EVENT * (CHUNK // len(EVENT))), [SSE])


def endless_line(exchange: Exchange) -> None:
    exchange.chunked(200, _after(b'data: {"choices":"', endless(b"b" * CHUNK)), [SSE])


def _after(head: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    yield head
    yield from rest


@dataclass(frozen=True)
class Endless:
    """An endless body somewhere; ``cap`` is the limit the client must stop at."""

    id: str
    routes: dict[str, Callable[[Exchange], None]]
    cap: int
    streamed: bool = False


CASES = [
    Endless("page", {"/": endless_page}, MAX_PAGE_BYTES),
    Endless("JSON reply", {"/": page, AJAX: endless_json}, MAX_REPLY_BYTES),
    Endless("SSE events, joined", {"/": page, AJAX: endless_events}, MAX_REPLY_BYTES),
    Endless("SSE events, streamed", {"/": page, AJAX: endless_events}, MAX_REPLY_BYTES, True),
    Endless("one SSE line", {"/": page, AJAX: endless_line}, MAX_SSE_LINE_BYTES, True),
]


def call_sync(url: str, streamed: bool, pieces: list[int], timeout: float = 5) -> None:
    """Make the call, counting in ``pieces[0]`` the pieces that arrive."""
    with chatgpt4o.Client(url, timeout=timeout, max_retries=0, verify=False) as client:
        if not streamed:
            client.ask("hello")
            return
        with client.stream(None, "hello") as stream:
            for _ in stream:
                pieces[0] += 1


async def call_async(url: str, streamed: bool, pieces: list[int], timeout: float = 5) -> None:
    async with chatgpt4o.AsyncClient(url, timeout=timeout, max_retries=0, verify=False) as client:
        if not streamed:
            await client.ask("hello")
            return
        async with client.stream(None, "hello") as stream:
            async for _ in stream:
                pieces[0] += 1


@dataclass
class Taken:
    """The body bytes a client's transport handed over, decoded: in all, and the most at once."""

    total: int = 0
    largest: int = 0


@pytest.fixture
def taken(monkeypatch: pytest.MonkeyPatch) -> Taken:
    """Counts every body piece both transports pass to their size cap."""
    seen = Taken()
    count = BodyLimit.add

    def counted(limit: BodyLimit, chunk: bytes) -> bytes:
        seen.total += len(chunk)
        seen.largest = max(seen.largest, len(chunk))
        return count(limit, chunk)

    monkeypatch.setattr(BodyLimit, "add", counted)
    return seen


def call(
    kind: str, url: str, streamed: bool = False, timeout: float = 5
) -> tuple[BaseException, int]:
    """The error a call to ``url`` raised, and how many reply pieces arrived before it."""
    pieces: list[int] = [0]
    try:
        if kind == "sync":
            call_sync(url, streamed, pieces, timeout)
        else:
            asyncio.run(call_async(url, streamed, pieces, timeout))
    except Exception as exc:
        return exc, pieces[0]
    raise AssertionError("the call returned a reply")


@pytest.mark.parametrize("kind", ["sync", "async"])
@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_an_endless_body_is_cut_off_at_its_cap(case: Endless, kind: str, taken: Taken) -> None:
    with TinySite(case.routes) as server:
        outcome, pieces = call(kind, server.url, case.streamed)
    sent = server.bytes_sent

    assert isinstance(outcome, BadReplyError), repr(outcome)
    assert "larger than" in str(outcome) or "longer than" in str(outcome), str(outcome)
    page_bytes = len(chat_page()) if AJAX in case.routes else 0
    assert case.cap <= sent - page_bytes <= case.cap + SLACK, sent
    # The body is never held much beyond the cap, and never more than a piece at once.
    assert taken.total <= page_bytes + case.cap + PIECE, taken
    assert taken.largest <= PIECE, taken
    if case.streamed and case.cap == MAX_REPLY_BYTES:
        assert pieces > 1000  # the pieces did flow until the cap stopped them


# -- a reply that trickles in ------------------------------------------------------------------


def endless_comments(exchange: Exchange) -> None:
    exchange.chunked(200, endless(b": keep-alive\n\n"), [SSE])


@pytest.mark.parametrize("kind", ["sync", "async"])
@pytest.mark.parametrize("streamed", [False, True], ids=["create", "stream"])
@pytest.mark.parametrize(
    ("route", "every"),
    [(endless_events, 0.5), (endless_comments, 0.2)],
    ids=["an event every 0.5 s", "a comment every 0.2 s"],
)
def test_a_trickling_reply_is_cut_off_at_the_timeout(
    route: Route, every: float, streamed: bool, kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The site sends without pause; the clock the deadline reads moves on by ``every`` each
    # time it is read, as if each piece came that much after the one before.
    now = [1000.0]

    def clock() -> float:
        now[0] += every
        return now[0]

    monkeypatch.setattr(chatgpt4o._http, "monotonic", clock)
    with TinySite({"/": page, AJAX: route}) as server:
        url = server.url
        outcome, _ = call(kind, url, streamed, timeout=2)

    assert isinstance(outcome, APITimeoutError), repr(outcome)
    assert "Timed out after 2 s waiting for" in str(outcome)
    assert outcome.url == url + AJAX
    assert now[0] - 1000 < 4 * 2  # stopped on its first check past the deadline


def test_the_deadline_is_set_when_the_request_starts(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [0.0]
    monkeypatch.setattr(chatgpt4o._http, "monotonic", lambda: now[0])
    limit = BodyLimit(100, "http://site.test/", seconds=2)
    now[0] = 2.0
    assert limit.add(b"in time") == b"in time"
    now[0] = 2.01
    with pytest.raises(APITimeoutError, match="Timed out after 2 s"):
        limit.add(b"late")


# -- compression bombs, in every framing --------------------------------------------------------

BOMB_MIB = 64  # what a bomb inflates to: far past the page cap, and quick to make
ENCODINGS = [name.strip() for name in ACCEPT_ENCODING.split(",")]  # br when Brotli is installed
FRAMINGS = ["chunked", "content-length", "close"]


def bomb(encoding: str) -> list[bytes]:
    """A body in ``encoding`` that inflates to BOMB_MIB MiB of zeros, as a list of pieces.

    Each MiB is compressed after a full flush, so every piece after the first is the same
    few bytes (about 1 KiB for gzip and deflate, 13 for br): the bomb costs nothing to make.
    """
    mebibyte = bytes(1 << 20)
    if encoding == "br":
        import brotli

        compressor = brotli.Compressor(quality=5)
        first = compressor.process(mebibyte) + compressor.flush()
        again = compressor.process(mebibyte) + compressor.flush()
    else:
        wbits = zlib.MAX_WBITS | 16 if encoding == "gzip" else zlib.MAX_WBITS
        deflate = zlib.compressobj(9, zlib.DEFLATED, wbits)
        first = deflate.compress(mebibyte) + deflate.flush(zlib.Z_FULL_FLUSH)
        again = deflate.compress(mebibyte) + deflate.flush(zlib.Z_FULL_FLUSH)
    return [first] + [again] * (BOMB_MIB - 1)


class BombSite(socketserver.ThreadingTCPServer):
    """Answers every request on 127.0.0.1 with a compression bomb, framed as asked."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, framing: str, encoding: str) -> None:
        super().__init__(("127.0.0.1", 0), _BombHandler)
        self.framing, self.encoding = framing, encoding
        self.body = bomb(encoding)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def __enter__(self) -> BombSite:
        threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.02}).start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.shutdown()
        self.server_close()


class _BombHandler(socketserver.StreamRequestHandler):
    server: BombSite

    def handle(self) -> None:
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 64 * 1024)
        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
            pass  # the request's head; a GET has no body
        site = self.server
        head = [
            "HTTP/1.1 200 OK",
            "Content-Type: text/html; charset=UTF-8",
            f"Content-Encoding: {site.encoding}",
            "Connection: close",
        ]
        if site.framing == "chunked":
            head.append("Transfer-Encoding: chunked")
        elif site.framing == "content-length":
            head.append(f"Content-Length: {sum(map(len, site.body))}")
        with contextlib.suppress(OSError):  # the client hangs up at its cap
            self.wfile.write(("\r\n".join(head) + "\r\n\r\n").encode())
            for piece in site.body:
                if site.framing == "chunked":
                    piece = b"%x\r\n%s\r\n" % (len(piece), piece)
                self.wfile.write(piece)
            if site.framing == "chunked":
                self.wfile.write(b"0\r\n\r\n")


@pytest.mark.parametrize("kind", ["sync", "async"])
@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("framing", FRAMINGS)
def test_a_compression_bomb_is_cut_off_as_it_inflates(
    framing: str, encoding: str, kind: str, taken: Taken
) -> None:
    with BombSite(framing, encoding) as site:
        outcome, _ = call(kind, site.url)

    assert isinstance(outcome, BadReplyError), repr(outcome)
    assert f"larger than {MAX_PAGE_BYTES} bytes" in str(outcome), str(outcome)
    # Counted as it inflated: a bounded piece at a time, and stopped just past the cap.
    assert taken.largest <= PIECE, taken
    assert MAX_PAGE_BYTES < taken.total <= MAX_PAGE_BYTES + PIECE, taken
    assert taken.total < BOMB_MIB << 20  # what the whole body would have been


@pytest.mark.parametrize(
    ("encoding", "body"),
    [
        ("gzip", gzip.compress(b"one ") + gzip.compress(b"two")),  # two members
        ("deflate", zlib.compress(b"one two")[2:-4]),  # raw deflate, without zlib's wrapper
        ("", b"one two"),
    ],
)
def test_the_decoder_reads_what_servers_send(encoding: str, body: bytes) -> None:
    decoder = ContentDecoder(encoding, "http://site.test/")
    assert b"".join(piece for byte in body for piece in decoder.feed(bytes([byte]))) == b"one two"


def test_an_encoding_not_asked_for_is_refused() -> None:
    with pytest.raises(BadReplyError, match="encoded as 'zstd', which was not asked for"):
        ContentDecoder("zstd", "http://site.test/")
