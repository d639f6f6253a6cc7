"""The SDK's errors as OpenAI error replies: status, body and headers, by pure functions.

Everything here is plain data in, plain data out, with no I/O, so every mapping is unit-tested
on its own. An OpenAI error body is ``{"error": {"message", "type", "param", "code"}}``; the
status and headers follow what OpenAI sends for the same kind of failure, so that OpenAI
clients raise the error class their users already catch (``BadRequestError``,
``NotFoundError``, ``RateLimitError``, ``InternalServerError``, ...).

==========================================  ======  =========================================
SDK error                                   status  OpenAI ``type`` / ``code``
==========================================  ======  =========================================
``ModelError``                              404     invalid_request_error / model_not_found
``InvalidRequestError`` (and ``...Type``)   400     invalid_request_error / null, or
                                                    unsupported_parameter for a content part
``ContentFlaggedError``                     400     invalid_request_error / content_policy_violation
``AccessDeniedError``                       403     permission_error / access_denied
``RateLimitError``                          429     requests / rate_limit_exceeded
``TokenLimitError`` (the site's quota)      429     insufficient_quota / insufficient_quota
``APITimeoutError``                         504     server_error / site_timeout
``APIConnectionError``                      502     server_error / site_unreachable
``ClientClosedError``                       503     server_error / shutting_down
``ImageTooLargeError`` and ``...ForSite``   413     invalid_request_error / image_too_large
``InvalidImageError``                       400     invalid_request_error / invalid_image
``ImagesNotSupportedError``                 400     invalid_request_error / images_not_supported
``ImageRejectedError``                      400     invalid_request_error / image_rejected
``UpstreamError``                           502     server_error / upstream_error
``PluginError`` (other refusals)            502     server_error / site_refused, not retried
``EndpointGoneError``, ``BlockedError``,    502     server_error / site_error, site_blocked or
``UnsupportedPluginError``,                         bot_not_found, not retried
``BotNotFoundError``
any other ``Chatgpt4oError``                502     server_error / site_error
anything else                               500     server_error / null (message withheld)
==========================================  ======  =========================================

429 replies carry ``Retry-After`` (whole seconds, rounded up; the site's own value when it sent
one) and, when the site's wait is known, ``retry-after-ms``; a used-up quota also carries
``x-should-retry: false`` so OpenAI clients do not retry it on their own. So does a 502 for a
site misconfigured for good (no API key on the site, the model's API refusing its key, a bot
that is not there, the plugin gone, a block page): the SDK does not retry those either, and
neither should a caller. An UpstreamError is retryable unless its code is
``upstream_refused``; a PluginError is not, unless its code is ``cache_miss``. Any other 5xx
whose site reply had a ``Retry-After`` passes it on.

The table is keyed by class *name* along the error's MRO (first match wins), so it is data that
tests can check against ``chatgpt4o._exceptions.__all__``, and it holds for every error tree
the SDK has shipped (the names are stable; their bases moved).
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
    "parameter_refused",
    "route_not_found",
    "rule_for",
    "unknown_parameter",
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


@dataclass(frozen=True)
class Rule:
    """How one kind of SDK error is answered.

    Attributes:
        status: the HTTP status.
        type: OpenAI's ``error.type``.
        code: OpenAI's ``error.code`` (None for null).
        retry: False when a later try cannot cure it: a 5xx then says ``x-should-retry:
            false``, which OpenAI clients honour (the server's own client does not retry
            these either).
    """

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
    # A site misconfigured for good: no retry cures it.
    "UpstreamError": Rule(502, "server_error", "upstream_error"),
    "PluginError": Rule(502, "server_error", "site_refused", retry=False),
    "EndpointGoneError": Rule(502, "server_error", "site_error", retry=False),
    "BlockedError": Rule(502, "server_error", "site_blocked", retry=False),
    "UnsupportedPluginError": Rule(502, "server_error", "site_error", retry=False),
    "BotNotFoundError": Rule(502, "server_error", "bot_not_found", retry=False),
    "Chatgpt4oError": Rule(502, "server_error", "site_error"),
}
"""SDK error class name -> its reply; an error takes the rule of the first name in its MRO."""

_INTERNAL = Rule(500, "server_error", None)


@dataclass(frozen=True)
class ErrorReply:
    """An OpenAI-shaped error, ready to send.

    Attributes:
        status: the HTTP status.
        body: ``{"error": {"message", "type", "param", "code"}}``.
        headers: extra response headers (``Retry-After``, ...), names lower-case.
    """

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


def error_body(
    message: str, type: str, *, param: Optional[str] = None, code: Optional[str] = None
) -> dict[str, dict[str, Optional[str]]]:
    """OpenAI's error body.

    Example::

        error_body("Invalid URL (GET /v2)", "invalid_request_error")
        # {"error": {"message": "Invalid URL (GET /v2)", "type": "invalid_request_error",
        #            "param": None, "code": None}}
    """
    return {"error": {"message": message, "type": type, "param": param, "code": code}}


def rule_for(exc: BaseException) -> Optional[Rule]:
    """The rule for ``exc`` (first class name in its MRO that has one), or None for a bug."""
    for cls in type(exc).__mro__:
        rule = RULES.get(cls.__name__)
        if rule is not None:
            return rule
    return None


def error_reply(exc: BaseException) -> ErrorReply:
    """The reply for an error raised by ``AsyncClient.chat.completions.create()`` or its stream.

    Example::

        error_reply(chatgpt4o.ModelError("gpt-5", ["gpt-4o-mini"])).status  # 404

    An InvalidRequestError about a content part the site cannot take (audio, a file) gets
    code ``unsupported_parameter``, as the policy's refusals do.
    """
    rule = rule_for(exc)
    if rule is None:
        return ErrorReply(_INTERNAL.status, error_body(_INTERNAL_MESSAGE, _INTERNAL.type))
    message = str(exc) or type(exc).__name__
    param = _param_of(exc, message)
    code = rule.code
    if code is None and param is not None and _PART_TYPE.fullmatch(param):
        code = "unsupported_parameter"
    headers = _retry_headers(exc, rule)
    return ErrorReply(rule.status, error_body(message, rule.type, param=param, code=code), headers)


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
    if rule_for(exc) is RULES["ImagesNotSupportedError"]:
        return "messages"
    if rule_for(exc) not in (RULES["ModelError"], RULES["InvalidRequestError"]):
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
    return ErrorReply(
        401,
        error_body(
            "You didn't provide an API key. You need to provide your API key in an "
            "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
            "invalid_request_error",
        ),
        {"www-authenticate": "Bearer"},
    )


def invalid_api_key() -> ErrorReply:
    """401 for a wrong key; unlike OpenAI, no part of the key sent is echoed back."""
    return ErrorReply(
        401,
        error_body("Incorrect API key provided.", "invalid_request_error", code="invalid_api_key"),
        {"www-authenticate": "Bearer"},
    )


def model_not_found(model: str) -> ErrorReply:
    """404 for ``GET /v1/models/{model}`` of a model this server does not have."""
    return ErrorReply(
        404,
        error_body(
            f"The model '{model}' does not exist",
            "invalid_request_error",
            param="model",
            code="model_not_found",
        ),
    )


def route_not_found(method: str, path: str, status: int = 404) -> ErrorReply:
    """404 (or 405 for a known path) for a URL this server does not serve, as OpenAI words it."""
    return ErrorReply(status, error_body(f"Invalid URL ({method} {path})", "invalid_request_error"))


def body_too_large(limit: int) -> ErrorReply:
    """413 for a request body over the server's cap."""
    return ErrorReply(
        413,
        error_body(
            f"The request body is larger than this server accepts ({limit} bytes).",
            "invalid_request_error",
            code="request_too_large",
        ),
    )


