"""The HTTP vocabulary the core and the transports share: requests to make, replies received.

A leaf module: the dialects, the nonce cache and both transports import it; it imports nothing
of the package but the error tree and the constants.
"""

from __future__ import annotations

import email.utils
import json
import re
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from time import monotonic
from typing import Literal, Optional, Union

from ._exceptions import APITimeoutError, BadReplyError

__all__ = [
    "ACCEPT_ENCODING",
    "KEY_SHAPE",
    "NONCE_SHAPE",
    "READ_SIZE",
    "BodyLimit",
    "ContentDecoder",
    "Reply",
    "Request",
    "bad_reply",
    "is_event_stream",
    "lower_headers",
    "parse_json_body",
    "parse_retry_after",
]

ReaderKind = Literal["page", "json", "wpaicg", "aipkit-stream", "aipkit-json"]

_EVENT_STREAM = "text/event-stream"
# WordPress nonces are 10 lowercase hex digits (part of an MD5). wp_create_nonce() is pluggable,
# so other hex lengths and upper case pass; placeholders, markup and garbage do not.
NONCE_SHAPE = re.compile(r"[0-9a-fA-F]{6,32}")
# What the plugin's sanitize_key() keeps: the form of session_id and conversation_uuid.
KEY_SHAPE = re.compile(r"[a-z0-9_-]{1,64}")
_JSON = json.JSONDecoder()
# About the most a body read hands over at once, decoded: what a size cap can overshoot by.
READ_SIZE = 64 * 1024

_GZIP = zlib.MAX_WBITS | 16
# Content-Encoding -> zlib's wbits ("" is no encoding; br is brotli's, when installed).
_CODINGS: dict[str, int] = {"": 0, "gzip": _GZIP, "x-gzip": _GZIP, "deflate": zlib.MAX_WBITS}
try:  # br only with a decoder whose output can be bounded (Brotli >= 1.2)
    import brotli as _brotli

    _BrotliError: type[Exception] = _brotli.error
    if hasattr(_brotli.Decompressor, "can_accept_more_data"):
        _CODINGS["br"] = 0
except ImportError:  # pragma: no cover - depends on what is installed
    _BrotliError = zlib.error
ACCEPT_ENCODING = ", ".join(name for name in _CODINGS if name and name != "x-gzip")


@dataclass(frozen=True)
class Request:
    """One HTTP request the core wants made; the transports perform it as given.

    Attributes:
        method: ``"GET"`` or ``"POST"``.
        url: the absolute URL, without query.
        reader: how the reply is read (see ``_exchange.open_reader``).
        limit: the largest reply body accepted, in bytes.
        params: query-string fields, in order.
        data: form fields for a POST body (urlencoded), in order; None for no body.
        headers: headers for this request on top of the client's own.
        timeout: seconds for this request, or None for the client's timeout.
        follow_redirects: the page may redirect; a chat request never carries its nonce elsewhere.
    """

    method: str
    url: str
    reader: ReaderKind
    limit: int
    params: Mapping[str, str] = field(default_factory=dict)
    data: Optional[Mapping[str, str]] = field(default=None, repr=False)
    headers: Mapping[str, str] = field(default_factory=dict)
    timeout: Optional[float] = None
    follow_redirects: bool = False


@dataclass(frozen=True)
class Reply:
    """One HTTP reply as the core sees it, whichever library fetched it.

    Attributes:
        status_code: the HTTP status.
        headers: header names in lower case.
        body: the body bytes (already cut at the size cap by the transport).
        url: the final URL, after redirects, without its query.
        method: the request's method.
        now: when the reply arrived (epoch seconds), for HTTP-date ``Retry-After``.
    """

    status_code: int
    headers: Mapping[str, str]
    body: bytes = field(repr=False)
    url: str
    method: str = "GET"
    now: float = 0.0

    @property
    def content_type(self) -> str:
        """The Content-Type header, lower-cased, or ``""``."""
        return self.headers.get("content-type", "").lower()

    @property
    def text(self) -> str:
        """The body decoded as UTF-8 (undecodable bytes replaced)."""
        return self.body.decode("utf-8", "replace")

    def with_body(self, body: Union[bytes, bytearray]) -> Reply:
        """This reply's status, headers and URL with ``body`` (readers get the head first)."""
        return Reply(self.status_code, self.headers, bytes(body), self.url, self.method, self.now)


