"""The current plugin's chat (AI Puffer 2.3 → 2.4.71, ``aipkit_*``): requests and reply reading.

A message goes out the way the site's own browser sends it: a cache POST that returns a single-use
key, then an event-stream GET with every field in its query string; on 2.3 → 2.4.0, a bot whose
stream switch is off uses one JSON POST instead. The nonce can be renewed with a small action of
its own (2.3.41+). Every refusal the plugin words is turned into a typed error that keeps the
site's words. The event names and endings are the plugin's, read by hand here.
"""

from __future__ import annotations

import contextlib
import json
import random
import re
import string
import time
from collections.abc import Mapping
from typing import Optional

from ._call import PreparedCall
from ._constants import MAX_PAGE_BYTES, MAX_REPLY_BYTES
from ._exceptions import (
    AccessDeniedError,
    APIError,
    BadReplyError,
    ContentFlaggedError,
    NonceError,
    PluginError,
    TokenLimitError,
    UpstreamError,
)
from ._http import NONCE_SHAPE, Reply, Request, bad_reply, is_event_stream, parse_json_body
from ._images import classify_image_refusal, with_image_inputs
from ._page import PageChat
from ._sse import ServerSentEvent, SSEDecoder
from ._status import raise_for_status

__all__ = [
    "CACHE_ACTION",
    "JSON_ACTION",
    "REFRESH_ACTION",
    "STREAM_ACTION",
    "AipkitJsonReader",
    "AipkitStreamReader",
    "cache_request",
    "classify_refusal",
    "json_request",
    "message_text",
    "read_cache_key",
    "read_refreshed_nonce",
    "refresh_request",
    "sent_picture_bytes",
    "stream_request",
]

CACHE_ACTION = "aipkit_cache_sse_message"
STREAM_ACTION = "aipkit_frontend_chat_stream"
JSON_ACTION = "aipkit_frontend_chat_message"
REFRESH_ACTION = "aipkit_get_frontend_chat_nonce"

# The events whose data the reply is made of; the page shows nothing else as text
# (message_start, status, openai_response_id, citations, grounding_metadata, ...).
_READ_EVENTS = frozenset({"message", "warning", "error"})
_STREAM_HEADERS = {"Accept": "text/event-stream", "Cache-Control": "no-cache"}
_CACHE_KEY = re.compile(r"aipkit_sse_[A-Za-z0-9]{8,64}")
_ID_ALPHABET = string.ascii_lowercase + string.digits
# "API Error: … (Code: invalid_api_key)" / "(Code: 500)", and the JSON path's
# "OpenAI API Error (HTTP 500): …": the model API's own code or status.
_UPSTREAM_CODE = re.compile(r"\((?:code: |http )([a-z0-9_.-]+)\)?")
_UPSTREAM_WORDS = (
    "connection error",
    "(error:",
    "http request failed",
    "unexpected response structure from",
)
_REFUSED_CODE_WORDS = ("invalid", "not_found", "unauthorized", "permission", "insufficient")

# The plugin's own words, lower-cased prefixes, and what they mean. Order matters: the first
# match wins. "(nonce)" and "session has expired" are the 2.3 and cache-POST wordings.
_NONCE_WORDS = ("security check failed", "your session has expired or the request is invalid")
_Refusal = tuple[tuple[str, ...], type[PluginError], Optional[str]]
_REFUSALS: tuple[_Refusal, ...] = (
    (("access disabled for guests",), AccessDeniedError, "guests_disabled"),
    (("embed feature is not available",), AccessDeniedError, "embed_not_available"),
    (("you have reached your quota", "you have reached your token limit"), TokenLimitError, None),
    (
        ("sorry, your message could not be sent as it contains prohibited words",),
        ContentFlaggedError,
        "banned_word",
    ),
    (("access from your ip address has been blocked",), ContentFlaggedError, "banned_ip"),
    (("your message was flagged by the moderation",), ContentFlaggedError, "moderation"),
    (
        (
            "message cache key is missing",
            "message not found in cache",
            "cached message has expired",
        ),
        PluginError,
        "cache_miss",
    ),
)


def new_client_message_id(bot_id: str) -> str:
    """A ``user_client_message_id`` like the browser's: ``aipkit-client-msg-<bot>-<ms>-<5>``."""
    suffix = "".join(random.SystemRandom().choice(_ID_ALPHABET) for _ in range(5))
    return f"aipkit-client-msg-{bot_id}-{int(time.time() * 1000)}-{suffix}"


