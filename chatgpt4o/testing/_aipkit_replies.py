"""AIPKit (AI Puffer 2.3+) reply bytes: its JSON shapes, SSE events, texts, ids and headers."""

from __future__ import annotations

import re
import secrets
import string
from datetime import datetime, timezone
from typing import Any, Mapping

from chatgpt4o.testing._php import php_json_encode, sanitize_key
from chatgpt4o.testing._replies import HTML_TYPE, SiteReply, html_reply, json_reply

SSE_TYPE = "text/event-stream; charset=utf-8"
NONCE_ACTION = "aipkit_frontend_chat_nonce"
CACHE_ACTION = "aipkit_cache_sse_message"
STREAM_ACTION = "aipkit_frontend_chat_stream"
REFRESH_ACTION = "aipkit_get_frontend_chat_nonce"
HISTORY_ACTION = "aipkit_get_conversation_history"
JSON_ACTION = "aipkit_frontend_chat_message"
CACHE_SECONDS = 60
CACHE_CLEANUP_SECONDS = 3600  # the hourly cron that deletes expired cache rows
MAX_HISTORY = 15
PROVIDER = "OpenAI"

# Cache POST (classes/core/stream/handler/ajax).
EMBED_NOT_AVAILABLE = "Embed feature is not available with your current plan."
CORS_DENIED = "This domain is not permitted to access the chatbot."
SESSION_EXPIRED = (
    "Your session has expired or the request is invalid. Please refresh the page and try again."
)
EMPTY_DATA = "Data to cache (message or image) cannot be empty."
# Stream, before message_start.
SECURITY_CHECK = "Security check failed. Please refresh the page and try again."
MISSING_CACHE_KEY = "Message cache key is missing."
CACHE_NOT_FOUND = "Message not found in cache."
CACHE_EXPIRED = "Cached message has expired."
INVALID_BOT = "Invalid chatbot specified."
MISSING_CONVERSATION = "Conversation ID is missing."
MISSING_SESSION = "Session ID is missing for guest."
GUESTS_DISABLED = "Access disabled for guests."
BANNED_IP = "Access from your IP address has been blocked."
BANNED_WORD = "Sorry, your message could not be sent as it contains prohibited words."
MODERATION = "Your message was flagged by the moderation system and could not be sent."
NO_API_KEY = "API key missing for OpenAI."
# Stream, after message_start.
NO_DATA = "Connection error: no data received from AI."
# JSON path (2.3 .. 2.4.0).
CONVERSATION_REQUIRED = "Conversation ID is required."
EMPTY_MESSAGE = "Message or image cannot be empty."
NO_API_KEY_JSON = "API key is missing for OpenAI."
UNEXPECTED_STRUCTURE = "Unexpected response structure from OpenAI Responses API."
# Other nonce-checked public actions (conversation history).
NONCE_FAILURE = "Security check failed (nonce)."
HISTORY_IDS_REQUIRED = "Bot ID and Conversation ID are required."
HISTORY_SESSION_REQUIRED = "Session ID is required for guest history."
CRITICAL_ERROR = (
    "<p>There has been a critical error on this website.</p><p><a href="
    '"https://wordpress.org/support/article/faq-troubleshooting/">Learn more about '
    "troubleshooting WordPress.</a></p>"
)

