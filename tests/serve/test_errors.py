"""The pure mapping from the SDK's errors to OpenAI statuses, bodies and headers."""

from __future__ import annotations

import json
from typing import Any, Callable, Optional

import pytest

import chatgpt4o
from chatgpt4o import _exceptions
from chatgpt4o.serve import _errors
from chatgpt4o.serve._errors import (
    RULES,
    ErrorReply,
    bad_json,
    body_too_large,
    error_event,
    error_reply,
    invalid_api_key,
    missing_api_key,
    model_not_found,
    route_not_found,
    rule_for,
)

URL = "http://127.0.0.1:1/wp-admin/admin-ajax.php"


def _error(name: str, *args: Any, **kwargs: Any) -> BaseException:
    cls = getattr(_exceptions, name, None)
    if cls is None:
        pytest.skip(f"this SDK has no {name}")
    error: BaseException = cls(*args, **kwargs)
    return error


BAD, SERVER = "invalid_request_error", "server_error"
U: dict[str, Any] = {"url": URL}


def _http(status: int = 503, retry_after: Optional[float] = None) -> dict[str, Any]:
    return {**U, "status_code": status, "body": "", "retry_after": retry_after}


def _status(name: str, retry_after: Optional[float] = None, status: int = 503) -> BaseException:
    return _error(name, "HTTP error", **_http(status, retry_after))


def _plugin(name: str) -> BaseException:
    return _error(name, "no", **U)


def _fields(reply: ErrorReply) -> tuple[int, Optional[str], Optional[str]]:
    return reply.status, reply.body["error"]["type"], reply.body["error"]["code"]


NO_PICTURES = {**U, "bot_id": "1", "max_images": 0}
# name, its keyword arguments after the message, (status, type, code)
CASES: list[tuple[str, dict[str, Any], tuple[int, str, Optional[str]]]] = [
    ("ModelError", {"valid": ["gpt-4o-mini"]}, (404, BAD, "model_not_found")),
    ("InvalidRequestError", {}, (400, BAD, None)),
    ("InvalidRequestTypeError", {}, (400, BAD, None)),
    ("RateLimitError", _http(429), (429, "requests", "rate_limit_exceeded")),
    ("TokenLimitError", U, (429, "insufficient_quota", "insufficient_quota")),
    ("ContentFlaggedError", U, (400, BAD, "content_policy_violation")),
    ("AccessDeniedError", U, (403, "permission_error", "access_denied")),
    ("UpstreamError", U, (502, SERVER, "upstream_error")),
    ("PluginError", U, (502, SERVER, "site_refused")),
    ("APITimeoutError", U, (504, SERVER, "site_timeout")),
    ("APIConnectionError", U, (502, SERVER, "site_unreachable")),
    ("APIStatusError", _http(), (502, SERVER, "site_error")),
    ("EndpointGoneError", _http(400), (502, SERVER, "site_error")),
    ("BlockedError", _http(403), (502, SERVER, "site_blocked")),
    ("NonceError", U, (502, SERVER, "site_error")),
    ("ChatPageError", {**U, "missing": "nonce"}, (502, SERVER, "site_error")),
    ("UnsupportedPluginError", {**U, "missing": "chat"}, (502, SERVER, "site_error")),
    ("BadReplyError", U, (502, SERVER, "site_error")),
    ("BotNotFoundError", {**U, "bot_id": 9, "bots": ["1"]}, (502, SERVER, "bot_not_found")),
    ("InvalidImageError", {"field": "images[0]"}, (400, BAD, "invalid_image")),
    ("ImageTooLargeError", {"field": "x", "size": 9, "limit": 8}, (413, BAD, "image_too_large")),
    ("ImagesNotSupportedError", NO_PICTURES, (400, BAD, "images_not_supported")),
    ("ImageRejectedError", U, (400, BAD, "image_rejected")),
    ("ImageTooLargeForSiteError", U, (413, BAD, "image_too_large")),
    ("ClientClosedError", {}, (503, SERVER, "shutting_down")),
]


@pytest.mark.parametrize(("name", "kwargs", "expected"), CASES, ids=[c[0] for c in CASES])
def test_each_sdk_error_has_its_openai_status(
    name: str, kwargs: dict[str, Any], expected: tuple[int, str, Optional[str]]
) -> None:
    exc = _error(name, "boom", **kwargs)
    reply = error_reply(exc)
    assert _fields(reply) == expected
    assert reply.message == str(exc)
    assert set(reply.body["error"]) == {"message", "type", "param", "code"}


def test_every_rule_names_a_class_of_the_error_tree() -> None:
    assert set(RULES) <= set(_exceptions.__all__)


@pytest.mark.parametrize("name", _exceptions.__all__)
def test_every_error_of_the_tree_has_a_rule(name: str) -> None:
    assert rule_for(Exception.__new__(getattr(_exceptions, name))) is not None


def test_a_bug_is_500_and_keeps_its_message_to_itself() -> None:
    reply = error_reply(KeyError("the nonce is abc123"))
    assert _fields(reply) == (500, "server_error", None)
    assert "abc123" not in reply.message
    assert reply.headers == {}


@pytest.mark.parametrize(
    ("message", "param"),
    [
        (
            "temperature: the site chooses its own sampling settings; remove temperature",
            "temperature",
        ),
        ("messages[0].content: expected a str", "messages[0].content"),
        ("messages[2].content[1].type: the site takes text only", "messages[2].content[1].type"),
        ("messages: the prompt is 200001 characters", "messages"),
        ("the prompt is blank", None),
        ("Hello: world with spaces before: it", "Hello"),
    ],
)
def test_param_is_the_field_a_400_names(message: str, param: Optional[str]) -> None:
    assert error_reply(chatgpt4o.InvalidRequestError(message)).body["error"]["param"] == param


