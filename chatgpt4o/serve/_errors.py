"""The SDK's errors as OpenAI error replies: status, body and headers, by pure functions.

An OpenAI error body is ``{"error": {"message", "type", "param", "code"}}``; the status and
headers follow what OpenAI sends for the same kind of failure, so OpenAI clients raise the class
their users already catch (``BadRequestError``, ``RateLimitError``, ...). ``RULES`` is the table
(the README's error table says it for users), keyed by class *name* along the error's MRO, so
it holds for every error tree the SDK has shipped.

429 replies carry ``Retry-After`` (the site's own value, rounded up, when it sent one, then also
``retry-after-ms``); a used-up quota, and a 5xx no retry can cure, say ``x-should-retry: false``
so OpenAI clients do not retry it (the SDK does not either). Any other 5xx whose site reply had a
``Retry-After`` passes it on.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Optional

from ._wire import dumps

__all__ = [
    "DEFAULT_QUOTA_RETRY_AFTER",
    "DEFAULT_RATE_LIMIT_RETRY_AFTER",
    "RULES",
    "ErrorReply",
    "Refusal",
    "Rule",
    "bad_json",
    "body_too_large",
    "error_body",
    "error_event",
    "error_reply",
    "foreign_host",
    "foreign_origin",
    "invalid_api_key",
    "missing_api_key",
    "model_not_found",
    "not_json",
    "route_not_found",
    "rule_for",
]

DEFAULT_RATE_LIMIT_RETRY_AFTER = 1.0
"""Seconds to tell a client to wait after a 429 when the site did not say."""

DEFAULT_QUOTA_RETRY_AFTER = 60.0
"""Seconds to tell a client to wait when the site's quota is used up (it never says)."""

_INTERNAL_MESSAGE = "The server had an error while processing your request."
# The SDK's messages start with the field they are about: "temperature: ...",
# "messages[0].content: ...", "model: unknown model ...".
_PART_TYPE = re.compile(r"messages\[[0-9]+\]\.content\[[0-9]+\]\.type")
_PARAM = re.compile(r"([A-Za-z_][A-Za-z0-9_]*(?:\[[0-9]+\]|\.[A-Za-z_][A-Za-z0-9_]*)*): ")
_BEARER = {"www-authenticate": "Bearer"}


@dataclass(frozen=True)
class Rule:
    """How one kind of SDK error is answered: status, OpenAI's ``type`` and ``code``, and
    ``retry`` False when no later try can cure it (a 5xx then says ``x-should-retry: false``)."""

    status: int
    type: str
    code: Optional[str]
    retry: bool = True


RULES: Mapping[str, Rule] = {
    "ModelError": Rule(404, "invalid_request_error", "model_not_found"),
    "ImageTooLargeError": Rule(413, "invalid_request_error", "image_too_large"),
    "InvalidImageError": Rule(400, "invalid_request_error", "invalid_image"),
    "ImagesNotSupportedError": Rule(400, "invalid_request_error", "images_not_supported"),
    "ImageTooLargeForSiteError": Rule(413, "invalid_request_error", "image_too_large"),
    "ImageRejectedError": Rule(400, "invalid_request_error", "image_rejected"),
    "InvalidRequestError": Rule(400, "invalid_request_error", None),
    "ContentFlaggedError": Rule(400, "invalid_request_error", "content_policy_violation"),
    "AccessDeniedError": Rule(403, "permission_error", "access_denied"),
    "RateLimitError": Rule(429, "requests", "rate_limit_exceeded"),
    "TokenLimitError": Rule(429, "insufficient_quota", "insufficient_quota"),
    "APITimeoutError": Rule(504, "server_error", "site_timeout"),
    "APIConnectionError": Rule(502, "server_error", "site_unreachable"),
    "ClientClosedError": Rule(503, "server_error", "shutting_down"),
    # Retried unless its code is upstream_refused (the model API's 401).
    "UpstreamError": Rule(502, "server_error", "upstream_error"),
    # A site misconfigured for good (a PluginError is retried only for cache_miss).
    "PluginError": Rule(502, "server_error", "site_refused", retry=False),
    "EndpointGoneError": Rule(502, "server_error", "site_error", retry=False),
    "BlockedError": Rule(502, "server_error", "site_blocked", retry=False),
    "UnsupportedPluginError": Rule(502, "server_error", "site_error", retry=False),
    "BotNotFoundError": Rule(502, "server_error", "bot_not_found", retry=False),
    "Chatgpt4oError": Rule(502, "server_error", "site_error"),
}
"""SDK error class name -> its reply; an error takes the rule of the first name in its MRO.
Anything else is a bug: 500 ``server_error``, its message withheld."""