def message_text(call: PreparedCall) -> str:
    """The ``message`` field: the new turn of a conversation the server holds, else the prompt."""
    return call.native.aipkit_message if call.native is not None else call.prompt


def _bot(chat: PageChat, call: PreparedCall) -> str:
    return str(call.bot_id) if call.bot_id is not None else chat.bot_id


def cache_request(chat: PageChat, call: PreparedCall) -> Request:
    """The POST that hands the site the message and gets back a single-use cache key."""
    bot = _bot(chat, call)
    form = {
        "action": CACHE_ACTION,
        "message": message_text(call),
        "_ajax_nonce": chat.nonce,
        "bot_id": bot,
        "user_client_message_id": new_client_message_id(bot),
    }
    return Request(
        "POST",
        chat.ajax_url,
        reader="json",
        limit=MAX_PAGE_BYTES,
        data=with_image_inputs(form, call.images, after="bot_id"),
        headers=call.extra_headers,
        timeout=call.timeout,
    )


def read_cache_key(reply: Reply, *, picture_bytes: int = 0) -> str:
    """The cache key from the cache POST's reply, or the typed error it stands for.

    ``picture_bytes`` is the size of the pictures the POST carried: a refusal of them (see
    ``classify_image_refusal()``) is told apart from the plugin's other refusals.
    """
    _raise_image_refusal(reply, picture_bytes)
    payload = _plugin_json(reply, CACHE_ACTION)
    data = payload.get("data")
    key = data.get("cache_key") if isinstance(data, dict) else None
    if not isinstance(key, str) or not _CACHE_KEY.fullmatch(key):
        raise bad_reply(
            reply, f"Unexpected reply from {reply.url}: the {CACHE_ACTION} answer has no cache key"
        )
    return key


def stream_request(
    chat: PageChat, call: PreparedCall, *, cache_key: str, session_id: str, conversation_uuid: str
) -> Request:
    """The event-stream GET that runs the model on the cached message (fields in the query)."""
    params = {
        "action": STREAM_ACTION,
        "cache_key": cache_key,
        "bot_id": _bot(chat, call),
        "session_id": session_id,
        "conversation_uuid": conversation_uuid,
    }
    if chat.post_id not in ("", "0"):
        params["post_id"] = chat.post_id
    params["_ts"] = str(int(time.time() * 1000))
    params["_ajax_nonce"] = chat.nonce
    return Request(
        "GET",
        chat.ajax_url,
        reader="aipkit-stream",
        limit=MAX_REPLY_BYTES,
        params=params,
        headers={**_STREAM_HEADERS, **call.extra_headers},
        timeout=call.timeout,
    )


def json_request(
    chat: PageChat, call: PreparedCall, *, session_id: str, conversation_uuid: str
) -> Request:
    """The one JSON POST of 2.3 → 2.4.0 for a bot whose stream switch is off."""
    form = {
        "action": JSON_ACTION,
        "_ajax_nonce": chat.nonce,
        "bot_id": _bot(chat, call),
        "session_id": session_id,
        "conversation_uuid": conversation_uuid,
        "post_id": chat.post_id or "0",
        "message": message_text(call),
    }
    return Request(
        "POST",
        chat.ajax_url,
        reader="aipkit-json",
        limit=MAX_REPLY_BYTES,
        data=with_image_inputs(form, call.images, after="message"),
        headers=call.extra_headers,
        timeout=call.timeout,
    )


def refresh_request(chat: PageChat) -> Request:
    """The POST that asks for a fresh nonce (2.3.41+); it needs no nonce itself."""
    return Request(
        "POST",
        chat.ajax_url,
        reader="json",
        limit=MAX_PAGE_BYTES,
        data={"action": REFRESH_ACTION, "bot_id": chat.bot_id},
    )


def read_refreshed_nonce(reply: Reply) -> Optional[str]:
    """The fresh nonce, or None when the site has no refresh action (2.3 → 2.3.40: 400 ``0``)."""
    if reply.status_code == 400 and reply.text.strip() == "0":
        return None
    payload = _plugin_json(reply, REFRESH_ACTION)
    data = payload.get("data")
    nonce = data.get("nonce") if isinstance(data, dict) else None
    if not isinstance(nonce, str) or not NONCE_SHAPE.fullmatch(nonce):
        raise BadReplyError(
            f"Unexpected reply from {reply.url}: the {REFRESH_ACTION} answer has no usable nonce",
            url=reply.url,
            method=reply.method,
            status_code=reply.status_code,
        )
    return nonce


