"""The ASGI app through httpx.ASGITransport: raw statuses, headers, bodies and SSE framing."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import socket
from collections.abc import AsyncIterator, Coroutine, Iterator
from typing import Any, Optional, TypeVar

import pytest

pytest.importorskip("starlette")

import httpx
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.types import Message

import chatgpt4o
from chatgpt4o.serve import ServerState, create_app
from chatgpt4o.serve._app import ENV_API_KEY
from chatgpt4o.serve._usage import counter
from chatgpt4o.testing import LocalSite

from ._profiles import API_KEY, CLIENT_TIMEOUT

_T = TypeVar("_T")
AUTH = {"Authorization": f"Bearer {API_KEY}"}
HI = [{"role": "user", "content": "hello there"}]


def run(coro: Coroutine[Any, Any, _T]) -> _T:
    return asyncio.run(coro)


@pytest.fixture(scope="module")
def site() -> Iterator[LocalSite]:
    with LocalSite("1.9.18") as site:
        yield site


@pytest.fixture
def fresh_site(site: LocalSite) -> LocalSite:
    site.clear_faults()
    site.clear_log()
    site.stream = False
    return site


def _client(site: LocalSite) -> chatgpt4o.AsyncClient:
    return chatgpt4o.AsyncClient(site.url, timeout=CLIENT_TIMEOUT, max_retries=0, verify=False)


@contextlib.asynccontextmanager
async def asgi(
    site: LocalSite,
    *,
    api_key: Optional[str] = API_KEY,
    client: Optional[chatgpt4o.AsyncClient] = None,
    **options: Any,
) -> AsyncIterator[httpx.AsyncClient]:
    """The app over a non-retrying client (closed after), its lifespan entered, and an HTTP
    client for it."""
    client = client or _client(site)
    app = create_app(client=client, api_key=api_key, **options)
    try:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://serve") as http:
                yield http
    finally:
        await client.aclose()


def send(site: LocalSite, *calls: tuple[Any, ...], **options: Any) -> list[httpx.Response]:
    """Each ``(method, path[, httpx keywords])`` in turn, to one app made with ``options``."""

    async def go() -> list[httpx.Response]:
        async with asgi(site, **options) as http:
            return [await http.request(m, path, **(more or [{}])[0]) for m, path, *more in calls]

    return run(go())


async def _post(site: LocalSite, body: object, **options: Any) -> httpx.Response:
    async with asgi(site, **options) as http:
        content = body if isinstance(body, bytes) else json.dumps(body).encode()
        return await http.post("/v1/chat/completions", content=content, headers=AUTH)


def _events(text: str) -> list[str]:
    assert text.endswith("\n\n")
    return text[: -len("\n\n")].split("\n\n")


def _error(response: httpx.Response) -> dict[str, Any]:
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"message", "type", "param", "code"}
    error: dict[str, Any] = body["error"]
    return error


# -- the routes ------------------------------------------------------------------------------


def test_models(fresh_site: LocalSite) -> None:
    paths = ["/v1/models", "/v1/models/gpt-4o-mini", f"/v1/models/{chatgpt4o.DEFAULT_MODEL}"]
    listing, alias, canonical = send(
        fresh_site, *(("GET", path, {"headers": AUTH}) for path in paths)
    )
    assert listing.status_code == alias.status_code == canonical.status_code == 200
    assert [m["id"] for m in listing.json()["data"]] == [
        *chatgpt4o.MODELS,
        *chatgpt4o.MODEL_ALIASES,
    ]
    assert alias.json()["id"] == "gpt-4o-mini"
    assert canonical.json()["object"] == "model"


@pytest.mark.parametrize("model", ["gpt-5", "openai/gpt-4o-mini", "GPT-4O-MINI"])
def test_an_unknown_model_is_404(fresh_site: LocalSite, model: str) -> None:
    (response,) = send(fresh_site, ("GET", f"/v1/models/{model}", {"headers": AUTH}))
    assert response.status_code == 404
    error = _error(response)
    assert (error["param"], error["code"]) == ("model", "model_not_found")
    assert model in error["message"]


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/v1/chat/completions", 405),
        ("POST", "/v1/models", 405),
        ("GET", "/v1/completions", 404),
        ("POST", "/v1/embeddings", 404),
        ("GET", "/", 404),
    ],
)
def test_other_urls_get_openais_invalid_url(
    fresh_site: LocalSite, method: str, path: str, status: int
) -> None:
    (response,) = send(fresh_site, (method, path, {"headers": AUTH}))
    assert response.status_code == status
    assert _error(response)["message"] == f"Invalid URL ({method} {path})"


# -- chat completions -------------------------------------------------------------------------


BODIES = [{"model": "gpt-4o-mini", "messages": HI}, {"messages": HI}]


def test_a_completion_and_without_a_model_the_default_one_answers(
    fresh_site: LocalSite,
) -> None:
    named, unnamed = send(
        fresh_site,
        *(("POST", "/v1/chat/completions", {"json": b, "headers": AUTH}) for b in BODIES),
    )
    assert named.status_code == unnamed.status_code == 200
    assert named.headers["content-type"] == "application/json"
    body = named.json()
    assert set(body) == {"id", "object", "created", "model", "choices", "usage"}
    assert body["id"].startswith("chatcmpl-")
    assert body["object"] == "chat.completion"
    assert body["model"] == unnamed.json()["model"] == chatgpt4o.DEFAULT_MODEL
    assert body["choices"] == [
        {
            "index": 0,
            "message": {"role": "assistant", "content": "Echo: hello there"},
            "logprobs": None,
            "finish_reason": "stop",
        }
    ]
    assert fresh_site.posts[-1].fields["message"] == "hello there"


@pytest.mark.parametrize("site_streams", [False, True], ids=["json", "sse"])
def test_a_stream_is_framed_as_openai_frames_it(fresh_site: LocalSite, site_streams: bool) -> None:
    fresh_site.stream = site_streams
    body = {"model": "gpt-4o-mini", "messages": HI, "stream": True}
    response = run(_post(fresh_site, body))
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
    assert response.headers["cache-control"] == "no-cache"
    events = _events(response.text)
    assert events[-1] == "data: [DONE]"
    assert all(event.startswith("data: {") and "\n" not in event for event in events[:-1])
    chunks = [json.loads(event[len("data: ") :]) for event in events[:-1]]
    assert len({chunk["id"] for chunk in chunks}) == 1
    assert {chunk["object"] for chunk in chunks} == {"chat.completion.chunk"}
    deltas = [chunk["choices"][0]["delta"] for chunk in chunks]
    assert deltas[0] == {"role": "assistant", "content": ""}
    assert deltas[-1] == {}
    assert [c["choices"][0]["finish_reason"] for c in chunks] == [None] * (len(chunks) - 1) + [
        "stop"
    ]
    assert "".join(delta.get("content", "") for delta in deltas) == "Echo: hello there"
    assert all("usage" not in chunk for chunk in chunks)  # not asked for


# -- the parameter policy (the README's table, row by row) -----------------------------------

TOOLS = [{"type": "function", "function": {"name": "f", "parameters": {}}}]
IGNORED_ROW = {
    "temperature": 0,
    "top_p": 1,
    "frequency_penalty": 0,
    "presence_penalty": 0.5,
    "seed": 7,
    "user": "u-1",
    "metadata": {"k": "v"},
    "store": False,
    "service_tier": "auto",
    "logit_bias": {"50256": -100},
    "parallel_tool_calls": True,
    "prompt_cache_key": "k",
    "reasoning_effort": "low",
    "safety_identifier": "s",
    "verbosity": "low",
    "prediction": {"type": "content", "content": "x"},
}
HONOURED_ROWS: list[dict[str, Any]] = [
    {"response_format": {"type": "text"}},
    {"n": 1},
    {"logprobs": False, "top_logprobs": 0},
    {"tools": TOOLS},
    {"tools": TOOLS, "tool_choice": "auto"},
    {"tools": TOOLS, "tool_choice": "none"},
    {"modalities": ["text"]},
    {"stop": []},
    {"stream_options": {"include_usage": False}},
    {"temperature": None, "n": None, "audio": None},
]


@pytest.mark.parametrize("stream", [False, True], ids=["create", "stream"])
def test_sampling_and_bookkeeping_are_ignored_and_named_in_a_header(
    fresh_site: LocalSite, stream: bool
) -> None:
    response = run(_post(fresh_site, {"messages": HI, "stream": stream, **IGNORED_ROW}))
    assert response.status_code == 200, response.text
    named = response.headers["x-chatgpt4o-ignored-params"].split(", ")
    assert named == sorted(IGNORED_ROW)
    assert "Echo: hello there" in response.text
    assert fresh_site.posts[-1].fields["message"] == "hello there"  # nothing else was sent


@pytest.mark.parametrize("extra", HONOURED_ROWS, ids=[json.dumps(e)[:40] for e in HONOURED_ROWS])
def test_values_asking_for_what_the_site_does_are_taken(
    fresh_site: LocalSite, extra: dict[str, Any]
) -> None:
    response = run(_post(fresh_site, {"messages": HI, **extra}))
    assert response.status_code == 200, response.text
    assert response.json()["choices"][0]["message"]["content"] == "Echo: hello there"
    assert "x-chatgpt4o-ignored-params" not in response.headers


REFUSED_ROWS: list[tuple[dict[str, Any], str]] = [
    ({"n": 2}, "n"),
    ({"tools": TOOLS, "tool_choice": "required"}, "tool_choice"),
    (
        {"tools": TOOLS, "tool_choice": {"type": "function", "function": {"name": "f"}}},
        "tool_choice",
    ),
    ({"response_format": {"type": "json_object"}}, "response_format"),
    ({"response_format": {"type": "json_schema", "json_schema": {}}}, "response_format"),
    ({"logprobs": True}, "logprobs"),
    ({"audio": {"voice": "alloy", "format": "wav"}}, "audio"),
    ({"modalities": ["text", "audio"]}, "modalities"),
    ({"web_search_options": {}}, "web_search_options"),
]


@pytest.mark.parametrize(("extra", "param"), REFUSED_ROWS, ids=[r[1] for r in REFUSED_ROWS])
@pytest.mark.parametrize("stream", [False, True], ids=["create", "stream"])
def test_what_would_change_the_answer_is_400_naming_the_parameter(
    fresh_site: LocalSite, extra: dict[str, Any], param: str, stream: bool
) -> None:
    response = run(_post(fresh_site, {"messages": HI, "stream": stream, **extra}))
    assert response.status_code == 400
    error = _error(response)
    assert (error["param"], error["code"]) == (param, "unsupported_parameter")
    assert error["type"] == "invalid_request_error"
    assert error["message"].startswith(f"Unsupported parameter: '{param}': ")
    assert fresh_site.requests == []


@pytest.mark.parametrize(
    "part",
    [
        {"type": "input_audio", "input_audio": {"data": "AAAA", "format": "wav"}},
        {"type": "file", "file": {"file_id": "f"}},
    ],
)
def test_content_parts_the_site_cannot_take_are_400_naming_them(
    fresh_site: LocalSite, part: dict[str, Any]
) -> None:
    content = [{"type": "text", "text": "what is this?"}, part]
    response = run(_post(fresh_site, {"messages": [{"role": "user", "content": content}]}))
    assert response.status_code == 400
    error = _error(response)
    assert (error["param"], error["code"]) == (
        "messages[0].content[1].type",
        "unsupported_parameter",
    )
    assert fresh_site.requests == []


def test_strict_refuses_what_it_would_ignore(fresh_site: LocalSite) -> None:
    refused = run(_post(fresh_site, {"messages": HI, "temperature": 0}, strict=True))
    taken = run(_post(fresh_site, {"messages": HI, "n": 1, "stop": "zzz"}, strict=True))
    error = _error(refused)
    assert (refused.status_code, error["param"], error["code"]) == (
        400,
        "temperature",
        "unsupported_parameter",
    )
    assert taken.status_code == 200, taken.text
    assert len(fresh_site.posts) == 1


@pytest.mark.parametrize("site_streams", [False, True], ids=["json", "sse"])
@pytest.mark.parametrize("stream", [False, True], ids=["create", "stream"])
@pytest.mark.parametrize(
    ("stop", "content"),
    [("lo th", "Echo: hel"), ([" there", "zzz"], "Echo: hello"), ("Echo", "")],
)
def test_a_stop_sequence_cuts_the_reply_with_finish_reason_stop(
    fresh_site: LocalSite, site_streams: bool, stream: bool, stop: object, content: str
) -> None:
    fresh_site.stream = site_streams
    response = run(_post(fresh_site, {"messages": HI, "stop": stop, "stream": stream}))
    assert response.status_code == 200, response.text
    assert _reply_of(response, stream) == (content, "stop")


@pytest.mark.parametrize("stream", [False, True], ids=["create", "stream"])
@pytest.mark.parametrize("field", ["max_tokens", "max_completion_tokens"])
def test_max_tokens_cuts_the_reply_as_usage_counts_it(
    fresh_site: LocalSite, stream: bool, field: str
) -> None:
    fresh_site.stream = True
    body = {
        "messages": HI,
        field: 2,
        "stream": stream,
        "stream_options": {"include_usage": True} if stream else None,
    }
    response = run(_post(fresh_site, body))
    assert response.status_code == 200, response.text
    content, reason = _reply_of(response, stream)
    assert reason == "length"
    assert content
    assert "Echo: hello there".startswith(content)
    assert content != "Echo: hello there"
    assert _usage_of(response, stream)["completion_tokens"] == counter().count(content) <= 2


@pytest.mark.parametrize("stream", [False, True], ids=["create", "stream"])
def test_usage_counts_the_prompt_the_site_was_sent_and_the_reply(
    fresh_site: LocalSite, stream: bool
) -> None:
    messages = [{"role": "system", "content": "Be brief."}, *HI]
    body = {"messages": messages, "stream": stream}
    if stream:
        body["stream_options"] = {"include_usage": True}
    response = run(_post(fresh_site, body))
    sent = fresh_site.posts[-1].fields["message"]
    assert sent == "System: Be brief.\nUser: hello there\nAssistant:"
    count = counter().count
    assert _usage_of(response, stream) == {
        "prompt_tokens": count(sent),
        "completion_tokens": count("Echo: " + sent),
        "total_tokens": count(sent) + count("Echo: " + sent),
    }


def _reply_of(response: httpx.Response, stream: bool) -> tuple[str, str]:
    if not stream:
        choice = response.json()["choices"][0]
        return choice["message"]["content"], choice["finish_reason"]
    chunks = [json.loads(e[len("data: ") :]) for e in _events(response.text)[:-1]]
    choices = [chunk["choices"][0] for chunk in chunks if chunk["choices"]]
    reasons = [choice["finish_reason"] for choice in choices]
    assert reasons[:-1] == [None] * (len(reasons) - 1)
    return "".join(c["delta"].get("content", "") for c in choices), reasons[-1]


def _usage_of(response: httpx.Response, stream: bool) -> dict[str, int]:
    if not stream:
        whole: dict[str, int] = response.json()["usage"]
        return whole
    events = _events(response.text)
    assert events[-1] == "data: [DONE]"
    last = json.loads(events[-2][len("data: ") :])
    assert last["choices"] == []  # OpenAI's usage chunk
    usage: dict[str, int] = last["usage"]
    return usage


BAD_BODIES: list[dict[str, Any]] = [
    {"messages": HI, "stream": "yes"},
    {"messages": []},
    {},
    {"messages": [{"role": "wizard", "content": "x"}]},
    {"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {}}]}]},
    {"messages": [{"role": "user", "content": "hi", "name": "bob"}]},
    {"messages": [{"role": "user", "content": "   "}]},
    {"messages": HI, "model": 4},
]


@pytest.mark.parametrize("body", BAD_BODIES, ids=[json.dumps(b)[:50] for b in BAD_BODIES])
@pytest.mark.parametrize("stream", [False, True], ids=["create", "stream"])
def test_bad_input_is_refused_exactly_as_create_refuses_it(
    fresh_site: LocalSite, body: dict[str, Any], stream: bool
) -> None:
    if stream and "stream" not in body:
        body = {**body, "stream": True}
    response = run(_post(fresh_site, body))

    async def direct() -> Exception:
        arguments = {"model": None, "messages": None, **body}
        async with _client(fresh_site) as client:
            with pytest.raises(chatgpt4o.InvalidRequestError) as caught:
                await client.chat.completions.create(**arguments)
        return caught.value

    expected = run(direct())
    assert response.status_code == 400
    error = _error(response)
    assert error["message"] == str(expected)
    assert error["type"] == "invalid_request_error"
    assert fresh_site.posts == []


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("extra_headers", {"X-Forwarded-For": "1.2.3.4"}),
        ("timeout", 10),
        ("bot_id", 2),
        ("extra_body", {}),
        ("foo", 1),
    ],
)
def test_only_openais_fields_are_read_from_a_body(
    fresh_site: LocalSite, field: str, value: object
) -> None:
    response = run(_post(fresh_site, {"messages": HI, field: value}))
    assert response.status_code == 400
    assert _error(response) == {
        "message": f"Unrecognized request argument supplied: {field}",
        "type": "invalid_request_error",
        "param": field,
        "code": "unknown_parameter",
    }
    assert fresh_site.requests == []


def test_a_caller_cannot_change_any_header_sent_to_the_site(fresh_site: LocalSite) -> None:
    hostile = {
        **AUTH,
        "X-Forwarded-For": "203.0.113.9",
        "X-Real-IP": "203.0.113.9",
        "Forwarded": "for=203.0.113.9",
        "Origin": "https://evil.example",
        "Referer": "https://evil.example/",
        "Cookie": "wordpress_logged_in=stolen",
        "User-Agent": "evil/1.0",
        "Accept-Language": "xx",
        "X-Custom": "1",
    }

    async def go() -> list[dict[str, str]]:
        async with asgi(fresh_site) as http:
            sent = []
            for headers in (AUTH, hostile):
                response = await http.post(
                    "/v1/chat/completions", json={"messages": HI}, headers=headers
                )
                assert response.status_code == 200, response.text
                sent.append(fresh_site.posts[-1].headers)
            return sent

    plain, after_hostile = run(go())
    assert after_hostile == plain
    assert "203.0.113.9" not in json.dumps(after_hostile)


def test_the_operator_chooses_the_bot() -> None:
    with LocalSite("2.4.71", bots=(7, 9)) as site:
        chat = ("POST", "/v1/chat/completions", {"json": {"messages": HI}, "headers": AUTH})
        assert [r.status_code for r in send(site, chat, bot_id=9)] == [200]
        assert {post.fields.get("bot_id") for post in site.cache_posts} == {"9"}


def test_an_unknown_model_in_a_chat_is_404(fresh_site: LocalSite) -> None:
    response = run(_post(fresh_site, {"model": "gpt-5", "messages": HI}))
    assert response.status_code == 404
    error = _error(response)
    assert (error["param"], error["code"]) == ("model", "model_not_found")


@pytest.mark.parametrize(
    ("content", "detail"),
    [
        (b"", "the body is empty"),
        (b"{", "Expecting property name"),
        (b"[1, 2]", "expected a JSON object, got an array"),
        (b'"hi"', "got a string"),
        (b"\xff\xfe{\x00}\x00", "not UTF-8"),
        (b'{"messages": "\xff"}', "not UTF-8"),
        (b"[" * 100_000, "nested too deeply"),
        (b'{"messages": [], "seed": ' + b"9" * 5000 + b"}", "more than 100 digits"),
        (b'{"messages": [], "temperature": NaN}', "NaN is not a JSON number"),
    ],
)
def test_a_body_that_is_not_a_json_object_is_400(
    fresh_site: LocalSite, content: bytes, detail: str
) -> None:
    response = run(_post(fresh_site, content))
    assert response.status_code == 400
    assert detail in _error(response)["message"]


def test_a_body_over_the_cap_is_413_whether_or_not_its_length_is_declared(
    fresh_site: LocalSite,
) -> None:
    big = json.dumps({"messages": [{"role": "user", "content": "x" * 2000}]}).encode()

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(big), 100):
            yield big[start : start + 100]

    async def go() -> list[httpx.Response]:
        async with asgi(fresh_site, max_body_bytes=1000) as http:
            declared = await http.post("/v1/chat/completions", content=big, headers=AUTH)
            streamed = await http.post("/v1/chat/completions", content=chunks(), headers=AUTH)
            fits = await http.post("/v1/chat/completions", json={"messages": HI}, headers=AUTH)
            return [declared, streamed, fits]

    declared, streamed, fits = run(go())
    assert "content-length" not in streamed.request.headers
    for response in (declared, streamed):
        assert response.status_code == 413
        assert _error(response)["code"] == "request_too_large"
    assert fits.status_code == 200
    assert fresh_site.posts[-1].fields["message"] == "hello there"
    assert len(fresh_site.posts) == 1


def test_a_caller_gone_mid_upload_is_one_log_line_and_no_error(
    fresh_site: LocalSite, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(fresh_site.url, api_key=API_KEY)
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/v1/chat/completions",
        "raw_path": b"/v1/chat/completions",
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"serve"),
            (b"authorization", AUTH["Authorization"].encode()),
            (b"content-type", b"application/json"),
            (b"content-length", b"1000"),
        ],
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 8000),
    }
    messages: list[Message] = [
        {"type": "http.request", "body": b'{"messages": [', "more_body": True},
        {"type": "http.disconnect"},
    ]

    async def receive() -> Message:
        return messages.pop(0)

    async def send(message: Message) -> None:
        pass

    with caplog.at_level(logging.DEBUG, logger="chatgpt4o.serve"):
        run(app(scope, receive, send))  # raised ClientDisconnect before
    ours = [record for record in caplog.records if record.name.startswith("chatgpt4o")]
    assert len(ours) <= 1
    assert all(record.levelno < logging.WARNING for record in ours)
    assert fresh_site.requests == []


# -- the site's failures ---------------------------------------------------------------------


@pytest.mark.parametrize("stream", [False, True], ids=["create", "stream"])
@pytest.mark.parametrize(
    ("fault", "params", "status", "code", "headers"),
    [
        ("rate_limit", {"retry_after": "7"}, 429, "rate_limit_exceeded", {"retry-after": "7"}),
        ("rate_limit", {"retry_after": None}, 429, "rate_limit_exceeded", {"retry-after": "1"}),
        ("token_limit", {}, 429, "insufficient_quota", {"x-should-retry": "false"}),
        ("banned_word", {}, 400, "content_policy_violation", {}),
        ("server_error", {"status": 500}, 502, "site_error", {}),
        (
            "server_error",
            {"status": 503, "retry_after": "4"},
            502,
            "site_error",
            {"retry-after": "4"},
        ),
        ("cloudflare", {}, 502, "site_blocked", {"x-should-retry": "false"}),
        ("html", {}, 502, "site_error", {}),
        ("upstream_error", {}, 502, "site_refused", {"x-should-retry": "false"}),
        ("empty_data", {}, 502, "site_error", {}),
        ("drop", {}, 502, None, {}),
    ],
)
def test_a_failure_before_the_first_piece_is_a_real_status(
    fresh_site: LocalSite,
    caplog: pytest.LogCaptureFixture,
    stream: bool,
    fault: str,
    params: dict[str, Any],
    status: int,
    code: Optional[str],
    headers: dict[str, str],
) -> None:
    fresh_site.stream = stream
    fresh_site.inject(fault, **params)
    caplog.set_level(logging.DEBUG)
    response = run(_post(fresh_site, {"messages": HI, "stream": stream}))
    assert response.status_code == status, response.text
    error = _error(response)
    if code is not None:
        assert error["code"] == code
    else:
        assert error["code"] in ("site_error", "site_unreachable")
    for name, value in headers.items():
        assert response.headers[name] == value
    if status == 429:
        assert "retry-after" in response.headers
    assert fresh_site.nonce not in response.text
    for secret in (fresh_site.nonce, API_KEY):  # nothing logs the nonce or the key
        assert secret not in caplog.text


@pytest.mark.parametrize(
    ("timeout", "status", "code"), [(None, 502, "site_unreachable"), (0.2, 504, "site_timeout")]
)
def test_a_site_unreachable_is_502_and_one_too_slow_504(
    fresh_site: LocalSite, timeout: Optional[float], status: int, code: str
) -> None:
    url = fresh_site.url
    if timeout is None:
        with LocalSite("1.9.18") as gone:
            url = gone.url
    else:
        fresh_site.inject("slow", delay=2.0)
    client = chatgpt4o.AsyncClient(url, timeout=timeout or CLIENT_TIMEOUT, max_retries=0)
    (response,) = send(
        fresh_site,
        ("POST", "/v1/chat/completions", {"json": {"messages": HI}}),
        client=client,
        api_key=None,
    )
    assert response.status_code == status
    assert _error(response)["code"] == code


def test_a_failure_after_the_stream_started_ends_it_with_an_error_event_and_no_done(
    fresh_site: LocalSite,
) -> None:
    fresh_site.stream = True
    fresh_site.inject("stream_cut", after=2)
    words = [{"role": "user", "content": "one two three four five six seven"}]
    response = run(_post(fresh_site, {"messages": words, "stream": True}))
    assert response.status_code == 200
    events = _events(response.text)
    assert "data: [DONE]" not in events
    last = json.loads(events[-1][len("data: ") :])
    assert set(last) == {"error"}
    assert last["error"]["type"] == "server_error"
    assert last["error"]["message"]
    first = json.loads(events[0][len("data: ") :])
    assert first["choices"][0]["delta"] == {"role": "assistant", "content": ""}


# -- auth ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ({}, None),
        ({"Authorization": "Bearer wrong"}, "invalid_api_key"),
        ({"Authorization": f"Basic {API_KEY}"}, None),
    ],
)
@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/v1/chat/completions"), ("GET", "/v1/models"), ("GET", "/x")],
)
def test_with_a_key_every_request_needs_it(
    fresh_site: LocalSite, headers: dict[str, str], code: Optional[str], method: str, path: str
) -> None:
    (response,) = send(fresh_site, (method, path, {"json": {"messages": HI}, "headers": headers}))
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    error = _error(response)
    assert (error["type"], error["code"]) == ("invalid_request_error", code)
    assert fresh_site.requests == []


def test_health_needs_no_key_and_every_reply_has_a_request_id(fresh_site: LocalSite) -> None:
    (health,) = send(fresh_site, ("GET", "/health"))
    assert fresh_site.requests == []  # a probe costs the site nothing
    refused, chat, models = send(
        fresh_site,
        ("GET", "/v1/models"),  # a 401
        ("POST", "/v1/chat/completions/", {"json": {"messages": HI}, "headers": AUTH}),
        ("GET", "/v1/models/", {"headers": AUTH}),
    )
    assert (health.status_code, health.json()) == (200, {"status": "ok"})
    assert health.headers["content-type"] == "application/json"
    assert refused.status_code == 401
    assert chat.status_code == models.status_code == 200  # a trailing slash, not a 307
    assert chat.json()["choices"][0]["message"]["content"] == "Echo: hello there"
    ids = [response.headers["x-request-id"] for response in (health, refused, chat, models)]
    assert all(request_id.startswith("req_") for request_id in ids)
    assert len(set(ids)) == 4


def test_the_key_comes_from_the_environment_by_default(
    fresh_site: LocalSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    chat = ("POST", "/v1/chat/completions", {"json": {"messages": HI}})
    assert [r.status_code for r in send(fresh_site, chat, api_key=None)] == [200]
    monkeypatch.setenv(ENV_API_KEY, "from-env")
    allowed = {"headers": {"Authorization": "Bearer from-env"}}
    responses = send(
        fresh_site, ("GET", "/v1/models"), ("GET", "/v1/models", allowed), api_key=None
    )
    assert [response.status_code for response in responses] == [401, 200]


def test_without_a_key_a_cross_site_page_is_refused_and_the_site_never_asked(
    fresh_site: LocalSite,
) -> None:
    # What the security review sent: a form POST from another site, and a rebound Host.
    form = {"Origin": "https://evil.example", "Content-Type": "text/plain"}
    body = json.dumps({"messages": HI})

    path = "/v1/chat/completions"
    responses = send(
        fresh_site,
        ("POST", path, {"content": body, "headers": form}),
        ("POST", path, {"content": body, "headers": {"Content-Type": "text/plain"}}),
        ("POST", path, {"json": {"messages": HI}, "headers": {"Host": "evil.example"}}),
        api_key=None,
    )
    assert [response.status_code for response in responses] == [403, 415, 400]
    assert fresh_site.requests == []


def test_with_a_key_the_key_is_the_gate(fresh_site: LocalSite) -> None:
    headers = {**AUTH, "Origin": "https://evil.example", "Host": "proxy.example"}
    chat = ("POST", "/v1/chat/completions", {"json": {"messages": HI}, "headers": headers})
    assert send(fresh_site, chat)[0].status_code == 200


def test_cors_answers_preflight_and_lets_its_origins_in(fresh_site: LocalSite) -> None:
    app_origin = "https://app.example"
    preflight = {
        "Origin": app_origin,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type, x-stainless-os",
    }
    path = "/v1/chat/completions"
    evil = {**preflight, "Origin": "https://evil.example"}
    sent = {"json": {"messages": HI}, "headers": {"Origin": app_origin}}
    allowed, chat, other = send(
        fresh_site,
        ("OPTIONS", path, {"headers": preflight}),
        ("POST", path, sent),
        ("OPTIONS", path, {"headers": evil}),
        api_key=None,
        cors_origins=[app_origin],
    )
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == app_origin
    assert "x-stainless-os" in allowed.headers["access-control-allow-headers"].lower()
    assert chat.status_code == 200
    assert chat.headers["access-control-allow-origin"] == app_origin
    assert other.status_code == 400
    assert "access-control-allow-origin" not in other.headers


def test_without_cors_a_preflight_is_not_answered(fresh_site: LocalSite) -> None:
    preflight = {"Origin": "https://app.example", "Access-Control-Request-Method": "POST"}

    (response,) = send(fresh_site, ("OPTIONS", "/v1/chat/completions", {"headers": preflight}))
    assert "access-control-allow-origin" not in response.headers


# -- the app's options and its client's life -------------------------------------------------


def test_bad_options_fail_at_create_app() -> None:
    with pytest.raises(chatgpt4o.InvalidRequestError):
        create_app("http://127.0.0.1:1", timeout=-1)
    with pytest.raises(chatgpt4o.InvalidRequestError):
        create_app("ftp://127.0.0.1:1")
    with pytest.raises(ValueError, match="api_key"):
        create_app("http://127.0.0.1:1", api_key="  ")
    with pytest.raises(ValueError, match="api_key: has spaces or line breaks around it"):
        create_app("http://127.0.0.1:1", api_key="s3cret\n")
    with pytest.raises(ValueError, match="max_body_bytes"):
        create_app("http://127.0.0.1:1", max_body_bytes=0)
    with pytest.raises(TypeError, match="allowed_hosts"):
        create_app("http://127.0.0.1:1", allowed_hosts="localhost")
    with pytest.raises(TypeError, match="cors_origins"):
        create_app("http://127.0.0.1:1", cors_origins=[""])
    with pytest.raises(ValueError, match="bot_id"):
        create_app("http://127.0.0.1:1", bot_id=0)


def test_client_excludes_the_client_options(fresh_site: LocalSite) -> None:
    client = _client(fresh_site)
    with pytest.raises(ValueError, match="either client"):
        create_app(fresh_site.url, client=client)
    run(client.aclose())


def test_the_lifespan_makes_one_client_and_closes_it(fresh_site: LocalSite) -> None:
    app = create_app(fresh_site.url, api_key=None)
    state: ServerState = app.state.chatgpt4o

    async def go() -> None:
        for _ in range(2):  # a restarted app makes a new client
            async with app.router.lifespan_context(app):
                client = state.client
                transport = httpx.ASGITransport(app=app)
                async with httpx.AsyncClient(transport=transport, base_url="http://s") as http:
                    for word in ("a", "b", "c"):
                        reply = await http.post("/v1/chat/completions", json={"messages": word})
                        assert reply.json()["choices"][0]["message"]["content"] == f"Echo: {word}"
                assert state.client is client
            with pytest.raises(RuntimeError):  # closed
                await client.create(None, "after shutdown")

    run(go())
    assert fresh_site.page_fetches == 2  # one page fetch per client: the pool is shared


def test_a_site_on_this_machine_is_reached_without_the_environments_proxy(
    fresh_site: LocalSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.create_server(("127.0.0.1", 0)) as closed:
        dead = f"http://127.0.0.1:{closed.getsockname()[1]}"
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY"):
        monkeypatch.setenv(name, dead)
    for name in ("NO_PROXY", "no_proxy", "CHATGPT4O_PROXY"):
        monkeypatch.delenv(name, raising=False)
    app = create_app(fresh_site.url, api_key=API_KEY)

    async def go() -> httpx.Response:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://s") as http:
                return await http.post("/v1/chat/completions", json={"messages": HI}, headers=AUTH)

    response = run(go())
    assert response.status_code == 200, response.text  # 502 through the dead proxy before
    assert fresh_site.posts[-1].fields["message"] == "hello there"


def test_a_given_client_is_left_open(fresh_site: LocalSite) -> None:
    client = _client(fresh_site)

    async def go() -> str:
        app = create_app(client=client, api_key=None)
        async with app.router.lifespan_context(app):
            pass
        reply = await client.create(None, "still open")
        await client.aclose()
        return reply

    assert run(go()) == "Echo: still open"


def test_a_mounted_app_makes_its_client_on_first_use(fresh_site: LocalSite) -> None:
    inner = create_app(fresh_site.url, api_key=None)
    outer = Starlette(routes=[Mount("/openai", app=inner)])

    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=outer)
        async with httpx.AsyncClient(transport=transport, base_url="http://s") as http:
            response = await http.post("/openai/v1/chat/completions", json={"messages": HI})
        await inner.state.chatgpt4o.aclose()
        return response

    response = run(go())
    assert response.json()["choices"][0]["message"]["content"] == "Echo: hello there"


# -- pictures (issue 19) ---------------------------------------------------------------------

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP4z8DwHwAFAAH/VscvDQAAAABJRU5ErkJggg=="
)


FIELD = "messages[0].content[1].image_url.url"


def _picture_body(url: str, stream: bool = False) -> dict[str, Any]:
    content = [
        {"type": "text", "text": "What is in this picture?"},
        {"type": "image_url", "image_url": {"url": url}},
    ]
    return {"messages": [{"role": "user", "content": content}], "stream": stream}


@pytest.mark.parametrize("stream", [False, True], ids=["create", "stream"])
def test_a_data_url_picture_reaches_the_model_of_a_bot_that_takes_pictures(stream: bool) -> None:
    url = "data:image/png;base64," + base64.b64encode(PNG).decode()
    with LocalSite("2.4.71", image_upload=True) as site:
        response = run(_post(site, _picture_body(url, stream)))
        (call,) = site.upstream_calls
    assert response.status_code == 200, response.text
    assert [part.data for part in call.images] == [PNG]
    content, _ = _reply_of(response, stream)
    assert content.endswith("[images: image/png 70 bytes sha256:49e1dad481e9]")


def test_a_broken_picture_is_refused_naming_it() -> None:
    # Remote picture URLs: test_fetch.py.
    with LocalSite("2.4.71", image_upload=True) as site:
        body = _picture_body("data:image/png;base64,bm90IGEgcGljdHVyZQ==")
        response = run(_post(site, body))
        assert site.requests == []
    assert response.status_code == 400
    error = _error(response)
    assert (error["param"], error["code"]) == (FIELD, "invalid_image")


def test_a_picture_near_the_picture_cap_fits_in_a_request_body() -> None:
    picture = PNG + bytes(3_000_000)  # a 3 MB "PNG": the echo model describes its bytes
    url = "data:image/png;base64," + base64.b64encode(picture).decode()
    with LocalSite("2.4.71", image_upload=True) as site:
        response = run(_post(site, _picture_body(url)))
        (call,) = site.upstream_calls
    assert response.status_code == 200, response.text[:300]
    assert [part.data for part in call.images] == [picture]


def test_the_default_body_cap_follows_the_picture_cap(fresh_site: LocalSite) -> None:
    from chatgpt4o.serve._app import body_cap

    limit = body_cap(1000)
    over = json.dumps({"messages": [{"role": "user", "content": "x" * limit}]}).encode()
    client = chatgpt4o.AsyncClient(fresh_site.url, max_retries=0, max_image_bytes=1000)
    chat = ("POST", "/v1/chat/completions", {"content": over, "headers": AUTH})
    (response,) = send(fresh_site, chat, client=client)
    assert response.status_code == 413
    assert f"({limit} bytes)" in _error(response)["message"]


def test_a_picture_for_a_bot_that_takes_none_is_400_naming_messages() -> None:
    url = "data:image/png;base64," + base64.b64encode(PNG).decode()
    with LocalSite("2.4.71") as site:
        response = run(_post(site, _picture_body(url)))
        assert site.cache_posts == []
    assert response.status_code == 400
    error = _error(response)
    assert (error["param"], error["code"]) == ("messages", "images_not_supported")
