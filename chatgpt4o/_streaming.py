"""Decode the plugin's server-sent-event replies incrementally, without I/O, for both clients."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional, Union

from ._constants import MAX_SSE_LINE_BYTES
from ._exceptions import APIError, BadReplyError, Chatgpt4oError
from ._protocol import interpret_payload, parse_json_body

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

__all__ = [
    "MAX_LINE_BYTES",
    "SSEDecoder",
    "ServerSentEvent",
    "StreamDecoder",
    "decode_stream",
    "is_event_stream",
]

MAX_LINE_BYTES = MAX_SSE_LINE_BYTES

_EVENT_STREAM = "text/event-stream"
_DONE = "[DONE]"
_LIMITED = "[LIMITED]"
# Keys of the plugin's own JSON objects (replies and flag lines), as opposed to model chunks.
_PAYLOAD_KEYS = (
    "status",
    "tokenLimitReached",
    "ipBanned",
    "messageFlagged",
    "modflag",
    "pineconeError",
)
# Error mode builds its JSON by string concatenation: the word between these is raw text.
_WORD_HEAD = '"content":"'
_WORD_TAIL = '"}}]}'
_HEAD_BYTES = 2048


def is_event_stream(content_type: Optional[str]) -> bool:
    """Tell whether a Content-Type header announces a server-sent-event stream.

    Example::

        is_event_stream("text/event-stream;charset=UTF-8")  # True
        is_event_stream("application/json; charset=UTF-8")  # False

    Args:
        content_type: the header value, or None when the reply had none.
    """
    if not content_type:
        return False
    value = content_type.strip().lower()
    rest = value[len(_EVENT_STREAM) :]
    return value.startswith(_EVENT_STREAM) and (not rest or rest[0] in "; ,\t")


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


_Item = Union[ServerSentEvent, str]


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
        """Add bytes; return the events they complete (maybe none).

        Raises:
            BadReplyError: a line, event or run of non-SSE text is longer than the cap.
        """
        return [item for item in self._decode(chunk) if isinstance(item, ServerSentEvent)]

    def flush(self) -> list[ServerSentEvent]:
        """At EOF: finish the last line and return the final event, even without a blank line.

        Raises:
            BadReplyError: the last line is longer than the cap.
        """
        return [item for item in self._finish() if isinstance(item, ServerSentEvent)]

    def _decode(self, chunk: bytes) -> Iterator[_Item]:
        """Events and non-SSE lines (as str), in stream order.

        A generator, so that an error in a later line surfaces only after the items before it,
        whatever the chunking.
        """
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

    def _finish(self) -> Iterator[_Item]:
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

    def _line(self, line: bytes) -> Optional[_Item]:
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


class StreamDecoder:
    """Turn an AI Power SSE reply, fed as raw bytes, into reply text pieces or a typed error.

    Feed every chunk as it arrives and pass the returned pieces on at once; call :meth:`close`
    at EOF. Handles the 1.9.x ending (``data: [DONE]``), the 1.8.79 one (``[DONE]`` then a bare
    JSON reply), ``finish_reason`` endings, flag lines, and the plugin's error mode (the
    upstream's error message re-sent one word per event), which becomes an :class:`APIError`.
    Comments, keep-alives and events named other than ``message`` are ignored. After an error,
    every further call raises the same error.

    Example::

        decoder = StreamDecoder(url)
        for chunk in response.iter_bytes():
            yield from decoder.feed(chunk)
        yield from decoder.close()

    Args:
        url: the URL that answered, named in errors.
    """

    def __init__(self, url: str) -> None:
        self._url = url
        self._sse = SSEDecoder(url=url)
        self._pieces: list[str] = []
        # text is read after every chunk by callers that show progress: join only what is new.
        self._joined = ""
        self._joined_count = 0
        self._words: list[str] = []
        self._done = False
        self._closed = False
        self._error: Optional[Chatgpt4oError] = None
        self._head = bytearray()

    @property
    def done(self) -> bool:
        """True once an end marker (``[DONE]``, ``finish_reason``, the final JSON) was seen."""
        return self._done

    @property
    def text(self) -> str:
        """All reply pieces so far, joined."""
        if self._joined_count != len(self._pieces):
            self._joined += "".join(self._pieces[self._joined_count :])
            self._joined_count = len(self._pieces)
        return self._joined

    def feed(self, chunk: bytes) -> list[str]:
        """Add bytes; return the reply pieces they complete (maybe ``[]``).

        Raises:
            APIError, TokenLimitError, ContentFlaggedError, NonceError: the stream said so.
            BadReplyError: a data line that is not JSON, or an over-long line.
        """
        if self._error is not None:
            raise self._error
        if self._closed:
            raise ValueError("StreamDecoder.feed() called after close()")
        if len(self._head) < _HEAD_BYTES:
            self._head += chunk[: _HEAD_BYTES - len(self._head)]
        pieces: list[str] = []
        try:
            for item in self._sse._decode(chunk):
                self._handle(item, pieces)
        except Chatgpt4oError as exc:
            self._error = exc
            raise
        return pieces

    def close(self) -> list[str]:
        """At EOF: return the last pieces, or raise if the stream did not end well.

        Raises:
            BadReplyError: no end marker (a cut stream), or an end marker but no text.
            APIError and subclasses: error-mode words, a final error object.
        """
        if self._error is not None:
            raise self._error
        if self._closed:
            return []
        self._closed = True
        pieces: list[str] = []
        try:
            for item in self._sse._finish():
                self._handle(item, pieces, at_eof=True)
            if self._words:
                raise self._word_error()
            if not self._done:
                raise BadReplyError(
                    f"The event stream from {self._url} ended before the end marker "
                    f"([DONE] or finish_reason); {len(self.text)} characters received. "
                    "The connection was cut or the site timed out; try again.",
                    url=self._url,
                    body=self._head_text(),
                )
            if not self.text.strip():
                raise BadReplyError(
                    f"The event stream from {self._url} ended without any reply text (empty reply)",
                    url=self._url,
                    body=self._head_text(),
                )
        except Chatgpt4oError as exc:
            self._error = exc
            raise
        return pieces

    def _handle(self, item: _Item, pieces: list[str], *, at_eof: bool = False) -> None:
        if isinstance(item, str):
            self._stray_line(item, pieces)
        elif item.event is None or item.event == "message":
            self._data(item.data, pieces, at_eof=at_eof)

    def _data(self, data: str, pieces: list[str], *, at_eof: bool = False) -> None:
        stripped = data.strip()
        if not stripped:
            return
        if stripped == _DONE:
            if self._words:
                raise self._word_error()
            self._done = True
            return
        if stripped == _LIMITED:
            if self._words:
                raise self._word_error()
            raise APIError(
                "the site's connection to the model failed mid-reply ([LIMITED]); try again",
                url=self._url,
            )
        try:
            value: object = json.loads(stripped)
        except (ValueError, RecursionError):
            word = _raw_word(stripped)
            if word is None:
                if at_eof:
                    # An event cut by EOF: close() reports the truncation, not bad JSON.
                    return
                raise BadReplyError(
                    f"Unexpected line in the event stream from {self._url}: expected JSON, "
                    f"got {stripped[:80]!r}",
                    url=self._url,
                    body=self._head_text(),
                ) from None
            self._words.append(word)
            return
        if not isinstance(value, dict):
            raise BadReplyError(
                f"Unexpected line in the event stream from {self._url}: expected a JSON object, "
                f"got {stripped[:80]!r}",
                url=self._url,
                body=self._head_text(),
            )
        if "choices" in value:
            self._chunk(value, stripped, pieces)
        else:
            self._payload(value, pieces)

    def _chunk(self, chunk: Mapping[str, object], raw: str, pieces: list[str]) -> None:
        choices = chunk["choices"]
        if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
            return
        choice: Mapping[str, object] = choices[0]
        content = _choice_text(choice)
        finished = bool(choice.get("finish_reason"))
        if "id" not in chunk and "object" not in chunk:
            # Error mode: the plugin re-sends the upstream's error message word by word, in
            # chunks it builds itself (no id/object). These words are never reply text.
            word = _raw_word(raw)
            word = content if word is None else word
            if word:
                self._words.append(word)
            if finished:
                if self._words:
                    raise self._word_error()
                self._done = True
            return
        if content:
            self._pieces.append(content)
            pieces.append(content)
        if finished:
            self._done = True

    def _payload(self, payload: Mapping[str, object], pieces: list[str]) -> None:
        if self._words:
            raise self._word_error()
        if not any(key in payload for key in _PAYLOAD_KEYS):
            error = payload.get("error")
            if isinstance(error, dict):
                message = error.get("message")
                raise APIError(
                    message if isinstance(message, str) and message else json.dumps(error)[:200],
                    url=self._url,
                )
            return
        if payload.get("status") == "success" and self._pieces:
            # 1.8.79 repeats the whole reply after [DONE]; the streamed pieces already hold it.
            self._done = True
            return
        text = interpret_payload(payload, self._url)
        self._pieces.append(text)
        pieces.append(text)
        self._done = True

    def _stray_line(self, line: str, pieces: list[str]) -> None:
        if "{" not in line:
            return
        try:
            payload = parse_json_body(line, self._url)
        except (BadReplyError, RecursionError):
            return
        self._payload(payload, pieces)

    def _word_error(self) -> APIError:
        message = "".join(self._words).strip()
        return APIError(message or "(the upstream error had no message)", url=self._url)

    def _head_text(self) -> str:
        return self._head.decode("utf-8", "replace")


def _choice_text(choice: Mapping[str, object]) -> str:
    delta = choice.get("delta")
    if isinstance(delta, dict):
        content = delta.get("content")
        if isinstance(content, str):
            return content
    text = choice.get("text")
    return text if isinstance(text, str) else ""


def _raw_word(data: str) -> Optional[str]:
    """The word of an error-mode chunk, taken verbatim (its JSON may be invalid), or None."""
    if not data.startswith('{"choices"') or not data.endswith(_WORD_TAIL):
        return None
    start = data.find(_WORD_HEAD)
    end = len(data) - len(_WORD_TAIL)
    if start < 0 or start + len(_WORD_HEAD) > end:
        return None
    return data[start + len(_WORD_HEAD) : end]


def decode_stream(body: bytes, url: str) -> str:
    """Decode a whole SSE reply body to the reply text, or raise the typed error it carries.

    Example::

        decode_stream(b'data: {"id":"c","object":"chat.completion.chunk","choices":'
                      b'[{"delta":{"content":"Hi"}}]}\\n\\ndata: [DONE]\\n\\n', url)  # 'Hi'

    Args:
        body: the complete reply body.
        url: the URL that answered, named in errors.

    Raises:
        BadReplyError: empty, cut or malformed stream.
        APIError and subclasses: the site or the upstream refused.
    """
    decoder = StreamDecoder(url)
    pieces = decoder.feed(body)
    pieces += decoder.close()
    return "".join(pieces)
