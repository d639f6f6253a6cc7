"""The old plugin's chat (AI Power 1.7 → 2.2, ``wpaicg_*``): the form, and every reply shape.

One POST per message; the reply is JSON (every era, PHP warnings before it included) or, with the
site's stream switch on, server-sent events with the plugin's own endings and error mode. The
SSE quirks here are the plugin's, so no SSE library handles them (see ``_sse.py``).
"""

from __future__ import annotations

import html
import json
import random
import string
from collections.abc import Mapping
from typing import Optional

from ._call import PreparedCall
from ._cloudflare import is_cloudflare_page
from ._constants import MAX_REPLY_BYTES
from ._exceptions import (
    BadReplyError,
    Chatgpt4oError,
    ContentFlaggedError,
    NonceError,
    PluginError,
    TokenLimitError,
    UpstreamError,
)
from ._http import Reply, Request, is_event_stream, parse_json_body
from ._page import PageChat
from ._sse import SSEDecoder, SSEItem
from ._status import raise_for_status

__all__ = [
    "SHORTCODE_ACTION",
    "WIDGET_ACTION",
    "WpaicgReader",
    "WpaicgStreamDecoder",
    "build_form",
    "chat_request",
    "interpret_payload",
    "interpret_reply",
    "new_client_id",
]

SHORTCODE_ACTION = "wpaicg_chat_shortcode_message"
WIDGET_ACTION = "wpaicg_chatbox_message"

_CLIENT_ID_ALPHABET = string.ascii_letters + string.digits
_NONCE_MESSAGES = ("nonce verification failed", "invalid nonce")
_TOKEN_LIMIT_MESSAGES = ("you have reached your token limit",)
_FLAGGED_MESSAGES = (
    "you are not allowed to access this feature",
    "your message contains prohibited words",
)
_FLAG_KEYS = ("ipBanned", "messageFlagged", "modflag")
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


def new_client_id(rng: Optional[random.Random] = None) -> str:
    """Return a fresh 10-character ``wpaicg_chat_client_id`` (the site's guest-quota key)."""
    choice = (rng or random.SystemRandom()).choice
    return "".join(choice(_CLIENT_ID_ALPHABET) for _ in range(10))


def build_form(
    chat: PageChat,
    message: str,
    *,
    client_id: str,
    bot_id: Optional[int] = None,
    history: str = "[]",
) -> dict[str, str]:
    """The POST fields for one chat message, in the order the site's own JS sends them.

    ``bot_id`` names a custom bot (None keeps the page's); ``history`` is the earlier turns' JSON.
    """
    bot = str(bot_id) if bot_id is not None else chat.bot_id
    identity = f"custom_bot_{bot}" if bot != "0" else chat.chat_type
    action = WIDGET_ACTION if chat.chat_type == "widget" else SHORTCODE_ACTION
    return {
        "_wpnonce": chat.nonce,
        "post_id": chat.post_id,
        "url": chat.page_url,
        "action": action,
        "message": message,
        "bot_id": bot,
        "chatbot_identity": identity,
        "wpaicg_chat_client_id": client_id,
        "wpaicg_chat_history": history,
    }


def chat_request(chat: PageChat, call: PreparedCall, *, client_id: str) -> Request:
    """The one POST that sends ``call`` to an old-plugin site."""
    if call.native is not None:
        message, history = call.native.wpaicg_message, call.native.wpaicg_history
    else:
        message, history = call.prompt, "[]"
    form = build_form(chat, message, client_id=client_id, bot_id=call.bot_id, history=history)
    return Request(
        "POST",
        chat.ajax_url,
        reader="wpaicg",
        limit=MAX_REPLY_BYTES,
        data=form,
        headers=call.extra_headers,
        timeout=call.timeout,
    )