def classify_refusal(
    message: str,
    *,
    url: str,
    method: str,
    status_code: Optional[int] = None,
    code: Optional[str] = None,
    details: Optional[Mapping[str, object]] = None,
) -> APIError:
    """The typed error for a refusal the plugin worded (an ``event: error`` or a JSON error).

    Example::

        >>> type(classify_refusal("Access disabled for guests.", url="u", method="GET")).__name__
        'AccessDeniedError'
    """
    lowered = message.strip().lower()
    if code in ("nonce_failure_cache_sse", "nonce_failure") or lowered.startswith(_NONCE_WORDS):
        return NonceError(
            f"The site at {url} rejected the nonce ({message.strip()[:70]!r}); "
            "it expired or was rotated",
            url=url,
            method=method,
            status_code=status_code,
        )
    for prefixes, kind, tag in _REFUSALS:
        if lowered.startswith(prefixes):
            return kind(
                message.strip(),
                url=url,
                method=method,
                status_code=status_code,
                code=code or tag,
                details=details,
            )
    if _is_upstream(lowered):
        return UpstreamError(
            message.strip(),
            url=url,
            method=method,
            status_code=status_code,
            code=_upstream_code(lowered),
        )
    if code == "cors_denied":
        return AccessDeniedError(
            message.strip(), url=url, method=method, status_code=status_code, code=code
        )
    return PluginError(
        message.strip() or "(no message)",
        url=url,
        method=method,
        status_code=status_code,
        code=code,
        details=details,
    )


def _upstream_code(lowered: str) -> str:
    """``"upstream"`` for a failure a later try may not meet (5xx, 429, network, no data);
    ``"upstream_refused"`` when the model's API refused for good (a bad key, a bad model)."""
    found = _UPSTREAM_CODE.search(lowered)
    if found is None:
        return "upstream"
    code = found.group(1)
    if code.isdigit():
        status = int(code)
        refused = 400 <= status < 500 and status not in (408, 409, 429)
    else:
        refused = any(word in code for word in _REFUSED_CODE_WORDS)
    return "upstream_refused" if refused else "upstream"


def _is_upstream(lowered: str) -> bool:
    return "api error" in lowered or lowered.startswith(_UPSTREAM_WORDS)


def _raise_image_refusal(reply: Reply, picture_bytes: int) -> None:
    """After a POST with pictures: raise the site's refusal of them, if that is what it is."""
    if picture_bytes:
        refusal = classify_image_refusal(
            reply.status_code,
            reply.text,
            picture_bytes=picture_bytes,
            url=reply.url,
            method=reply.method,
        )
        if refusal is not None:
            raise refusal


def sent_picture_bytes(form: Optional[Mapping[str, str]]) -> int:
    """The size of the pictures in a form's ``image_inputs`` (standard padded base64)."""
    field = (form or {}).get("image_inputs")
    if not field:
        return 0
    return sum(
        len(item["base64_data"]) // 4 * 3 - item["base64_data"][-2:].count("=")
        for item in json.loads(field)
    )


def _plugin_json(reply: Reply, action: str) -> dict[str, object]:
    """A ``wp_send_json_*`` object ``{"success": …, "data": …}`` with success, else raise."""
    text = reply.text
    looks_json = text.lstrip().startswith("{")
    if not looks_json:
        raise_for_status(reply, action=action)
    payload = parse_json_body(text, reply.url, method=reply.method)
    if payload.get("success") is True and 200 <= reply.status_code < 300:
        return payload
    data = payload.get("data")
    if payload.get("success") is False and isinstance(data, dict):
        message = data.get("message")
        code = data.get("code")
        if isinstance(message, str):
            raise classify_refusal(
                message,
                url=reply.url,
                method=reply.method,
                status_code=reply.status_code,
                code=code if isinstance(code, str) else None,
            )
    raise_for_status(reply, action=action)
    raise bad_reply(reply, f"Unexpected reply from {reply.url} to {action}: {text.strip()[:80]!r}")


