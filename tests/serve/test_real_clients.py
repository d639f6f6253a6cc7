"""The clients people point at an OpenAI-compatible server, used the way they use them.

``openai`` with the parameters its users pass every day, ``langchain-openai``'s ``ChatOpenAI``
with its defaults and with ``temperature=0``, and one request as Open WebUI sends it, each
against both plugin generations of the stand-in site: the old one (one POST) and the current
one (a cache POST, then an event-stream GET). The parameter policy itself (every row of the
README's table) is tested in the server's own tests; here the question is whether a real client,
unmodified, gets a real reply, its usage and the right ``finish_reason``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable
from typing import Any

import pytest

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")
pytest.importorskip("openai")

import httpx
from openai.types.chat import ChatCompletionMessageParam
from openai.types.completion_usage import CompletionUsage

from ._profiles import API_KEY
from ._served import Serve

MODEL = "gpt-4o-mini"
HI: list[ChatCompletionMessageParam] = [{"role": "user", "content": "hello there"}]
REPLY = "Echo: hello there"  # the stand-in's model echoes the message

GENERATIONS = [
    pytest.param("1.9.18", id="old-plugin-1.9.18"),
    pytest.param("2.4.71", id="aipkit-2.4.71"),
]

# What chat apps and LangChain send on every request; none of it changes the reply.
EVERYDAY: dict[str, Any] = {
    "temperature": 0.7,
    "top_p": 1,
    "presence_penalty": 0,
    "frequency_penalty": 0,
    "seed": 7,
    "user": "user-1234",
}


def _assert_counted(usage: CompletionUsage | None) -> None:
    assert usage is not None
    assert usage.prompt_tokens > 0
    assert usage.completion_tokens > 0
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens


# -- openai ------------------------------------------------------------------------------------


@pytest.mark.parametrize("profile", GENERATIONS)
def test_openai_with_everyday_parameters_gets_the_reply_and_its_usage(
    serve: Serve, profile: str
) -> None:
    client = serve(profile).sync_client()
    completion = client.chat.completions.create(model=MODEL, messages=HI, **EVERYDAY)
    assert completion.choices[0].message.content == REPLY
    assert completion.choices[0].finish_reason == "stop"
    _assert_counted(completion.usage)


@pytest.mark.parametrize("profile", GENERATIONS)
def test_openai_streams_with_the_include_usage_chunk(serve: Serve, profile: str) -> None:
    client = serve(profile).sync_client()
    chunks = list(
        client.chat.completions.create(
            model=MODEL,
            messages=HI,
            stream=True,
            stream_options={"include_usage": True},
            **EVERYDAY,
        )
    )
    *pieces, last = chunks
    assert "".join(chunk.choices[0].delta.content or "" for chunk in pieces) == REPLY
    assert pieces[-1].choices[0].finish_reason == "stop"
    assert all(chunk.usage is None for chunk in pieces)
    assert last.choices == []  # as OpenAI sends it: usage alone, after the finish
    _assert_counted(last.usage)


@pytest.mark.parametrize("profile", GENERATIONS)
def test_async_openai_creates_and_streams_with_usage(serve: Serve, profile: str) -> None:
    served = serve(profile)

    async def go() -> None:
        async with served.async_client() as client:
            completion = await client.chat.completions.create(
                model=MODEL, messages=HI, temperature=0
            )
            assert completion.choices[0].message.content == REPLY
            _assert_counted(completion.usage)
            pieces: list[str] = []
            usage = None
            async with await client.chat.completions.create(
                model=MODEL,
                messages=HI,
                stream=True,
                stream_options={"include_usage": True},
                temperature=0,
            ) as chunks:
                async for chunk in chunks:
                    pieces.extend(choice.delta.content or "" for choice in chunk.choices)
                    usage = chunk.usage or usage
            assert "".join(pieces) == REPLY
            _assert_counted(usage)

    asyncio.run(go())


@pytest.mark.parametrize("profile", GENERATIONS)
def test_openai_with_raw_response_sees_the_headers_and_the_request_id(
    serve: Serve, profile: str
) -> None:
    client = serve(profile).sync_client()
    raw = client.chat.completions.with_raw_response.create(model=MODEL, messages=HI, **EVERYDAY)
    assert raw.status_code == 200
    assert raw.headers["content-type"] == "application/json"
    request_id = raw.headers["x-request-id"]
    assert request_id.startswith("req_")
    completion = raw.parse()
    assert completion.choices[0].message.content == REPLY
    assert completion._request_id == request_id  # what openai's users log and report
    streamed = client.chat.completions.with_raw_response.create(
        model=MODEL, messages=HI, stream=True
    )
    assert streamed.headers["content-type"].startswith("text/event-stream")
    assert streamed.headers["x-request-id"].startswith("req_")
    assert streamed.headers["x-request-id"] != request_id
    text = "".join(chunk.choices[0].delta.content or "" for chunk in streamed.parse())
    assert text == REPLY


@pytest.mark.parametrize("profile", GENERATIONS)
def test_openai_max_tokens_and_stop_are_honoured(serve: Serve, profile: str) -> None:
    client = serve(profile).sync_client()
    cut = client.chat.completions.create(model=MODEL, messages=HI, max_tokens=2)
    content = cut.choices[0].message.content or ""
    assert cut.choices[0].finish_reason == "length"
    assert content
    assert REPLY.startswith(content)
    assert content != REPLY
    assert cut.usage is not None
    assert cut.usage.completion_tokens == 2  # cut where usage counts
    stopped = client.chat.completions.create(
        model=MODEL, messages=HI, stop=[" there", "never"], max_completion_tokens=1000
    )
    assert stopped.choices[0].message.content == "Echo: hello"
    assert stopped.choices[0].finish_reason == "stop"


# -- langchain-openai --------------------------------------------------------------------------


@pytest.mark.parametrize("profile", GENERATIONS)
@pytest.mark.parametrize(
    "settings", [pytest.param({}, id="defaults"), pytest.param({"temperature": 0}, id="temp-0")]
)
def test_langchain_chat_openai_invokes_and_streams(
    serve: Serve, profile: str, settings: dict[str, Any]
) -> None:
    langchain_openai = pytest.importorskip("langchain_openai")
    served = serve(profile)
    chat = langchain_openai.ChatOpenAI(
        model=MODEL, base_url=served.url, api_key=API_KEY, max_retries=0, **settings
    )
    reply = chat.invoke("hello there")
    assert reply.content == REPLY
    assert reply.response_metadata["finish_reason"] == "stop"
    usage = reply.usage_metadata
    assert usage is not None
    assert usage["input_tokens"] > 0
    assert usage["output_tokens"] > 0
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"]

    # Against a base_url of its own, ChatOpenAI streams without asking for usage by default.
    streamed = _joined(chat.stream("hello there"))
    assert streamed.content == REPLY
    assert streamed.response_metadata["finish_reason"] == "stop"
    assert streamed.usage_metadata is None
    # ...and with stream_usage=True it sends stream_options.include_usage.
    whole = _joined(chat.stream("hello there", stream_usage=True))
    assert whole.content == REPLY
    assert whole.usage_metadata is not None
    assert whole.usage_metadata["total_tokens"] == usage["total_tokens"]  # the same call


def _joined(chunks: Iterable[Any]) -> Any:
    """LangChain's message chunks added up, as its users merge them."""
    whole = None
    for chunk in chunks:
        whole = chunk if whole is None else whole + chunk
    assert whole is not None
    return whole