def interpret_reply(reply: Reply) -> str:
    """The model's text from a whole chat reply (JSON of any era, or SSE), or its typed error.

    Raises:
        NonceError: the nonce was rejected (200 JSON in ≤1.8.90, 403 HTML from 1.8.91).
        PluginError and subclasses: the plugin refused with a message.
        BadReplyError: empty ``data``, HTML or truncated JSON, an unfinished stream.
        APIStatusError and subclasses: by HTTP status.
    """
    if (
        reply.status_code == 403
        and not _looks_like_json(reply.text)
        and not is_cloudflare_page(reply.text, reply.headers)
    ):
        raise NonceError(
            f"HTTP 403 from {reply.url}: the site rejected the nonce "
            '("The link you followed has expired"); it expired or was rotated',
            url=reply.url,
            method=reply.method,
            status_code=403,
        )
    raise_for_status(reply, action=SHORTCODE_ACTION)
    if is_event_stream(reply.content_type):
        decoder = WpaicgStreamDecoder(reply.url)
        return "".join([*decoder.feed(reply.body), *decoder.close()])
    return interpret_payload(parse_json_body(reply.text, reply.url), reply.url)


class WpaicgReader:
    """Reads the reply to an old-plugin chat POST from its head (status, headers, URL) on.

    A 200 event stream is decoded as it arrives; anything else is read whole and interpreted at
    the end (a non-streaming site gives its reply as one piece).
    """

    def __init__(self, head: Reply) -> None:
        self._head = head
        self._body = bytearray()
        streams = head.status_code == 200 and is_event_stream(head.content_type)
        self._decoder = WpaicgStreamDecoder(head.url) if streams else None

    def feed(self, chunk: bytes) -> list[str]:
        """Add body bytes; return the reply pieces they complete."""
        if self._decoder is not None:
            return self._decoder.feed(chunk)
        self._body += chunk
        return []

    def close(self) -> list[str]:
        """At the end of the body: the last pieces, or the typed error the reply stands for."""
        if self._decoder is not None:
            return self._decoder.close()
        return [interpret_reply(self._head.with_body(self._body))]


def _looks_like_json(text: str) -> bool:
    return text.lstrip().startswith(("{", "["))


def interpret_payload(payload: Mapping[str, object], url: str) -> str:
    """Return ``data`` from a plugin JSON object, or raise the typed error it stands for."""
    msg = payload.get("msg")
    message = html.unescape(msg) if isinstance(msg, str) else ""
    if payload.get("tokenLimitReached"):
        raise TokenLimitError(message or "token limit reached", url=url)
    if any(payload.get(key) for key in _FLAG_KEYS):
        raise ContentFlaggedError(message or "the site refused the message", url=url)
    if payload.get("pineconeError"):
        raise UpstreamError(message or "the site's embeddings lookup failed", url=url)
    status = payload.get("status")
    if status == "error":
        lowered = message.lower()
        if lowered.startswith(_NONCE_MESSAGES):
            raise NonceError(
                f"The site at {url} rejected the nonce ({message[:60]!r}); "
                "it expired or was rotated",
                url=url,
                method="POST",
            )
        if lowered.startswith(_TOKEN_LIMIT_MESSAGES):
            raise TokenLimitError(message, url=url)
        if lowered.startswith(_FLAGGED_MESSAGES):
            raise ContentFlaggedError(message, url=url)
        raise PluginError(message or "(no message)", url=url)
    data = payload.get("data")
    if status != "success" or not isinstance(data, str):
        raise BadReplyError(
            f"Unexpected response structure: 'data' field missing in the reply from {url}",
            url=url,
            body=json.dumps(payload)[:500],
        )
    if not data.strip():
        raise BadReplyError(
            f"The site at {url} answered success with an empty reply",
            url=url,
            body=json.dumps(payload)[:500],
        )
    return data


