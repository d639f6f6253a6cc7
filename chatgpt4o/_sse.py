"""Server-sent events: the generic line protocol, decoded incrementally and without I/O.

Hand-written on purpose: the plugin's streams need what SSE libraries drop — the lines that are not
SSE at all (1.8.79 writes its whole JSON reply bare after ``[DONE]``) — and both transports need
one decoder fed with raw bytes split anywhere.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Optional, Union

from ._constants import MAX_SSE_LINE_BYTES
from ._exceptions import BadReplyError

__all__ = ["MAX_LINE_BYTES", "SSEDecoder", "SSEItem", "ServerSentEvent"]

MAX_LINE_BYTES = MAX_SSE_LINE_BYTES


@dataclass(frozen=True)
class ServerSentEvent:
    """One server-sent event.

    Example::

        ServerSentEvent(event=None, data='{"choices":[...]}')

    Attributes:
        event: the ``event:`` field, or None when the event had none (the default type).
        data: the ``data:`` lines joined by ``"\\n"``.
    """

    event: Optional[str]
    data: str


SSEItem = Union[ServerSentEvent, str]


class SSEDecoder:
    """Turn bytes split at arbitrary points into server-sent events (the generic line protocol).

    Lines may end in ``\\n``, ``\\r\\n`` or ``\\r``; ``:`` lines are comments; several ``data:``
    lines make one multi-line event; ``id:``/``retry:`` are ignored. Lines that are not SSE at all
    (such as the bare JSON object AI Power 1.8.79 writes after ``[DONE]``) are kept in
    :attr:`trailing`.

    Example::

        decoder = SSEDecoder()
        decoder.feed(b"data: hel")        # []
        decoder.feed(b"lo\\n\\n")          # [ServerSentEvent(event=None, data='hello')]
        decoder.feed(b'{"status":"success"}')
        decoder.flush()                   # []
        decoder.trailing                  # '{"status":"success"}'

    Args:
        url: named in the error raised for an over-long line.
        max_line_bytes: the longest line, event data, or run of non-SSE text accepted.
    """

    def __init__(self, *, url: str = "", max_line_bytes: int = MAX_LINE_BYTES) -> None:
        self._url = url
        self._max = max_line_bytes
        self._partial = bytearray()
        # The previous chunk ended in "\r": a "\n" opening the next one belongs to that line end.
        self._skip_lf = False
        self._first_line = True
        self._event: Optional[str] = None
        self._data: list[str] = []
        self._data_size = 0
        self._trailing: list[str] = []
        self._trailing_size = 0

    @property
    def trailing(self) -> str:
        """The non-SSE lines received since the last event, joined by ``"\\n"`` (``""`` if none)."""
        return "\n".join(self._trailing)

    def feed(self, chunk: bytes) -> list[ServerSentEvent]:
        """Add bytes; return the events they complete (BadReplyError past the line cap)."""
        return [item for item in self.items(chunk) if isinstance(item, ServerSentEvent)]

    def flush(self) -> list[ServerSentEvent]:
        """At EOF: finish the last line and return the final event, even without a blank line."""
        return [item for item in self.finish_items() if isinstance(item, ServerSentEvent)]

    def items(self, chunk: bytes) -> Iterator[SSEItem]:
        """Add bytes; yield the events and non-SSE lines (str) they complete, in order (an error
        in a later line surfaces after the items before it, whatever the chunking)."""
        if self._skip_lf and chunk:
            self._skip_lf = False
            if chunk[:1] == b"\n":
                chunk = chunk[1:]
        if not chunk:
            return
        if chunk.find(b"\n") < 0 and chunk.find(b"\r") < 0:
            self._partial += chunk
            if len(self._partial) > self._max:
                raise self._too_long("a line")
            return
        if self._partial:
            chunk = bytes(self._partial) + chunk
            self._partial = bytearray()
        lines = chunk.splitlines(keepends=True)
        tail = b""
        if lines[-1][-1:] == b"\r":
            self._skip_lf = True
        elif lines[-1][-1:] != b"\n":
            tail = lines.pop()
        for line in lines:
            item = self._line(line.rstrip(b"\r\n"))
            if item is not None:
                yield item
        if len(tail) > self._max:
            raise self._too_long("a line")
        self._partial = bytearray(tail)

    def finish_items(self) -> Iterator[SSEItem]:
        """At EOF: the last line's item and the final event, in stream order."""
        self._skip_lf = False
        if self._partial:
            line = bytes(self._partial)
            self._partial = bytearray()
            item = self._line(line)
            if item is not None:
                yield item
        event = self._dispatch()
        if event is not None:
            yield event

    def _line(self, line: bytes) -> Optional[SSEItem]:
        if len(line) > self._max:
            raise self._too_long("a line")
        text = line.decode("utf-8", "replace")
        if self._first_line:
            self._first_line = False
            text = text.removeprefix("\ufeff")
        if not text:
            return self._dispatch()
        if text[0] == ":":
            return None
        name, _, value = text.partition(":")
        if value[:1] == " ":
            value = value[1:]
        if name == "data":
            self._data_size += len(value) + 1
            if self._data_size > self._max:
                raise self._too_long("an event")
            self._data.append(value)
        elif name == "event":
            self._event = value or None
        elif name not in ("id", "retry"):
            self._trailing_size += len(line) + 1
            if self._trailing_size > self._max:
                raise self._too_long("text that is not an event")
            self._trailing.append(text)
            return text
        return None

    def _dispatch(self) -> Optional[ServerSentEvent]:
        event = ServerSentEvent(self._event, "\n".join(self._data)) if self._data else None
        if event is not None:
            self._trailing = []
            self._trailing_size = 0
        self._data = []
        self._data_size = 0
        self._event = None
        return event

    def _too_long(self, what: str) -> BadReplyError:
        return BadReplyError(
            f"The event stream from {self._url or 'the site'} sent {what} longer than "
            f"{self._max} bytes without a break; giving up on this reply",
            url=self._url,
        )