@dataclass(frozen=True)
class ErrorReply:
    """An OpenAI-shaped error, ready to send: status, ``{"error": {...}}`` body and extra
    headers (``Retry-After``, ...; names lower-case)."""

    status: int
    body: dict[str, dict[str, Optional[str]]]
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def message(self) -> str:
        """The error's message."""
        return self.body["error"]["message"] or ""

    def to_bytes(self) -> bytes:
        """The body as compact UTF-8 JSON."""
        return dumps(self.body)


class Refusal(Exception):
    """Raised with the reply that refuses a request; ``error_reply`` answers it as it is."""

    def __init__(self, reply: ErrorReply) -> None:
        super().__init__(reply.message)
        self.reply = reply


def error_body(
    message: str, type: str, *, param: Optional[str] = None, code: Optional[str] = None
) -> dict[str, dict[str, Optional[str]]]:
    """OpenAI's error body: ``{"error": {"message", "type", "param", "code"}}``."""
    return {"error": {"message": message, "type": type, "param": param, "code": code}}


def _invalid(
    status: int,
    message: str,
    code: Optional[str] = None,
    *,
    param: Optional[str] = None,
    type: str = "invalid_request_error",
    headers: Optional[dict[str, str]] = None,
) -> ErrorReply:
    return ErrorReply(status, error_body(message, type, param=param, code=code), headers or {})


def rule_for(exc: BaseException) -> Optional[Rule]:
    """The rule for ``exc`` (first class name in its MRO that has one), or None for a bug."""
    for cls in type(exc).__mro__:
        rule = RULES.get(cls.__name__)
        if rule is not None:
            return rule
    return None


def error_reply(exc: BaseException) -> ErrorReply:
    """The reply for an error raised while answering a request (a ``Refusal``'s own reply).

    Example::

        error_reply(chatgpt4o.ModelError("gpt-5", ["gpt-4o-mini"])).status  # 404

    An InvalidRequestError about a content part the site cannot take (audio, a file) gets
    code ``unsupported_parameter``, as the policy's refusals do.
    """
    if isinstance(exc, Refusal):
        return exc.reply
    rule = rule_for(exc)
    if rule is None:
        return _invalid(500, _INTERNAL_MESSAGE, type="server_error")
    message = str(exc) or type(exc).__name__
    param = _param_of(exc, message)
    code = rule.code
    if code is None and param is not None and _PART_TYPE.fullmatch(param):
        code = "unsupported_parameter"
    headers = _retry_headers(exc, rule)
    return _invalid(rule.status, message, code, param=param, type=rule.type, headers=headers)


# The SDK's codes that say a later try may succeed, or may not, against the rule's default.
_TRANSIENT_CODES = frozenset({"cache_miss", "upstream"})
_PERMANENT_CODES = frozenset({"upstream_refused"})


def _should_retry(exc: BaseException, rule: Rule) -> bool:
    code = getattr(exc, "code", None)
    if code in _PERMANENT_CODES:
        return False
    return rule.retry or code in _TRANSIENT_CODES


def _param_of(exc: BaseException, message: str) -> Optional[str]:
    field = getattr(exc, "field", None)
    if isinstance(field, str):  # InvalidImageError: where the picture was given
        return field
    rule = rule_for(exc)
    if rule is RULES["ImagesNotSupportedError"]:
        return "messages"
    if rule not in (RULES["ModelError"], RULES["InvalidRequestError"]):
        return None
    found = _PARAM.match(message)
    return found.group(1) if found else None