class BodyLimit:
    """The limits one request's reply is read under: its size, and a deadline.

    The deadline is set when the request starts, ``seconds`` from then, and checked as each
    piece of the body arrives; the size is counted piece by piece. So neither a huge body nor
    one that trickles in (an event every half second, a ``:`` comment every 0.2 s) holds a
    call past its limits. Silence is the HTTP library's read timeout's to catch.

    Example::

        limit = BodyLimit(request.limit, request.url, seconds=30)
        for chunk in chunks:
            body += limit.add(chunk)
    """

    def __init__(self, limit: int, url: str, *, seconds: float, method: str = "GET") -> None:
        self._limit = limit
        self._url = url
        self._seconds = seconds
        self._method = method
        self._deadline = monotonic() + seconds
        self.size = 0

    def add(self, chunk: bytes) -> bytes:
        """Count ``chunk`` and return it; raises once past the size or the deadline.

        Raises:
            BadReplyError: the body is larger than the limit.
            APITimeoutError: the reply is still coming after ``seconds``.
        """
        self.size += len(chunk)
        if self.size > self._limit:
            raise BadReplyError(
                f"The reply from {self._url} is larger than {self._limit} bytes; stopped reading",
                url=self._url,
                method=self._method,
            )
        if monotonic() > self._deadline:
            raise APITimeoutError(
                f"Timed out after {self._seconds:g} s waiting for {self._url} "
                "(the whole reply must arrive within the timeout)",
                url=self._url,
                method=self._method,
            )
        return chunk


class ContentDecoder:
    """Undoes a body's ``Content-Encoding`` about ``READ_SIZE`` decoded bytes at a time.

    Hand-written because httpx decodes each network read whole: 64 KiB of gzip can inflate
    to 64 MiB, of brotli to gigabytes, before a size cap sees a byte. (urllib3 bounds its
    own decoding, so the requests transport reads through it.) Handles gzip, deflate and,
    with Brotli installed, br: what ``ACCEPT_ENCODING`` asks for.

    Example::

        decoder = ContentDecoder(headers.get("content-encoding", ""), url)
        for piece in decoder.feed(raw):
            limit.add(piece)
    """

    def __init__(self, content_encoding: str, url: str) -> None:
        self._url = url
        codings = [
            name
            for name in (part.strip().lower() for part in content_encoding.split(","))
            if name and name != "identity"
        ]
        self._coding = codings[0] if codings else ""
        if len(codings) > 1 or self._coding not in _CODINGS:
            raise BadReplyError(
                f"The reply from {url} is encoded as {content_encoding!r}, which was not "
                f"asked for ({ACCEPT_ENCODING})",
                url=url,
            )
        wbits = _CODINGS[self._coding]
        self._zlib = zlib.decompressobj(wbits) if wbits else None
        self._sniffed: Optional[bytes] = b"" if self._coding == "deflate" else None
        self._br = _brotli.Decompressor() if self._coding == "br" else None

    def feed(self, data: bytes) -> Iterator[bytes]:
        """The decoded pieces of ``data``, each decoded only when the previous one is taken."""
        try:
            if self._zlib is not None:
                yield from self._inflate(data)
            elif self._br is not None:
                yield from self._unbrotli(data)
            elif data:
                yield data
        except (zlib.error, _BrotliError) as exc:
            raise BadReplyError(
                f"The reply from {self._url} is not valid {self._coding} ({exc})", url=self._url
            ) from exc

    def _inflate(self, data: bytes) -> Iterator[bytes]:
        if self._sniffed is not None:
            # Some servers send raw deflate, without the zlib wrapper HTTP asks for; the
            # wrapper's first two bytes (RFC 1950) tell.
            data = self._sniffed = self._sniffed + data
            if len(data) < 2:
                return
            self._sniffed = None
            if data[0] & 0x0F != 8 or (data[0] << 8 | data[1]) % 31:
                self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
        decompressor = self._zlib
        assert decompressor is not None
        while True:
            piece = decompressor.decompress(data, READ_SIZE)
            if piece:
                yield piece
            data = decompressor.unconsumed_tail
            if (
                decompressor.eof
                and self._coding != "deflate"
                and decompressor.unused_data[:2] == b"\x1f\x8b"
            ):
                # Another gzip member follows (RFC 1952 allows several); other trailing
                # bytes are ignored, as browsers do.
                data = decompressor.unused_data
                decompressor = self._zlib = zlib.decompressobj(_GZIP)
                continue
            if not data and len(piece) < READ_SIZE:
                return

    def _unbrotli(self, data: bytes) -> Iterator[bytes]:
        decompressor = self._br
        assert decompressor is not None
        piece = decompressor.process(data, output_buffer_limit=READ_SIZE)
        # Brotli may hold decoded output back even once it takes input again: drain it.
        while piece or not decompressor.can_accept_more_data():
            yield piece
            piece = decompressor.process(b"", output_buffer_limit=READ_SIZE)


