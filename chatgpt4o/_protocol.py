"""The AI Power wire protocol without I/O: build the chat form, interpret every reply shape."""

from __future__ import annotations

import html
import json
import random
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Optional

from ._exceptions import (
    APIError,
    APIStatusError,
    BadReplyError,
    BlockedError,
    ContentFlaggedError,
    EndpointGoneError,
    NonceError,
    RateLimitError,
    TokenLimitError,
)
from ._page import PageTokens, extract_tokens, is_cloudflare_page
from ._retry import parse_retry_after

__all__ = [
    "HttpReply",
    "build_form",
    "interpret_page",
    "interpret_payload",
    "interpret_reply",
    "new_client_id",
]

_CLIENT_ID_ALPHABET = string.ascii_letters + string.digits
_NONCE_MESSAGES = ("nonce verification failed", "invalid nonce")
_TOKEN_LIMIT_MESSAGES = ("you have reached your token limit",)
_FLAGGED_MESSAGES = (
    "you are not allowed to access this feature",
    "your message contains prohibited words",
)
_FLAG_KEYS = ("ipBanned", "messageFlagged", "modflag")
_BLOCKED_STATUSES = (403, 429, 503)
_JSON = json.JSONDecoder()


@dataclass(frozen=True)
class HttpReply:
    """One HTTP reply as the core sees it, whichever library fetched it.

    Attributes:
        status_code: the HTTP status.
        headers: header names in lower case.
        body: the body bytes (already cut at the size cap by the transport).
        url: the final URL, after redirects.
        now: when the reply arrived (epoch seconds), for HTTP-date ``Retry-After``.
    """

    status_code: int
    headers: Mapping[str, str]
    body: bytes = field(repr=False)
    url: str
    now: float = 0.0

    @property
    def content_type(self) -> str:
        """The Content-Type header, lower-cased, or ``""``."""
        return self.headers.get("content-type", "").lower()

    @property
    def text(self) -> str:
        """The body decoded as UTF-8 (undecodable bytes replaced)."""
        return self.body.decode("utf-8", "replace")


def new_client_id(rng: Optional[random.Random] = None) -> str:
    """Return a fresh 10-character ``wpaicg_chat_client_id`` (the site's guest-quota key)."""
    choice = (rng or random.SystemRandom()).choice
    return "".join(choice(_CLIENT_ID_ALPHABET) for _ in range(10))


def build_form(
    tokens: PageTokens,
    message: str,
    *,
    client_id: str,
    bot_id: Optional[int] = None,
    history: str = "[]",
) -> dict[str, str]:
    """Return the POST fields for one chat message, in the order the site's own JS sends them.

    Example::

        form = build_form(tokens, "Hello", client_id="AbCdEf1234")
        # {"_wpnonce": ..., "post_id": "4", "url": ..., "action": "wpaicg_chat_shortcode_message",
        #  "message": "Hello", "bot_id": "0", "chatbot_identity": "shortcode", ...}

    Args:
        tokens: what the page gave.
        message: the prompt text.
        client_id: a stable per-client id (see new_client_id()).
        bot_id: a custom bot defined on the site; None keeps the page's own.
        history: earlier turns as the JSON the plugin expects (``"[]"`` for none).
    """
    bot = str(bot_id) if bot_id is not None else tokens.bot_id
    identity = f"custom_bot_{bot}" if bot != "0" else tokens.chat_type
    action = (
        "wpaicg_chatbox_message"
        if tokens.chat_type == "widget"
        else ("wpaicg_chat_shortcode_message")
    )
    return {
        "_wpnonce": tokens.nonce,
        "post_id": tokens.post_id,
        "url": tokens.page_url,
        "action": action,
        "message": message,
        "bot_id": bot,
        "chatbot_identity": identity,
        "wpaicg_chat_client_id": client_id,
        "wpaicg_chat_history": history,
    }