def _retry_headers(exc: BaseException, rule: Rule) -> dict[str, str]:
    seconds = _retry_after_of(exc)
    headers: dict[str, str] = {}
    if rule.status == 429:
        if rule.code == "insufficient_quota":
            headers["x-should-retry"] = "false"
            wait = DEFAULT_QUOTA_RETRY_AFTER if seconds is None else seconds
        else:
            wait = DEFAULT_RATE_LIMIT_RETRY_AFTER if seconds is None else seconds
        headers["retry-after"] = str(math.ceil(wait))
        if seconds is not None:
            headers["retry-after-ms"] = str(math.ceil(seconds * 1000))
    elif rule.status >= 500 and not _should_retry(exc, rule):
        headers["x-should-retry"] = "false"
    elif rule.status >= 500 and seconds is not None:
        headers["retry-after"] = str(math.ceil(seconds))
    return headers


def _retry_after_of(exc: BaseException) -> Optional[float]:
    value = getattr(exc, "retry_after", None)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if not math.isfinite(value) or value < 0:
        return None
    return float(value)


def missing_api_key() -> ErrorReply:
    """401 for a request without ``Authorization: Bearer ...``, as OpenAI words it."""
    message = (
        "You didn't provide an API key. You need to provide your API key in an Authorization "
        "header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."
    )
    return _invalid(401, message, headers=_BEARER)


def invalid_api_key() -> ErrorReply:
    """401 for a wrong key; unlike OpenAI, no part of the key sent is echoed back."""
    return _invalid(401, "Incorrect API key provided.", "invalid_api_key", headers=_BEARER)


def model_not_found(model: str) -> ErrorReply:
    """404 for ``GET /v1/models/{model}`` of a model this server does not have."""
    message = f"The model '{model}' does not exist"
    return _invalid(404, message, "model_not_found", param="model")


def route_not_found(method: str, path: str, status: int = 404) -> ErrorReply:
    """404 (or 405 for a known path) for a URL this server does not serve, as OpenAI words it."""
    return _invalid(status, f"Invalid URL ({method} {path})")


def body_too_large(limit: int) -> ErrorReply:
    """413 for a request body over the server's cap."""
    message = f"The request body is larger than this server accepts ({limit} bytes)."
    return _invalid(413, message, "request_too_large")


def foreign_host(host: Optional[str]) -> ErrorReply:
    """400 for a keyless server reached under a name not its own (DNS rebinding)."""
    shown = "no Host header" if not host else f"the Host {host!r}"
    message = (
        f"This server does not answer to {shown}; without an API key it answers only to its "
        "own address (add more with --allowed-host)."
    )
    return _invalid(400, message, "invalid_host")


def foreign_origin(origin: str) -> ErrorReply:
    """403 for a keyless server called by a web page CORS does not allow."""
    message = (
        f"Requests from the web page origin {origin!r} are not allowed "
        "(allow it with --cors-origin, or give the server an API key)."
    )
    return _invalid(403, message, "origin_not_allowed", type="permission_error")


def not_json(content_type: Optional[str]) -> ErrorReply:
    """415 for a keyless server's POST whose body is not declared as JSON."""
    shown = "no Content-Type" if not content_type else f"Content-Type {content_type!r}"
    message = f"Expected Content-Type application/json, got {shown}."
    return _invalid(415, message, "unsupported_media_type")


def bad_json(detail: str) -> ErrorReply:
    """400 for a body that is not a JSON object."""
    return _invalid(400, f"We could not parse the JSON body of your request. ({detail})")


def error_event(reply: ErrorReply) -> bytes:
    """The SSE event that ends a stream that failed after it started (no ``[DONE]`` follows);
    OpenAI clients raise ``APIError`` with its message when they read it."""
    return b"data: " + reply.to_bytes() + b"\n\n"