# -- Open WebUI --------------------------------------------------------------------------------

# A chat request as Open WebUI's backend sends it to an "OpenAI API" connection: the model's
# advanced parameters (temperature, top_p, max_tokens, penalties, seed, stop) at the top level,
# and for a stream, ``stream_options.include_usage`` so it can show the token counts; the body
# JSON-encoded by hand (aiohttp's ``data=``), with the Bearer key and, when an admin turns on
# ENABLE_FORWARD_USER_INFO_HEADERS, its X-OpenWebUI-* headers.
OPEN_WEBUI_BODY: dict[str, Any] = {
    "stream": True,
    "model": MODEL,
    "messages": [
        {"role": "system", "content": "You are a helpful assistant."},
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Echo: Hi"},
        {"role": "user", "content": "hello there"},
    ],
    "temperature": 0.8,
    "top_p": 0.9,
    "max_tokens": 2048,
    "frequency_penalty": 0.0,
    "presence_penalty": 0.0,
    "seed": 42,
    "stop": ["<|im_end|>"],
    "stream_options": {"include_usage": True},
}
OPEN_WEBUI_HEADERS = {
    "Authorization": f"Bearer {API_KEY}",
    "Content-Type": "application/json",
    "X-OpenWebUI-User-Name": "Ada",
    "X-OpenWebUI-User-Id": "7f3c2a9e-0b1d-4c5e-9a8f-6e2d1b0c3a4f",
    "X-OpenWebUI-User-Email": "ada@example.com",
    "X-OpenWebUI-User-Role": "user",
    "X-OpenWebUI-Chat-Id": "0e1d2c3b-4a59-6877-8695-a4b3c2d1e0f9",
}


@pytest.mark.parametrize("profile", GENERATIONS)
def test_a_chat_request_as_open_webui_sends_it(serve: Serve, profile: str) -> None:
    served = serve(profile)
    with httpx.Client(timeout=30) as http:
        response = http.post(
            served.url + "/chat/completions",
            content=json.dumps(OPEN_WEBUI_BODY),
            headers=OPEN_WEBUI_HEADERS,
        )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/event-stream")
    events = response.text.split("\n\n")
    assert events[-2:] == ["data: [DONE]", ""]
    chunks = [json.loads(event.removeprefix("data: ")) for event in events[:-2]]
    *pieces, last = chunks
    text = "".join(chunk["choices"][0]["delta"].get("content", "") for chunk in pieces)
    # serve sends the turns to the site as one prompt, on both generations; the stand-in echoes it.
    assert text.startswith("Echo: ")
    assert "User: hello there" in text
    assert pieces[-1]["choices"][0]["finish_reason"] == "stop"
    assert last["choices"] == []
    _assert_counted(CompletionUsage.model_validate(last["usage"]))
