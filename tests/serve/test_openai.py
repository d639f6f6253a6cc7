"""Unmodified OpenAI clients (OpenAI and AsyncOpenAI) against a real uvicorn server.

Every plugin generation of the stand-in site: chat created and streamed, models, and each
failure as the OpenAI error class its users catch.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from typing import Callable
from urllib.parse import urlsplit

import pytest

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")
pytest.importorskip("openai")

import openai
from openai.types.chat import ChatCompletionMessageParam

import chatgpt4o
from chatgpt4o.serve import create_app

from ._profiles import API_KEY, SITES
from ._served import Serve
from ._server import ServerThread

Messages = list[ChatCompletionMessageParam]
HI: Messages = [{"role": "user", "content": "hello there"}]
MODEL = "gpt-4o-mini"
_GUARD = 30.0  # waits for the server to notice something, never a performance limit


def _wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + _GUARD
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.01)


# -- every plugin generation -----------------------------------------------------------------


@pytest.mark.parametrize(("profile", "stream"), SITES)
def test_openai_creates_and_streams(serve: Serve, profile: str, stream: bool) -> None:
    served = serve(profile, stream=stream)
    client = served.sync_client()
    completion = client.chat.completions.create(model=MODEL, messages=HI)
    assert completion.choices[0].message.content == "Echo: hello there"
    assert completion.choices[0].message.role == "assistant"
    assert completion.choices[0].finish_reason == "stop"
    assert completion.model == chatgpt4o.DEFAULT_MODEL
    assert completion.object == "chat.completion"
    assert completion.id.startswith("chatcmpl-")
    messages: Messages = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Say something"},
    ]
    chunks = list(client.chat.completions.create(model=MODEL, messages=messages, stream=True))
    text = "".join(chunk.choices[0].delta.content or "" for chunk in chunks)
    assert text.startswith("Echo: ")
    assert "Say something" in text
    assert chunks[0].choices[0].delta.role == "assistant"
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert len({chunk.id for chunk in chunks}) == 1


@pytest.mark.parametrize("stream", [False, True], ids=["create", "stream"])
@pytest.mark.parametrize(("profile", "site_streams"), [("2.4.71", True), ("2.4.0", False)])
def test_a_reply_the_site_cut_short_is_length_without_the_plugins_note(
    serve: Serve, profile: str, site_streams: bool, stream: bool
) -> None:
    served = serve(profile, stream=site_streams)
    served.site.inject("warning")
    client = served.sync_client()
    if stream:
        chunks = list(client.chat.completions.create(model=MODEL, messages=HI, stream=True))
        text = "".join(chunk.choices[0].delta.content or "" for chunk in chunks)
        reason = chunks[-1].choices[0].finish_reason
    else:
        completion = client.chat.completions.create(model=MODEL, messages=HI)
        text = completion.choices[0].message.content or ""
        reason = completion.choices[0].finish_reason
    assert (text, reason) == ("Echo: hello there", "length")


def test_openai_lists_and_retrieves_models(serve: Serve) -> None:
    client = serve().sync_client()
    ids = [model.id for model in client.models.list()]
    assert ids == [*chatgpt4o.MODELS, *chatgpt4o.MODEL_ALIASES]
    assert "gpt-4o-mini" in ids
    model = client.models.retrieve("gpt-4o-mini")
    assert (model.id, model.object) == ("gpt-4o-mini", "model")


# -- every generation's refusals, as the OpenAI error classes --------------------------------

_AIPKIT = ("2.",)  # the current plugin's profiles ("AI Puffer", AIPKit)


@pytest.mark.parametrize(("profile", "stream"), SITES)
@pytest.mark.parametrize(
    ("fault", "error", "code"),
    [
        ("rate_limit", openai.RateLimitError, "rate_limit_exceeded"),
        ("quota", openai.RateLimitError, "insufficient_quota"),
        ("banned_word", openai.BadRequestError, "content_policy_violation"),
        ("server_error", openai.InternalServerError, "site_error"),
        ("cloudflare", openai.InternalServerError, "site_blocked"),
    ],
)
def test_each_generation_s_refusals_are_openai_errors(
    serve: Serve, profile: str, stream: bool, fault: str, error: type[Exception], code: str
) -> None:
    served = serve(profile, stream=stream)
    if fault == "quota" and not profile.startswith(_AIPKIT):
        fault = "token_limit"  # the older plugin's name for it
    served.site.inject(fault)
    client = served.sync_client()
    with pytest.raises(error) as caught:
        client.chat.completions.create(model=MODEL, messages=HI, stream=stream)
    assert isinstance(caught.value, openai.APIStatusError)
    assert caught.value.code == code
    if caught.value.status_code == 429:
        assert "retry-after" in caught.value.response.headers


@pytest.mark.parametrize(("profile", "stream"), [s for s in SITES if s.values[0] >= "2."])
def test_guests_refused_by_the_current_plugin_are_permission_denied(
    serve: Serve, profile: str, stream: bool
) -> None:
    served = serve(profile, stream=stream)
    served.site.inject("guests_disabled")
    with pytest.raises(openai.PermissionDeniedError) as caught:
        served.sync_client().chat.completions.create(model=MODEL, messages=HI)
    assert caught.value.code == "access_denied"


@pytest.mark.parametrize(("profile", "stream"), [s for s in SITES if s.values[1]])
def test_each_generation_s_broken_stream_ends_with_an_error_event(
    serve: Serve, profile: str, stream: bool
) -> None:
    served = serve(profile, stream=stream)
    served.site.inject("stream_cut", after=2)
    words: Messages = [{"role": "user", "content": "one two three four five six"}]
    pieces: list[str] = []
    stream_ = served.sync_client().chat.completions.create(model=MODEL, messages=words, stream=True)
    with pytest.raises(openai.APIError) as caught:  # noqa: PT012 - raised mid-iteration
        for chunk in stream_:
            pieces.append(chunk.choices[0].delta.content or "")
    assert "".join(pieces).startswith("Echo")
    assert caught.value.message
    _wait_for(lambda: served.server.state.open_streams == 0, "the upstream stream to close")


# -- errors, as the OpenAI error classes -----------------------------------------------------


def test_no_key_or_a_wrong_key_is_authentication_error(serve: Serve) -> None:
    served = serve()
    for key in ("wrong", ""):
        client = served.sync_client(api_key=key or "-")
        with pytest.raises(openai.AuthenticationError) as caught:
            client.chat.completions.create(model=MODEL, messages=HI)
        assert caught.value.status_code == 401
    assert served.site.requests == []


def test_an_ignored_parameter_is_named_and_a_refused_one_is_bad_request(serve: Serve) -> None:
    client = serve().sync_client()
    raw = client.chat.completions.with_raw_response.create(
        model=MODEL, messages=HI, temperature=0.3, seed=1
    )
    assert raw.headers["x-chatgpt4o-ignored-params"] == "seed, temperature"
    assert raw.parse().usage is not None
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model=MODEL, messages=HI, n=2)
    assert caught.value.param == "n"
    assert caught.value.code == "unsupported_parameter"
    assert "'n'" in caught.value.message


def test_an_unknown_model_is_not_found(serve: Serve) -> None:
    client = serve().sync_client()
    with pytest.raises(openai.NotFoundError) as caught:
        client.chat.completions.create(model="gpt-5", messages=HI)
    assert caught.value.code == "model_not_found"
    with pytest.raises(openai.NotFoundError):
        client.models.retrieve("gpt-5")


def test_a_used_up_quota_is_rate_limit_error_that_openai_does_not_retry(serve: Serve) -> None:
    served = serve()
    served.site.inject("token_limit", times=5)
    client = served.sync_client(max_retries=3)
    with pytest.raises(openai.RateLimitError) as caught:
        client.chat.completions.create(model=MODEL, messages=HI)
    assert caught.value.code == "insufficient_quota"
    assert "retry-after" in caught.value.response.headers
    assert len(served.site.posts) == 1  # x-should-retry: false


@pytest.mark.parametrize(
    ("profile", "fault"),
    [
        ("1.9.18", "no_api_key"),
        ("2.4.71", "no_api_key"),
        ("2.4.71", "api_error"),
        ("2.4.0", "unknown_bot"),
    ],
)
def test_a_site_misconfigured_for_good_is_502_that_openai_does_not_retry(
    serve: Serve, profile: str, fault: str
) -> None:
    served = serve(profile, stream=profile == "2.4.71")
    for _ in range(3):  # were it retried, the next tries would meet no fault and succeed
        served.site.inject(fault)
    client = served.sync_client(max_retries=2)
    with pytest.raises(openai.InternalServerError) as caught:
        client.chat.completions.create(model=MODEL, messages=HI)
    assert caught.value.status_code == 502
    assert caught.value.response.headers["x-should-retry"] == "false"
    assert len(served.site.posts) == (2 if profile == "2.4.71" else 1)  # one call, one try


# -- the raw bytes on the wire ---------------------------------------------------------------


def _raw_post(url: str, body: dict[str, object]) -> tuple[int, dict[str, str], bytes]:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port)
    try:
        connection.request(
            "POST",
            "/v1/chat/completions",
            body=json.dumps(body),
            headers={"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"},
        )
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def test_curl_style_stream_bytes(serve: Serve) -> None:
    served = serve(stream=True)
    status, headers, body = _raw_post(
        served.server.url, {"model": MODEL, "messages": HI, "stream": True}
    )
    assert status == 200
    assert headers["content-type"] == "text/event-stream; charset=utf-8"
    assert headers["transfer-encoding"] == "chunked"
    assert "content-length" not in headers
    assert body.endswith(b"}\n\ndata: [DONE]\n\n")
    assert body.count(b"data: [DONE]") == 1
    events = body.split(b"\n\n")[:-1]
    assert all(event.startswith(b"data: ") and b"\n" not in event for event in events)
    content = [
        json.loads(event[6:])["choices"][0]["delta"].get("content", "") for event in events[:-1]
    ]
    assert "".join(content) == "Echo: hello there"


# -- a client that goes away -----------------------------------------------------------------


def test_a_client_that_disconnects_mid_stream_stops_the_site_read(serve: Serve) -> None:
    served = serve(stream=True)
    served.site.inject("slow_stream", chunk_delay=0.2)
    words = " ".join(f"w{n}" for n in range(200))  # 40 s of pieces at the site's pace
    parts = urlsplit(served.server.url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port)
    connection.request(
        "POST",
        "/v1/chat/completions",
        body=json.dumps({"messages": [{"role": "user", "content": words}], "stream": True}),
        headers={"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"},
    )
    response = connection.getresponse()
    assert response.status == 200
    assert response.readline().startswith(b"data: {")  # the stream started
    assert served.server.state.open_streams == 1
    connection.close()
    _wait_for(lambda: served.server.state.open_streams == 0, "the upstream stream to close")
    _wait_for(lambda: served.server.open_connections() == 0, "the connection to close")


@pytest.mark.parametrize("stream", [False, True], ids=["create", "stream"])
def test_a_client_that_disconnects_before_its_reply_cancels_the_site_request(
    stream: bool,
) -> None:
    from chatgpt4o.testing import LocalSite

    asked, release = threading.Event(), threading.Event()
    answers: list[str] = []

    def answer(message: str) -> str:  # the model thinks until the test lets it answer
        asked.set()
        release.wait(_GUARD)
        answers.append(message)
        return "too late"

    with LocalSite("1.9.18", answer=answer) as site:
        client = chatgpt4o.AsyncClient(site.url, timeout=_GUARD, max_retries=0, verify=False)
        with ServerThread(create_app(client=client, api_key=API_KEY)) as server:
            parts = urlsplit(server.url)
            connection = http.client.HTTPConnection(parts.hostname or "", parts.port)
            connection.request(
                "POST",
                "/v1/chat/completions",
                body=json.dumps({"messages": HI, "stream": stream}),
                headers={"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"},
            )
            assert asked.wait(_GUARD)  # the site request is under way
            connection.close()
            # Its request's tasks end while the site is still thinking: they were cancelled.
            _wait_for(lambda: server.other_tasks() == 0, "the site request to be cancelled")
            assert answers == []
            release.set()
            server.call(client.aclose())
    assert answers == ["hello there"]