def bad_reply(reply: Reply, message: str) -> BadReplyError:
    """A ``BadReplyError`` carrying ``reply``'s URL, method, status and first 500 characters."""
    return BadReplyError(
        message,
        url=reply.url,
        method=reply.method,
        status_code=reply.status_code,
        body=reply.text[:500],
    )


def lower_headers(items: Mapping[str, str]) -> dict[str, str]:
    """Header names in lower case (both HTTP libraries' header maps go through this)."""
    return {name.lower(): value for name, value in items.items()}


def is_event_stream(content_type: Optional[str]) -> bool:
    """Tell whether a Content-Type header announces a server-sent-event stream.

    Example::

        >>> is_event_stream("text/event-stream;charset=UTF-8")
        True
        >>> is_event_stream("application/json; charset=UTF-8")
        False
    """
    if not content_type:
        return False
    value = content_type.strip().lower()
    rest = value[len(_EVENT_STREAM) :]
    return value.startswith(_EVENT_STREAM) and (not rest or rest[0] in "; ,\t")


def parse_retry_after(value: Optional[str], *, now: float) -> Optional[float]:
    """Return the seconds a ``Retry-After`` header asks for, or None if absent or unreadable.

    Accepts delta-seconds (``"3"``, ``"1.5"``) and HTTP-dates; a date in the past gives 0.

    Example::

        >>> parse_retry_after("3", now=0.0)
        3.0
    """
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None or when.tzinfo is None:
            return None
        seconds = when.timestamp() - now
    if seconds != seconds:  # NaN
        return None
    return max(0.0, seconds)


def parse_json_body(text: str, url: str, *, method: str = "POST") -> dict[str, object]:
    """Parse a JSON object from a reply body, skipping PHP warnings printed before it.

    Example::

        >>> parse_json_body('<b>Warning</b>: x {"status":"success"}', "https://a.example")
        {'status': 'success'}

    Raises:
        BadReplyError: no JSON object in the body (HTML page, ``0``, truncated JSON).
    """
    start = text.find('{"')
    if start < 0:
        start = text.find("{")
    if start >= 0:
        try:
            value, _ = _JSON.raw_decode(text, start)
        except (json.JSONDecodeError, RecursionError):
            pass
        else:
            if isinstance(value, dict):
                return value
    if start >= 0:
        what = "truncated JSON"
    elif "<" in text:
        what = "HTML"
    elif text.strip():
        what = repr(text.strip()[:40])
    else:
        what = "an empty body"
    raise BadReplyError(
        f"Unexpected reply from {url}: expected a JSON object, got {what}",
        url=url,
        method=method,
        body=text,
    )
