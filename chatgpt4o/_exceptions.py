"""The error tree: every error this package raises on purpose.

::

    Chatgpt4oError                        base of everything below
    ├── InvalidRequestError (ValueError)  bad input, raised before any network I/O
    │   ├── InvalidRequestTypeError (TypeError)
    │   ├── ModelError                    unknown model; lists the valid ones
    │   ├── InvalidImageError             a picture we will not send: its type, data, count, URL
    │   │   └── ImageTooLargeError        over the size a typical host accepts (``max_bytes``)
    │   └── ImagesNotSupportedError       the bot's page offers no image upload, or fewer pictures
    ├── ClientClosedError (RuntimeError)  the client was used after close(), or in another loop
    └── APIError (RuntimeError)           base of everything the site or the network did
        ├── APIConnectionError            could not talk to the site
        │   └── APITimeoutError           a request took longer than the timeout
        ├── APIStatusError                an HTTP status that is not a chat reply
        │   ├── RateLimitError            429, with ``retry_after`` when the site sent one
        │   ├── EndpointGoneError         400 ``0``: the chat action is not registered
        │   └── BlockedError              a Cloudflare challenge or block page
        ├── ChatPageError                 the page has no usable chat element or nonce
        │   ├── UnsupportedPluginError    a chat element of a protocol this client cannot speak
        │   └── BotNotFoundError          the page has no chat for the bot asked for
        ├── NonceError                    the site rejected the nonce (expired or rotated)
        ├── PluginError                   the plugin refused, in its own words (``msg``)
        │   ├── TokenLimitError           the site's token or message quota is used up
        │   ├── ContentFlaggedError       banned word or IP, or moderation
        │   ├── AccessDeniedError         guests disabled, or a cross-origin refusal
        │   ├── UpstreamError             the site could not get an answer from its model
        │   └── ImageRejectedError        the site refused a picture (``invalid_image_type`` ...)
        │       └── ImageTooLargeForSiteError  too large for the plugin (413) or its host
        └── BadReplyError                 not a valid answer: empty, truncated, HTML, cut stream

``APIError`` is what openai-python users expect: ``except chatgpt4o.APIError`` catches every
failure of the site or the network, and nothing the caller did wrong. Every ``APIError`` carries
the ``method``, ``url`` (credentials redacted) and, when there was one, ``status_code`` of the
request that failed. The errors the original gpt4free provider raised as ``RuntimeError`` (no post
id, no nonce, ``'data' field missing``) are still ``RuntimeError`` here. Messages never contain
the nonce, cookies or proxy credentials.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Optional

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIStatusError",
    "APITimeoutError",
    "AccessDeniedError",
    "BadReplyError",
    "BlockedError",
    "BotNotFoundError",
    "ChatPageError",
    "Chatgpt4oError",
    "ClientClosedError",
    "ContentFlaggedError",
    "EndpointGoneError",
    "ImageRejectedError",
    "ImageTooLargeError",
    "ImageTooLargeForSiteError",
    "ImagesNotSupportedError",
    "InvalidImageError",
    "InvalidRequestError",
    "InvalidRequestTypeError",
    "ModelError",
    "NonceError",
    "PluginError",
    "RateLimitError",
    "TokenLimitError",
    "UnsupportedPluginError",
    "UpstreamError",
]

_BODY_PREVIEW = 200


def body_preview(body: str) -> str:
    """The first 200 characters of ``body`` with its whitespace folded (for messages)."""
    text = " ".join(body.split())
    return text if len(text) <= _BODY_PREVIEW else text[:_BODY_PREVIEW] + "…"


class Chatgpt4oError(Exception):
    """Base class of every error raised by chatgpt4o.

    Example::

        try:
            client.ask("Hi")
        except chatgpt4o.Chatgpt4oError as exc:
            print("chat failed:", exc)
    """


class InvalidRequestError(Chatgpt4oError, ValueError):
    """A bad argument, found before any network I/O; the message names the field."""


class InvalidRequestTypeError(InvalidRequestError, TypeError):
    """An argument of the wrong type, found before any network I/O."""


class ModelError(InvalidRequestError):
    """An unknown model name.

    Attributes:
        model: the name that was asked for.
        valid: the names that are accepted (models and aliases).
    """

    def __init__(self, model: object, valid: Sequence[str]) -> None:
        self.model = model
        self.valid = list(valid)
        super().__init__(f"model: unknown model {model!r}; expected one of {', '.join(self.valid)}")


class ClientClosedError(Chatgpt4oError, RuntimeError):
    """The client was used after ``close()`` (or after its ``with`` block ended), or an
    AsyncClient in another event loop than the one it first ran in."""


class APIError(Chatgpt4oError, RuntimeError):
    """Base of every failure of the site or the network (as in openai-python).

    Attributes:
        message: the error message.
        url: the URL of the request that failed, credentials redacted.
        method: its HTTP method (``"GET"``, ``"POST"``), or ``""`` when unknown.
        status_code: the HTTP status of the reply, or None when there was none.
        body: the reply body as text (possibly cut), or ``""``.
    """

    status_code: Optional[int]

    def __init__(
        self,
        message: str,
        *,
        url: str,
        method: str = "",
        status_code: Optional[int] = None,
        body: str = "",
    ) -> None:
        self.message = message
        self.url = url
        self.method = method
        self.status_code = status_code
        self.body = body
        super().__init__(message)


class APIConnectionError(APIError):
    """The site could not be reached (DNS, refused, reset, TLS, proxy)."""


class APITimeoutError(APIConnectionError):
    """A request (connecting, waiting, reading the whole reply) took longer than the timeout."""


class APIStatusError(APIError):
    """The site answered with an HTTP status that is not a chat reply.

    Attributes:
        status_code: the HTTP status.
        retry_after: seconds the site asked us to wait (``Retry-After``), when it said so.
    """

    status_code: int

    def __init__(
        self,
        message: str,
        *,
        url: str,
        status_code: int,
        method: str = "",
        body: str = "",
        retry_after: Optional[float] = None,
    ) -> None:
        self.retry_after = retry_after
        super().__init__(message, url=url, method=method, status_code=status_code, body=body)


class RateLimitError(APIStatusError):
    """HTTP 429 from the site or a CDN in front of it; ``retry_after`` when the site said."""


class EndpointGoneError(APIStatusError):
    """HTTP 400 ``0``: the site does not handle the chat action (plugin removed or changed)."""


class BlockedError(APIStatusError):
    """A Cloudflare challenge or block page: quick retries will not clear it."""


class ChatPageError(APIError):
    """The page does not carry the chat's nonce and ids (post id, bot) this client needs.

    Attributes:
        missing: what was not found, e.g. ``"nonce"``.
    """

    def __init__(self, message: str, *, url: str, missing: str, method: str = "GET") -> None:
        self.missing = missing
        super().__init__(message, url=url, method=method, status_code=200)


class UnsupportedPluginError(ChatPageError):
    """The page's chat element belongs to a protocol this client does not speak."""