class WpaicgStreamDecoder:
    """Turn an AI Power SSE reply, fed as raw bytes, into reply text pieces or a typed error.

    Feed every chunk as it arrives and pass the returned pieces on at once; call :meth:`close`
    at EOF. Handles the 1.9.x ending (``data: [DONE]``), the 1.8.79 one (``[DONE]`` then a bare
    JSON reply), ``finish_reason`` endings, flag lines, and the plugin's error mode (the
    upstream's error message re-sent one word per event), which becomes an :class:`UpstreamError`.
    Comments, keep-alives and events named other than ``message`` are ignored. After an error,
    every further call raises the same error. ``close()`` is called once.

    Example::

        decoder = WpaicgStreamDecoder(url)
        for chunk in response.iter_bytes():
            yield from decoder.feed(chunk)
        yield from decoder.close()
    """

    def __init__(self, url: str) -> None:
        self._url = url
        self._sse = SSEDecoder(url=url)
        self._pieces: list[str] = []
        self._words: list[str] = []
        self._done = False
        self._error: Optional[Chatgpt4oError] = None
        self._head = bytearray()

    def feed(self, chunk: bytes) -> list[str]:
        """Add bytes; return the reply pieces they complete, or raise the error the stream says."""
        if self._error is not None:
            raise self._error
        if len(self._head) < _HEAD_BYTES:
            self._head += chunk[: _HEAD_BYTES - len(self._head)]
        pieces: list[str] = []
        try:
            for item in self._sse.items(chunk):
                self._handle(item, pieces)
        except Chatgpt4oError as exc:
            self._error = exc
            raise
        return pieces

    def close(self) -> list[str]:
        """At EOF: the last pieces, or the error of a stream cut, empty or ended in error mode."""
        if self._error is not None:
            raise self._error
        pieces: list[str] = []
        try:
            for item in self._sse.finish_items():
                self._handle(item, pieces, at_eof=True)
            self._raise_words()
            text = "".join(self._pieces)
            if not self._done:
                raise self._bad(
                    f"The event stream from {self._url} ended before the end marker "
                    f"([DONE] or finish_reason); {len(text)} characters received. "
                    "The connection was cut or the site timed out; try again."
                )
            if not text.strip():
                raise self._bad(
                    f"The event stream from {self._url} ended without any reply text (empty reply)"
                )
        except Chatgpt4oError as exc:
            self._error = exc
            raise
        return pieces

    def _handle(self, item: SSEItem, pieces: list[str], *, at_eof: bool = False) -> None:
        if isinstance(item, str):
            self._stray_line(item, pieces)
        elif item.event is None or item.event == "message":
            self._data(item.data, pieces, at_eof=at_eof)

    def _data(self, data: str, pieces: list[str], *, at_eof: bool = False) -> None:
        stripped = data.strip()
        if not stripped:
            return
        if stripped == _DONE:
            self._raise_words()
            self._done = True
            return
        if stripped == _LIMITED:
            self._raise_words()
            raise UpstreamError(
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
                raise self._bad(
                    f"Unexpected line in the event stream from {self._url}: expected JSON, "
                    f"got {stripped[:80]!r}"
                ) from None
            self._words.append(word)
            return
        if not isinstance(value, dict):
            raise self._bad(
                f"Unexpected line in the event stream from {self._url}: expected a JSON object, "
                f"got {stripped[:80]!r}"
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
                self._raise_words()
                self._done = True
            return
        if content:
            self._pieces.append(content)
            pieces.append(content)
        if finished:
            self._done = True

    def _payload(self, payload: Mapping[str, object], pieces: list[str]) -> None:
        self._raise_words()
        if not any(key in payload for key in _PAYLOAD_KEYS):
            error = payload.get("error")
            if isinstance(error, dict):
                message = error.get("message")
                raise UpstreamError(
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

    def _raise_words(self) -> None:
        """Raise the upstream error that error mode's words spell, if any came."""
        if self._words:
            message = "".join(self._words).strip() or "(the upstream error had no message)"
            raise UpstreamError(message, url=self._url)

    def _bad(self, message: str) -> BadReplyError:
        return BadReplyError(message, url=self._url, body=self._head.decode("utf-8", "replace"))


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