# admin-ajax.php's headers, in the order the recorded site sent them.
AJAX_HEADERS: tuple[tuple[str, str], ...] = (
    ("X-Robots-Tag", "noindex"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
    ("X-Frame-Options", "SAMEORIGIN"),
    ("Expires", "Wed, 11 Jan 1984 05:00:00 GMT"),
    ("Cache-Control", "no-cache, must-revalidate, max-age=0"),
)
SSE_HEADERS: tuple[tuple[str, str], ...] = (
    ("Content-Type", SSE_TYPE),
    ("X-Robots-Tag", "noindex"),
    ("X-Content-Type-Options", "nosniff"),
    ("Expires", "Wed, 11 Jan 1984 05:00:00 GMT"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
    ("X-Frame-Options", "SAMEORIGIN"),
    ("Cache-Control", "no-cache, no-store, must-revalidate, max-age=0, no-transform"),
    ("Pragma", "no-cache"),
    ("X-Accel-Buffering", "no"),  # nginx in front of the recorded site swallowed this one
    ("Connection", "keep-alive"),
)
CORS_HEADERS: tuple[tuple[str, str], ...] = (
    ("Access-Control-Allow-Origin", "*"),
    ("Access-Control-Allow-Methods", "POST, GET, OPTIONS"),
    ("Access-Control-Allow-Headers", "Content-Type, X-Requested-With, Authorization"),
    ("Access-Control-Allow-Credentials", "true"),
)
PREAMBLE = b":" + b" " * 4096 + b"\n\n"
DONE = b'event: done\ndata: {"finished":true}\n\n'

_ALNUM = string.ascii_letters + string.digits
_PIECE = re.compile(r" *[^ ]+| +$")


def json_success(data: Any, *, status: int = 200) -> SiteReply:
    """``wp_send_json_success($data)``: ``{"success":true,"data":…}``."""
    return json_reply({"success": True, "data": data}, status=status, headers=AJAX_HEADERS)


def json_error(message: str, status: int, code: str | None = None) -> SiteReply:
    """``wp_send_json_error(['message' => …, 'code' => …], $status)``."""
    data: dict[str, Any] = {"message": message}
    if code is not None:
        data["code"] = code
    return json_reply({"success": False, "data": data}, status=status, headers=AJAX_HEADERS)


def ajax_zero(*, missing: bool = False) -> SiteReply:
    """``wp_die('0', 400)``: admin-ajax.php's answer to a missing or unregistered action."""
    if missing:  # dies before nosniff; admin_init already added frame and referrer headers
        headers = (("Content-Type", HTML_TYPE), AJAX_HEADERS[0], *AJAX_HEADERS[4:])
        return SiteReply(400, headers, b"0")
    return html_reply(400, "0", AJAX_HEADERS)


def preflight() -> SiteReply:
    """The plugin's CORS preflight answer to ``OPTIONS``: 200, CORS headers, empty body."""
    return html_reply(200, "", (*AJAX_HEADERS, *CORS_HEADERS))


def sse_json(value: Any) -> str:
    """``json_encode($data, JSON_UNESCAPED_UNICODE)``, as the stream formatter encodes data."""
    return php_json_encode(value, unicode=True)


def sse_event(name: str | None, data: Any, event_id: str | None = None) -> bytes:
    """One SSE event: ``event:`` (unless ``name`` is ``None``), optional ``id:``, ``data:``."""
    text = "" if name is None else f"event: {name}\n"
    if event_id is not None:
        text += f"id: {event_id}\n"
    text += f"data: {sse_json(data)}\n\n"
    return text.encode("utf-8")


def sse_error(
    message: str, now: float, *, warning: bool = False, extra: Mapping[str, Any] | None = None
) -> bytes:
    """``event: error`` (or ``warning``) with ``id: err-<unix time>`` and ``{"error":…}``."""
    data: dict[str, Any] = {"error": message, **(extra or {})}
    return sse_event("warning" if warning else "error", data, f"err-{int(now)}")


def uniqid(now: float) -> str:
    """PHP's ``uniqid('', true)`` at ``now``: 8 hex seconds, 5 hex microseconds, ``D.DDDDDDDD``."""
    seconds = int(now)
    micros = int((now - seconds) * 1_000_000)
    entropy = f"{secrets.randbelow(10)}.{secrets.randbelow(10**8):08d}"
    return f"{seconds:08x}{micros:05x}{entropy}"


def message_id(now: float) -> str:
    """A bot message id as ``message_start`` carries it: ``aipkit-msg-`` + ``uniqid``."""
    return "aipkit-msg-" + uniqid(now)


def stored_id(raw: str) -> str:
    """A message id as the chat log stores it (``sanitize_key`` without the dot)."""
    return sanitize_key(raw)


def response_id() -> str:
    """A fresh OpenAI Responses id, ``resp_`` + 48 hex digits."""
    return "resp_" + secrets.token_hex(24)


def cache_key() -> str:
    """``'aipkit_sse_' . wp_generate_password(32, false, false)``."""
    return "aipkit_sse_" + "".join(secrets.choice(_ALNUM) for _ in range(32))


def split_pieces(text: str) -> list[str]:
    """Cut a reply into the stream's text pieces: words with their leading spaces."""
    return _PIECE.findall(text)


def system_prompt(now: float) -> str:
    """The default bot instructions with the site's date, as the plugin sends them upstream."""
    day = datetime.fromtimestamp(now, timezone.utc)
    return (
        "You are a helpful AI Assistant. Please be friendly. "
        f"Today's date is {day:%B} {day.day}, {day.year}."
    )


def word_count(text: str) -> int:
    """The token count the stand-in upstream reports: whitespace-separated words."""
    return len(text.split())