class AipkitStreamReader:
    """Reads the chat stream's events: text pieces as they arrive, a typed error, or the end.

    ``data:`` events without a name carry ``{"delta": …}`` pieces; ``event: warning`` text is
    appended as the site's page does (``\\n\\n*…*``); ``event: error`` raises at once;
    ``event: done`` ends the reply. A body that ends with neither is a cut reply. A reply that is
    not a 200 event stream is read whole and its status explained. ``head`` is the reply's
    status, headers and URL; the body comes through ``feed``.
    """

    def __init__(self, head: Reply) -> None:
        self._head = head
        self._streams = head.status_code == 200 and is_event_stream(head.content_type)
        self._sse = SSEDecoder(url=head.url)
        self._body = bytearray()
        self._received = 0
        self._done = False
        # An error met after pieces in the same chunk: those pieces go out first.
        self._pending: Optional[APIError] = None

    def feed(self, chunk: bytes) -> list[str]:
        """Add body bytes; return the reply pieces they complete, or raise an ``event: error``."""
        if not self._streams:
            self._body += chunk
            return []
        self._raise_pending()
        if self._done:
            return []
        return self._pieces(self._sse.feed(chunk))

    def close(self) -> list[str]:
        """At the end of the body: the last pieces, or the error the reply stands for."""
        if not self._streams:
            return self._whole()
        self._raise_pending()
        pieces: list[str] = []
        if not self._done:
            # An event cut off by the end of the body is reported as the cut below.
            with contextlib.suppress(BadReplyError):
                pieces = self._pieces(self._sse.flush())
            self._raise_pending()
        if not self._done:
            raise bad_reply(
                self._head,
                f"The event stream from {self._head.url} ended before its done event; "
                f"{self._received} characters received. The connection was cut or the site "
                "timed out.",
            )
        if not self._received:
            raise bad_reply(
                self._head, f"The event stream from {self._head.url} ended without any reply text"
            )
        return pieces

    def _raise_pending(self) -> None:
        if self._pending is not None:
            raise self._pending

    def _pieces(self, events: list[ServerSentEvent]) -> list[str]:
        pieces: list[str] = []
        for event in events:
            if self._done:
                break
            name = event.event or "message"
            if name == "done":
                self._done = True
                continue
            if name not in _READ_EVENTS:
                continue  # status, citations, ids, and whatever later releases add
            value = self._json(event)
            if name == "error":
                self._pending = self._error(value)
                if not pieces:
                    raise self._pending
                break
            text = _text(value, "error" if name == "warning" else "delta")
            if name == "warning" and text:
                text = f"\n\n*{text}*"
            if text:
                self._received += len(text)
                pieces.append(text)
        return pieces

    def _json(self, event: ServerSentEvent) -> Mapping[str, object]:
        try:
            value = json.loads(event.data)
        except (ValueError, RecursionError):
            value = None
        if not isinstance(value, dict):
            if event.event == "error":
                return {"error": event.data}
            raise bad_reply(
                self._head,
                f"Unexpected event in the stream from {self._head.url}: expected the plugin's "
                f"JSON, got {event.data[:80]!r}",
            )
        return value

    def _error(self, value: Mapping[str, object]) -> APIError:
        message = _text(value, "error") or "(the site sent an error event without a message)"
        notice = value.get("quota_notice")
        return classify_refusal(
            message,
            url=self._head.url,
            method=self._head.method,
            status_code=200,
            details={"quota_notice": notice} if isinstance(notice, dict) else None,
        )

    def _whole(self) -> list[str]:
        reply = self._head.with_body(self._body)
        raise_for_status(reply, action=STREAM_ACTION)
        raise bad_reply(
            reply,
            f"Unexpected reply from {reply.url}: expected an event stream, got "
            f"{reply.content_type or 'no content type'}",
        )


class AipkitJsonReader:
    """Reads the 2.3 → 2.4.0 JSON chat reply whole: the reply as one piece, or a typed error."""

    def __init__(self, head: Reply, *, picture_bytes: int = 0) -> None:
        self._head = head
        self._picture_bytes = picture_bytes
        self._body = bytearray()

    def feed(self, chunk: bytes) -> list[str]:
        """Add body bytes (the reply is read whole)."""
        self._body += chunk
        return []

    def close(self) -> list[str]:
        """The reply text, or the typed error the reply stands for."""
        reply = self._head.with_body(self._body)
        _raise_image_refusal(reply, self._picture_bytes)
        if reply.status_code >= 500 and not reply.text.lstrip().startswith("{"):
            # An unknown bot_id crashes PHP there: WordPress's "critical error" page.
            raise_for_status(reply, action=JSON_ACTION)
        payload = _plugin_json(reply, JSON_ACTION)
        data = payload.get("data")
        text = data.get("reply") if isinstance(data, dict) else None
        if not isinstance(text, str) or not text.strip():
            raise bad_reply(reply, f"The site at {reply.url} answered success without reply text")
        return [text]


def _text(value: Mapping[str, object], key: str) -> str:
    item = value.get(key)
    return item if isinstance(item, str) else ""