def test_unknown_model_names_the_model_param() -> None:
    reply = error_reply(chatgpt4o.ModelError("gpt-5", ["gpt-4o-mini"]))
    assert reply.body["error"]["param"] == "model"


def test_a_content_part_the_site_cannot_take_is_an_unsupported_parameter() -> None:
    part = chatgpt4o.InvalidRequestError("messages[0].content[1].type: text and pictures only")
    other = chatgpt4o.InvalidRequestError("messages[0].content: expected a str")
    assert error_reply(part).body["error"]["code"] == "unsupported_parameter"
    assert error_reply(other).body["error"]["code"] is None


def test_errors_that_are_not_about_input_name_no_param() -> None:
    exc = _error("APIConnectionError", "messages: odd wording", url=URL)
    assert error_reply(exc).body["error"]["param"] is None


@pytest.mark.parametrize(
    ("retry_after", "headers"),
    [
        (None, {"retry-after": "1"}),
        (3.0, {"retry-after": "3", "retry-after-ms": "3000"}),
        (0.25, {"retry-after": "1", "retry-after-ms": "250"}),
        (0.0, {"retry-after": "0", "retry-after-ms": "0"}),
        (float("nan"), {"retry-after": "1"}),
        (-5.0, {"retry-after": "1"}),
    ],
)
def test_a_rate_limit_says_how_long_to_wait(
    retry_after: Optional[float], headers: dict[str, str]
) -> None:
    reply = error_reply(_status("RateLimitError", retry_after, status=429))
    assert reply.headers == headers


def test_a_used_up_quota_waits_long_and_tells_openai_clients_not_to_retry() -> None:
    reply = error_reply(_plugin("TokenLimitError"))
    assert reply.headers == {
        "x-should-retry": "false",
        "retry-after": str(int(_errors.DEFAULT_QUOTA_RETRY_AFTER)),
    }


def _coded(name: str, code: Optional[str]) -> BaseException:
    return _error(name, "no", url=URL, code=code)


@pytest.mark.parametrize(
    ("make", "retry"),
    [
        (lambda: _coded("PluginError", None), False),  # "API key missing for OpenAI."
        (lambda: _coded("PluginError", "cache_miss"), True),
        (lambda: _coded("UpstreamError", "upstream_refused"), False),  # the model API's 401
        (lambda: _coded("UpstreamError", "upstream"), True),
        (lambda: _status("EndpointGoneError", status=400), False),
        (lambda: _status("BlockedError", status=403), False),
        (lambda: _error("BotNotFoundError", "no", url=URL, bot_id=9, bots=[]), False),
        (lambda: _error("UnsupportedPluginError", "x", url=URL, missing="chat"), False),
        (lambda: _status("APIStatusError"), True),
        (lambda: _error("APIConnectionError", "down", url=URL), True),
        (lambda: _error("BadReplyError", "empty", url=URL), True),
        (lambda: _error("NonceError", "rejected", url=URL), True),
    ],
)
def test_a_site_misconfigured_for_good_tells_clients_not_to_retry(
    make: Callable[[], BaseException], retry: bool
) -> None:
    reply = error_reply(make())
    assert reply.status == 502
    assert ("x-should-retry" not in reply.headers) is retry
    if not retry:
        assert reply.headers["x-should-retry"] == "false"


def test_image_errors_name_where_the_picture_was() -> None:
    bad = _error("InvalidImageError", "not an image", field="messages[0].content[1]")
    refused = _error("ImagesNotSupportedError", "no", url=URL, bot_id="1", max_images=0)
    assert error_reply(bad).body["error"]["param"] == "messages[0].content[1]"
    assert error_reply(refused).body["error"]["param"] == "messages"


def test_a_failing_site_passes_its_retry_after_on() -> None:
    assert error_reply(_status("APIStatusError", 7.5)).headers == {"retry-after": "8"}
    assert error_reply(_status("APIStatusError")).headers == {}


def test_auth_replies_are_openais() -> None:
    missing, wrong = missing_api_key(), invalid_api_key()
    assert _fields(missing) == (401, "invalid_request_error", None)
    assert _fields(wrong) == (401, "invalid_request_error", "invalid_api_key")
    assert "You didn't provide an API key" in missing.message
    assert missing.headers == wrong.headers == {"www-authenticate": "Bearer"}


def test_other_replies() -> None:
    assert _fields(model_not_found("x")) == (404, "invalid_request_error", "model_not_found")
    assert model_not_found("x").body["error"]["param"] == "model"
    assert route_not_found("GET", "/v2/x").message == "Invalid URL (GET /v2/x)"
    assert route_not_found("GET", "/v1/chat/completions", 405).status == 405
    assert _fields(body_too_large(10)) == (413, "invalid_request_error", "request_too_large")
    assert bad_json("Expecting value").status == 400


def test_the_body_and_the_stream_event_are_compact_json() -> None:
    reply = model_not_found("ünïcode")
    assert json.loads(reply.to_bytes()) == reply.body
    assert "ünïcode".encode() in reply.to_bytes()
    event = error_event(reply)
    assert event.startswith(b"data: {")
    assert event.endswith(b"}\n\n")
    assert event.count(b"\n") == 2
    assert json.loads(event[len(b"data: ") :]) == reply.body
