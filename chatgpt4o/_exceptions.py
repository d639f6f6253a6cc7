"""The error tree: every error this package raises on purpose.

::

    Chatgpt4oError                      base of everything below
    ├── InvalidRequestError (ValueError)  bad input, raised before any network I/O
    │   ├── InvalidRequestTypeError (TypeError)
    │   └── ModelError                    unknown model; lists the valid ones
    ├── APIConnectionError                could not talk to the site
    │   └── APITimeoutError               connect or read timed out
    ├── APIStatusError                    unexpected HTTP status (carries code and body)
    │   ├── RateLimitError                429, with ``retry_after`` when the site sent one
    │   └── EndpointGoneError             400 ``0``: the chat action is not registered
    ├── BlockedError                      a Cloudflare challenge or block page
    ├── TokenError (RuntimeError)         the page has no usable post id / nonce
    │   └── UnsupportedPluginError        AI Power 2.3+ ("AIPKit"): another protocol
    ├── NonceError (RuntimeError)         the site rejected the nonce (expired or rotated)
    ├── APIError (RuntimeError)           the plugin answered ``status: error``; carries ``msg``
    │   ├── TokenLimitError               the site's token quota for this client is used up
    │   └── ContentFlaggedError           banned IP/word or moderation refused the message
    └── BadReplyError (RuntimeError)      not a valid answer: empty, truncated, HTML

The errors that the original gpt4free provider raised as ``RuntimeError`` (no post id, no nonce,
``'data' field missing``) are still ``RuntimeError`` here, so old ``except RuntimeError`` code keeps
working. Messages never contain the nonce, cookies or proxy credentials.
"""

from __future__ import annotations

from typing import Optional

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIStatusError",
    "APITimeoutError",
    "BadReplyError",
    "BlockedError",
    "Chatgpt4oError",
    "ContentFlaggedError",
    "EndpointGoneError",
    "InvalidRequestError",
    "InvalidRequestTypeError",
    "ModelError",
    "NonceError",
    "RateLimitError",
    "TokenError",
    "TokenLimitError",
    "UnsupportedPluginError",
]

_BODY_PREVIEW = 200


def _preview(body: str) -> str:
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

    def __init__(self, model: object, valid: list[str]) -> None:
        self.model = model
        self.valid = list(valid)
        super().__init__(f"model: unknown model {model!r}; expected one of {', '.join(self.valid)}")


class APIConnectionError(Chatgpt4oError):
    """The site could not be reached (DNS, refused, reset, TLS, proxy).

    Attributes:
        url: the URL that was being requested.
    """

    def __init__(self, message: str, *, url: str) -> None:
        self.url = url
        super().__init__(message)


class APITimeoutError(APIConnectionError):
    """Connecting to the site, or reading its reply, took longer than the timeout."""


class APIStatusError(Chatgpt4oError):
    """The site answered with an HTTP status that is not a chat reply.

    Attributes:
        status_code: the HTTP status.
        body: the reply body as text (possibly cut at the size cap).
        url: the URL that answered.
        retry_after: seconds the site asked us to wait (``Retry-After``), when it said so.
    """

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        body: str,
        url: str,
        retry_after: Optional[float] = None,
    ) -> None:
        self.status_code = status_code
        self.body = body
        self.url = url
        self.retry_after = retry_after
        super().__init__(message)

    @classmethod
    def from_reply(
        cls, status_code: int, body: str, url: str, retry_after: Optional[float] = None
    ) -> APIStatusError:
        """Build the error with a message that shows the status, URL and a body preview."""
        return cls(
            f"HTTP {status_code} from {url}: {_preview(body) or '(empty body)'}",
            status_code=status_code,
            body=body,
            url=url,
            retry_after=retry_after,
        )


class RateLimitError(APIStatusError):
    """HTTP 429 from the site or a CDN in front of it; ``retry_after`` when the site said."""


class EndpointGoneError(APIStatusError):
    """HTTP 400 ``0``: the site no longer handles the chat action (plugin removed or 2.3+)."""


class BlockedError(Chatgpt4oError):
    """A Cloudflare challenge or block page: quick retries will not clear it.

    Attributes:
        status_code: the HTTP status of the block page.
        url: the URL that was blocked.
    """

    def __init__(self, *, status_code: int, url: str) -> None:
        self.status_code = status_code
        self.url = url
        super().__init__(
            f"Response {status_code}: Cloudflare detected at {url}; the site is blocking "
            "automated clients. Try again later, from another network, or through a proxy."
        )


class TokenError(Chatgpt4oError, RuntimeError):
    """The page does not carry the chat tokens (post id, nonce) this client needs.

    Attributes:
        url: the page URL.
        missing: what was not found, e.g. ``"nonce"``.
    """

    def __init__(self, message: str, *, url: str, missing: str) -> None:
        self.url = url
        self.missing = missing
        super().__init__(message)


class UnsupportedPluginError(TokenError):
    """The page runs AI Power 2.3+ ("AIPKit"), whose chat protocol this client does not speak."""


class NonceError(Chatgpt4oError, RuntimeError):
    """The site rejected the nonce: it expired, was rotated, or a page cache served a stale one.

    The clients re-scrape the page and retry once on their own; this reaches you only when the
    fresh nonce was rejected too.
    """

    def __init__(self, message: str, *, url: str) -> None:
        self.url = url
        super().__init__(message)


class APIError(Chatgpt4oError, RuntimeError):
    """The plugin answered ``status: error``.

    Attributes:
        msg: the site's message, HTML entities decoded.
    """

    def __init__(self, msg: str, *, url: str) -> None:
        self.msg = msg
        self.url = url
        super().__init__(f"The site answered with an error: {msg}")


class TokenLimitError(APIError):
    """The site's token quota for this client (or for guests) is used up."""


class ContentFlaggedError(APIError):
    """The site refused the message: banned IP, banned word, or moderation."""


class BadReplyError(Chatgpt4oError, RuntimeError):
    """A reply that is not a valid answer: empty ``data``, HTML or truncated JSON, cut stream.

    Attributes:
        url: the URL that answered.
        body: the reply body as text (possibly cut).
    """

    def __init__(self, message: str, *, url: str, body: str = "") -> None:
        self.url = url
        self.body = body
        super().__init__(message)