def foreign_host(host: Optional[str]) -> ErrorReply:
    """400 for a keyless server reached under a name not its own (DNS rebinding)."""
    shown = "no Host header" if not host else f"the Host {host!r}"
    return ErrorReply(
        400,
        error_body(
            f"This server does not answer to {shown}; without an API key it answers only to "
            "its own address (add more with --allowed-host).",
            "invalid_request_error",
            code="invalid_host",
        ),
    )


def foreign_origin(origin: str) -> ErrorReply:
    """403 for a keyless server called by a web page CORS does not allow."""
    return ErrorReply(
        403,
        error_body(
            f"Requests from the web page origin {origin!r} are not allowed "
            "(allow it with --cors-origin, or give the server an API key).",
            "permission_error",
            code="origin_not_allowed",
        ),
    )


def not_json(content_type: Optional[str]) -> ErrorReply:
    """415 for a keyless server's POST whose body is not declared as JSON."""
    shown = "no Content-Type" if not content_type else f"Content-Type {content_type!r}"
    return ErrorReply(
        415,
        error_body(
            f"Expected Content-Type application/json, got {shown}.",
            "invalid_request_error",
            code="unsupported_media_type",
        ),
    )


def unknown_parameter(param: str) -> ErrorReply:
    """400 for a body field that is not OpenAI's, worded as OpenAI words it."""
    return ErrorReply(
        400,
        error_body(
            f"Unrecognized request argument supplied: {param}",
            "invalid_request_error",
            param=param,
            code="unknown_parameter",
        ),
    )


def parameter_refused(param: str, message: str, code: str) -> ErrorReply:
    """400 for a parameter the policy refuses (``code`` ``unsupported_parameter``) or cannot
    read (``invalid_value``); see ``chatgpt4o.serve._policy``."""
    return ErrorReply(400, error_body(message, "invalid_request_error", param=param, code=code))


def bad_json(detail: str) -> ErrorReply:
    """400 for a body that is not a JSON object."""
    return ErrorReply(
        400,
        error_body(
            f"We could not parse the JSON body of your request. ({detail})",
            "invalid_request_error",
        ),
    )


def error_event(reply: ErrorReply) -> bytes:
    """The SSE event that ends a stream that failed after it started (no ``[DONE]`` follows).

    OpenAI clients raise ``APIError`` with its message when they read it.
    """
    return b"data: " + reply.to_bytes() + b"\n\n"