def _raise_for_status(reply: HttpReply, *, nonce_on_403: bool) -> None:
    status = reply.status_code
    if 300 <= status < 400:
        location = reply.headers.get("location", "(no Location header)")
        raise APIStatusError(
            f"HTTP {status} from {reply.url}: the site redirects the chat request to "
            f"{location}; not followed, so the nonce and the message stay with the configured "
            "site. Set base_url to the site's final address.",
            status_code=status,
            body=reply.text,
            url=reply.url,
        )
    if status < 400 and not is_cloudflare_page("", reply.headers):
        return
    text = reply.text
    if is_cloudflare_page(text, reply.headers) and (status in _BLOCKED_STATUSES or status < 400):
        raise BlockedError(status_code=status, url=reply.url)
    retry_after = parse_retry_after(reply.headers.get("retry-after"), now=reply.now)
    if status == 429:
        raise RateLimitError(
            f"HTTP 429 from {reply.url}: rate limited"
            + (f"; the site asks to wait {retry_after:g} s" if retry_after is not None else ""),
            status_code=status,
            body=text,
            url=reply.url,
            retry_after=retry_after,
        )
    if status == 400 and text.strip() == "0":
        raise EndpointGoneError(
            f"HTTP 400 '0' from {reply.url}: the site no longer handles the AI Power chat action "
            "(the plugin was removed, or upgraded to 2.3+, whose protocol is not supported)",
            status_code=status,
            body=text,
            url=reply.url,
        )
    if status == 403 and nonce_on_403 and not _looks_like_json(text):
        raise NonceError(
            f"HTTP 403 from {reply.url}: the site rejected the nonce "
            '("The link you followed has expired"); it expired or was rotated',
            url=reply.url,
        )
    if status >= 400:
        raise APIStatusError.from_reply(status, text, reply.url, retry_after)


def _looks_like_json(text: str) -> bool:
    return text.lstrip().startswith(("{", "["))


def interpret_page(reply: HttpReply) -> PageTokens:
    """Check the page GET's reply and return the tokens it carries.

    Raises:
        BlockedError, RateLimitError, APIStatusError: the page did not come back as 200.
        TokenError, UnsupportedPluginError: see extract_tokens().
    """
    _raise_for_status(reply, nonce_on_403=False)
    return extract_tokens(reply.text, reply.url, link_header=reply.headers.get("link"))


def interpret_reply(reply: HttpReply) -> str:
    """Return the model's text from a chat POST's reply, or raise the matching typed error.

    Handles JSON replies of every era, PHP warnings before the JSON, and (whole) SSE bodies.

    Raises:
        NonceError: the nonce was rejected (200 JSON in ≤1.8.90, 403 HTML from 1.8.91).
        APIError, TokenLimitError, ContentFlaggedError: the plugin refused with a message.
        BadReplyError: empty ``data``, HTML or truncated JSON, an unfinished stream.
        BlockedError, RateLimitError, EndpointGoneError, APIStatusError: by HTTP status.
    """
    _raise_for_status(reply, nonce_on_403=True)
    from ._streaming import decode_stream, is_event_stream

    if is_event_stream(reply.content_type):
        return decode_stream(reply.body, reply.url)
    return interpret_payload(parse_json_body(reply.text, reply.url), reply.url)


def parse_json_body(text: str, url: str) -> dict[str, object]:
    """Parse a JSON object from a reply body, skipping PHP warnings printed before it.

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
    what = (
        "truncated JSON"
        if start >= 0
        else (
            "HTML" if "<" in text else f"{text.strip()[:40]!r}" if text.strip() else "an empty body"
        )
    )
    raise BadReplyError(
        f"Unexpected reply from {url}: expected a JSON object, got {what}", url=url, body=text
    )


def interpret_payload(payload: Mapping[str, object], url: str) -> str:
    """Return ``data`` from a plugin JSON object, or raise the typed error it stands for.

    Raises:
        NonceError, APIError, TokenLimitError, ContentFlaggedError, BadReplyError.
    """
    msg = payload.get("msg")
    message = html.unescape(msg) if isinstance(msg, str) else ""
    if payload.get("tokenLimitReached"):
        raise TokenLimitError(message or "token limit reached", url=url)
    if any(payload.get(key) for key in _FLAG_KEYS):
        raise ContentFlaggedError(message or "the site refused the message", url=url)
    if payload.get("pineconeError"):
        raise APIError(message or "the site's embeddings lookup failed", url=url)
    status = payload.get("status")
    if status == "error":
        lowered = message.lower()
        if lowered.startswith(_NONCE_MESSAGES):
            raise NonceError(
                f"The site at {url} rejected the nonce ({message[:60]!r}); "
                "it expired or was rotated",
                url=url,
            )
        if lowered.startswith(_TOKEN_LIMIT_MESSAGES):
            raise TokenLimitError(message, url=url)
        if lowered.startswith(_FLAGGED_MESSAGES):
            raise ContentFlaggedError(message, url=url)
        raise APIError(message or "(no message)", url=url)
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