class BotNotFoundError(ChatPageError):
    """The page has no chat for the ``bot_id`` asked for.

    Attributes:
        bot_id: the bot that was asked for.
        bots: the bot ids the page has.
    """

    def __init__(self, message: str, *, url: str, bot_id: int, bots: Sequence[str]) -> None:
        self.bot_id = bot_id
        self.bots = list(bots)
        super().__init__(message, url=url, missing="bot")


class NonceError(APIError):
    """The site rejected the nonce: it expired, was rotated, or a page cache served a stale one.

    The clients get a fresh nonce and retry on their own; this reaches you only when the fresh
    nonce was rejected too.
    """


class PluginError(APIError):
    """The plugin refused the message and said why, in its own words.

    Attributes:
        msg: the site's message, HTML entities decoded.
        code: the site's error code (``"nonce_failure_cache_sse"``) or a short tag of ours
            (``"banned_word"``, ``"cache_miss"``, ``"upstream"``), or None.
        details: extra data the site sent with it (AIPKit's ``quota_notice``, say), or empty.
    """

    def __init__(
        self,
        msg: str,
        *,
        url: str,
        method: str = "POST",
        status_code: Optional[int] = None,
        body: str = "",
        code: Optional[str] = None,
        details: Optional[Mapping[str, Any]] = None,
    ) -> None:
        self.msg = msg
        self.code = code
        self.details = dict(details or {})
        super().__init__(
            f"The site refused: {msg}",
            url=url,
            method=method,
            status_code=status_code,
            body=body,
        )


class TokenLimitError(PluginError):
    """The site's quota for this client (or for all guests) is used up."""


class ContentFlaggedError(PluginError):
    """The site refused the message: banned IP, banned word, or moderation."""


class AccessDeniedError(PluginError):
    """The site does not serve this client: guests are disabled, or the origin is refused."""


class UpstreamError(PluginError):
    """The site could not get an answer from its model (API error, connection error, no data)."""


class BadReplyError(APIError):
    """A reply that is not a valid answer: empty ``data``, HTML or truncated JSON, cut stream."""


class InvalidImageError(InvalidRequestError):
    """A picture this client will not send: not JPEG, PNG or WEBP, unreadable, too many, a URL.

    Found before any network I/O (or, for a bot's limits, before the message is sent).

    Attributes:
        field: where the picture was given, e.g. ``"images[0]"`` or
            ``"messages[1].content[1].image_url"``.
    """

    def __init__(self, message: str, *, field: str) -> None:
        self.field = field
        super().__init__(message)


class ImageTooLargeError(InvalidImageError):
    """A picture over the size limit, refused before sending.

    Attributes:
        size: the picture's size in bytes (at least ``limit + 1`` when it was read in part).
        limit: the largest size allowed, in bytes.
    """

    def __init__(self, message: str, *, field: str, size: int, limit: int) -> None:
        self.size = size
        self.limit = limit
        super().__init__(message, field=field)


class ImagesNotSupportedError(InvalidRequestError):
    """The bot takes no pictures (or fewer than were given); found before the message is sent.

    The site itself would pass the picture on; only its page says what the owner allows, and
    this client honours it.

    Attributes:
        url: the page that was read (credentials redacted).
        bot_id: the bot asked for.
        max_images: how many pictures a message to this bot may carry (0: none).
    """

    def __init__(self, message: str, *, url: str, bot_id: str, max_images: int) -> None:
        self.url = url
        self.bot_id = bot_id
        self.max_images = max_images
        super().__init__(message)


class ImageRejectedError(PluginError):
    """The site refused a picture (``invalid_image_payload``, ``too_many_images``,
    ``invalid_image_type``); ``code`` is the site's."""


class ImageTooLargeForSiteError(ImageRejectedError):
    """The site could not take a picture this large: the plugin's 413 ``image_too_large``, or
    its host's limits (400 ``0``, a 500 page, ``sse_cache_db_insert_failed``). Not retried."""
