"""client.chat.completions (the OpenAI-shaped surface) against the stand-in, from one table."""

from __future__ import annotations

import asyncio
import dataclasses
import re
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any, Optional

import pytest

import chatgpt4o
from chatgpt4o import (
    DEFAULT_MODEL,
    APIConnectionError,
    BadReplyError,
    InvalidRequestError,
    InvalidRequestTypeError,
    ModelError,
)
from chatgpt4o._completions import (
    ChatCompletion,
    ChatCompletionChunk,
    ChatCompletionMessage,
    ChunkSequencer,
    check_parameters,
    new_completion_id,
)
from chatgpt4o._resources import (
    AsyncChat,
    AsyncChatCompletionStream,
    Chat,
    ChatCompletionStream,
)
from chatgpt4o.testing import LocalSite
from tests.sites import ALL_IDS, ALL_SITES, chat_sends, sent_messages

KINDS = ["sync", "async"]
MESSAGE = "name three French cheeses"
MESSAGES = [{"role": "user", "content": MESSAGE}]
ID = re.compile(r"chatcmpl-[A-Za-z0-9]{24}")


def create(kind: str, site: LocalSite, *, collect: bool = True, **kwargs: Any) -> Any:
    """Call chat.completions.create on a fresh client of ``kind``.

    A stream is collected into a list of chunks, or with ``collect=False`` closed unread.
    """
    settings: dict[str, Any] = {"max_retries": 0, "timeout": 5}
    if kind == "sync":
        with chatgpt4o.Client(site.url, **settings) as client:
            result = client.chat.completions.create(**kwargs)
            if isinstance(result, ChatCompletionStream):
                with result:
                    return list(result) if collect else None
            return result

    async def main() -> Any:
        async with chatgpt4o.AsyncClient(site.url, **settings) as client:
            result = await client.chat.completions.create(**kwargs)
            if isinstance(result, AsyncChatCompletionStream):
                async with result:
                    return [chunk async for chunk in result] if collect else None
            return result

    return asyncio.run(main())


@pytest.fixture(params=ALL_SITES, ids=ALL_IDS)
def site(request: pytest.FixtureRequest) -> Iterator[LocalSite]:
    profile, streams = request.param
    with LocalSite(profile, stream=streams) as running:
        yield running


@pytest.fixture(scope="module")
def idle_site() -> Iterator[LocalSite]:
    """One site for the calls that must never reach it."""
    with LocalSite() as running:
        yield running


# -- stream=False ----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_create_returns_a_chat_completion(kind: str, site: LocalSite) -> None:
    before = int(time.time())
    completion = create(kind, site, model="gpt-4o-mini", messages=MESSAGES)
    assert isinstance(completion, ChatCompletion)
    assert ID.fullmatch(completion.id)
    assert completion.object == "chat.completion"
    assert before <= completion.created <= time.time()
    assert completion.model == DEFAULT_MODEL == "gpt-4o-mini-2024-07-18"
    assert completion.usage is None
    [choice] = completion.choices
    assert choice.index == 0
    assert choice.finish_reason == "stop"
    assert choice.message.role == "assistant"
    assert choice.message.content == f"Echo: {MESSAGE}"
    assert completion.to_dict() == {
        "id": completion.id,
        "object": "chat.completion",
        "created": completion.created,
        "model": DEFAULT_MODEL,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": f"Echo: {MESSAGE}"},
                "finish_reason": "stop",
            }
        ],
        "usage": None,
    }
    assert sent_messages(site) == [MESSAGE]


# -- stream=True -----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_stream_yields_openai_chunks_that_join_to_the_reply(kind: str, site: LocalSite) -> None:
    before = int(time.time())
    chunks = create(kind, site, model="gpt-4o-mini", messages=MESSAGES, stream=True)
    whole = create(kind, site, model="gpt-4o-mini", messages=MESSAGES)
    assert all(isinstance(chunk, ChatCompletionChunk) for chunk in chunks)
    assert {chunk.object for chunk in chunks} == {"chat.completion.chunk"}
    assert {chunk.model for chunk in chunks} == {DEFAULT_MODEL}
    [stream_id] = {chunk.id for chunk in chunks}
    assert ID.fullmatch(stream_id)
    [created] = {chunk.created for chunk in chunks}
    assert before <= created <= time.time()
    choices = [chunk.choices for chunk in chunks]
    assert all(len(c) == 1 and c[0].index == 0 for c in choices)
    first, *middle, last = (c[0] for c in choices)
    assert (first.delta.role, first.delta.content, first.finish_reason) == ("assistant", "", None)
    assert middle, "at least one text piece"
    assert all(c.delta.role is None and c.finish_reason is None for c in middle)
    assert all(isinstance(c.delta.content, str) for c in middle)
    assert (last.delta.role, last.delta.content, last.finish_reason) == (None, None, "stop")
    joined = "".join(chunk.choices[0].delta.content or "" for chunk in chunks)
    assert joined == whole.choices[0].message.content == f"Echo: {MESSAGE}"
    if site.stream and site.profile.name != "1.7":
        assert len(middle) > 1, "a streaming site gives several pieces"
    assert len(chat_sends(site)) == 2


@pytest.mark.parametrize("kind", KINDS)
def test_leaving_the_stream_early_closes_it(kind: str) -> None:
    with LocalSite("1.9.18", stream=True) as site:
        if kind == "sync":
            with chatgpt4o.Client(site.url) as client:
                stream = client.chat.completions.create(
                    model="gpt-4o-mini", messages=MESSAGES, stream=True
                )
                with stream:
                    head = [next(stream), next(stream)]
                rest = list(stream)
        else:

            async def main() -> tuple[list[ChatCompletionChunk], list[ChatCompletionChunk]]:
                async with chatgpt4o.AsyncClient(site.url) as client:
                    stream = await client.chat.completions.create(
                        model="gpt-4o-mini", messages=MESSAGES, stream=True
                    )
                    async with stream:
                        head = [await stream.__anext__(), await stream.__anext__()]
                    return head, [chunk async for chunk in stream]

            head, rest = asyncio.run(main())
        assert head[0].choices[0].delta.role == "assistant"
        assert head[1].choices[0].delta.content == "Echo:"
        assert rest == []
        assert len(chat_sends(site)) == 1


def stream_into(kind: str, site: LocalSite, sink: list[ChatCompletionChunk]) -> None:
    """Stream MESSAGES on a fresh client of ``kind`` with no retries, appending each chunk."""
    if kind == "sync":
        with chatgpt4o.Client(site.url, max_retries=0) as client:
            stream = client.chat.completions.create(
                model="gpt-4o-mini", messages=MESSAGES, stream=True
            )
            with stream:
                for chunk in stream:
                    sink.append(chunk)
        return

    async def main() -> None:
        async with chatgpt4o.AsyncClient(site.url, max_retries=0) as client:
            stream = await client.chat.completions.create(
                model="gpt-4o-mini", messages=MESSAGES, stream=True
            )
            async with stream:
                async for chunk in stream:
                    sink.append(chunk)

    asyncio.run(main())


@pytest.mark.parametrize("kind", KINDS)
def test_a_stream_cut_midway_raises_after_the_chunks_before_it(kind: str) -> None:
    seen: list[ChatCompletionChunk] = []
    with LocalSite("1.9.18", stream=True) as site:
        site.inject("stream_cut", after=3)
        with pytest.raises(BadReplyError, match="broke while reading"):
            stream_into(kind, site, seen)
        assert len(chat_sends(site)) == 1
    assert seen[0].choices[0].delta.role == "assistant"
    assert seen[1].choices[0].delta.content == "Echo:"
    assert all(chunk.choices[0].finish_reason is None for chunk in seen), "no stop chunk"


@pytest.mark.parametrize("stream", [False, True], ids=["create", "stream"])
@pytest.mark.parametrize(("profile", "streams"), [("2.4.71", True), ("2.4.0", False)])
def test_a_reply_the_site_cut_short_ends_with_length_and_no_plugin_note(
    profile: str, streams: bool, stream: bool
) -> None:
    with LocalSite(profile, stream=streams) as site:
        site.inject("warning")
        result = create("sync", site, model="gpt-4o-mini", messages=MESSAGES, stream=stream)
    if stream:
        text = "".join(content or "" for content in contents(result))
        reasons = [chunk.choices[0].finish_reason for chunk in result]
        assert reasons == [None] * (len(result) - 1) + ["length"]
    else:
        text = result.choices[0].message.content
        assert result.choices[0].finish_reason == "length"
    assert text == f"Echo: {MESSAGE}"


# -- the stream wrappers over any piece stream -----------------------------------------------


class FakePieces:
    """A Client.stream() stand-in: yields ``pieces``, then raises ``error`` if given."""

    def __init__(self, pieces: list[str], error: Optional[Exception] = None) -> None:
        self._pieces = iter(pieces)
        self._error = error
        self.closed = 0

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        for piece in self._pieces:
            return piece
        if self._error is not None:
            raise self._error
        raise StopIteration

    def close(self) -> None:
        self.closed += 1

    def __aiter__(self) -> AsyncIterator[str]:
        return self

    async def __anext__(self) -> str:
        try:
            return self.__next__()
        except StopIteration:
            raise StopAsyncIteration from None

    async def aclose(self) -> None:
        self.close()


def drain(kind: str, pieces: FakePieces, limit: int = 100) -> list[ChatCompletionChunk]:
    """Read up to ``limit`` chunks through the wrapper of ``kind``, then close it."""
    if kind == "sync":
        with ChatCompletionStream(pieces, DEFAULT_MODEL) as stream:
            return [chunk for _, chunk in zip(range(limit), stream)]

    async def main() -> list[ChatCompletionChunk]:
        out: list[ChatCompletionChunk] = []
        async with AsyncChatCompletionStream(pieces, DEFAULT_MODEL) as stream:
            async for chunk in stream:
                out.append(chunk)
                if len(out) == limit:
                    break
        return out

    return asyncio.run(main())


def contents(chunks: list[ChatCompletionChunk]) -> list[Optional[str]]:
    return [chunk.choices[0].delta.content for chunk in chunks]


@pytest.mark.parametrize("kind", KINDS)
def test_wrapper_frames_the_pieces_and_closes_the_source(kind: str) -> None:
    pieces = FakePieces(["Hel", "lo"])
    chunks = drain(kind, pieces)
    assert contents(chunks) == ["", "Hel", "lo", None]
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert pieces.closed >= 1


@pytest.mark.parametrize("kind", KINDS)
def test_wrapper_closes_the_source_when_left_early(kind: str) -> None:
    pieces = FakePieces(["a", "b", "c"])
    assert contents(drain(kind, pieces, limit=2)) == ["", "a"]
    assert pieces.closed == 1


@pytest.mark.parametrize("kind", KINDS)
def test_wrapper_raises_the_source_error_and_closes_it(kind: str) -> None:
    pieces = FakePieces(["a"], error=APIConnectionError("cut", url="http://x"))
    with pytest.raises(APIConnectionError, match="cut"):
        drain(kind, pieces)
    assert pieces.closed >= 1


@pytest.mark.parametrize("kind", KINDS)
def test_wrapper_of_an_empty_source_still_starts_and_stops(kind: str) -> None:
    assert contents(drain(kind, FakePieces([]))) == ["", None]


# -- refused before any request --------------------------------------------------------------

REFUSED = [
    ("temperature", 0.2, "the site chooses its own sampling settings"),
    ("top_p", 0.9, "sampling settings"),
    ("presence_penalty", 0.5, "sampling settings"),
    ("frequency_penalty", 0.5, "sampling settings"),
    ("logit_bias", {"50256": -100}, "sampling settings"),
    ("seed", 42, "sampling settings"),
    ("max_tokens", 100, "reply length limit"),
    ("max_completion_tokens", 100, "reply length limit"),
    ("n", 2, "one reply per request"),
    ("n", True, "one reply per request"),
    ("stop", ["\n"], "stop sequences"),
    ("logprobs", True, "log probabilities"),
    ("top_logprobs", 3, "log probabilities"),
    ("tools", [{"type": "function", "function": {"name": "f"}}], "tools or functions"),
    ("tool_choice", "auto", "tools or functions"),
    ("parallel_tool_calls", True, "tools or functions"),
    ("functions", [{"name": "f"}], "tools or functions"),
    ("function_call", "auto", "tools or functions"),
    ("response_format", {"type": "json_object"}, "reply format"),
    ("user", "user-1", "end-user id"),
    ("stream_options", {"include_usage": True}, "no token usage"),
    ("store", True, "store completions"),
    ("metadata", {"k": "v"}, "store completions"),
    ("modalities", ["text", "audio"], "text only"),
    ("reasoning_effort", "low", "reasoning effort"),
]


@pytest.mark.parametrize(("name", "value", "reason"), REFUSED)
def test_unsupported_parameters_are_refused_by_name(name: str, value: object, reason: str) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        check_parameters({name: value})
    assert not isinstance(caught.value, InvalidRequestTypeError)
    message = str(caught.value)
    assert message.startswith(f"{name}: ")
    assert reason in message
    assert f"remove {name}" in message


BAD = [
    ({"temperature": 0.2}, InvalidRequestError, "temperature: the site chooses its own sampling"),
    ({"temprature": 0.5}, InvalidRequestTypeError, "temprature: create() got an unexpected"),
    ({"temperature": 0.5, "top_p": 1}, InvalidRequestError, "also unsupported here: top_p"),
    ({"stream": "yes"}, InvalidRequestTypeError, "stream: expected True or False"),
    ({"model": "gpt-5"}, ModelError, "model: unknown model 'gpt-5'"),
    ({"messages": []}, InvalidRequestError, "messages: expected at least one message"),
    (
        {"messages": [{"role": "tool", "content": "42", "tool_call_id": ""}]},
        InvalidRequestError,
        "messages[0].role: expected one of system, user, assistant",
    ),
    (
        {"messages": [{"role": "user", "content": "hi", "name": "bob"}]},
        InvalidRequestError,
        "messages[0].name: the site takes only role and content",
    ),
    (
        {"messages": [{"role": "user", "content": [{"type": "input_audio", "input_audio": {}}]}]},
        InvalidRequestError,
        "messages[0].content[0].type: expected 'text' or 'image_url'",
    ),
    (
        {"messages": [{"role": "user", "content": [{"type": "text", "text": 7}]}]},
        InvalidRequestTypeError,
        "messages[0].content[0].text: expected a str",
    ),
    (
        {"messages": [{"role": "user", "content": ["hi"]}]},
        InvalidRequestTypeError,
        "messages[0].content[0]: expected a content part mapping",
    ),
    ({"messages": [{"role": "user", "content": " "}]}, InvalidRequestError, "prompt is blank"),
]


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("kwargs", "error", "fragment"), BAD)
def test_bad_arguments_are_refused_before_any_request(
    kind: str,
    stream: bool,
    kwargs: dict[str, Any],
    error: type[Exception],
    fragment: str,
    idle_site: LocalSite,
) -> None:
    idle_site.clear_log()
    call = {"model": "gpt-4o-mini", "messages": MESSAGES, "stream": stream, **kwargs}
    with pytest.raises(error) as caught:
        create(kind, idle_site, collect=False, **call)
    assert fragment in str(caught.value)
    assert idle_site.posts == []
    assert idle_site.page_fetches == 0


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    "harmless",
    [{"n": 1}, {"logprobs": False}, {"temperature": None, "max_tokens": None, "tools": None}],
)
def test_parameters_that_ask_for_the_default_are_accepted(
    kind: str, harmless: dict[str, Any]
) -> None:
    with LocalSite() as site:
        completion = create(kind, site, model="gpt-4o-mini", messages=MESSAGES, **harmless)
        assert completion.choices[0].message.content == f"Echo: {MESSAGE}"
        assert len(chat_sends(site)) == 1


# -- OpenAI-style messages -------------------------------------------------------------------

CONVERSATIONS = [
    (
        [
            {
                "role": "user",
                "content": [{"type": "text", "text": "Hello"}, {"type": "text", "text": "you"}],
            }
        ],
        "Hello\nyou",
    ),
    (
        [{"role": "developer", "content": "Be brief"}, {"role": "user", "content": "Hi"}],
        "System: Be brief\nUser: Hi\nAssistant:",
    ),
    (
        [
            {"role": "user", "content": "Hi"},
            ChatCompletionMessage(content="Echo: Hi"),
            {"role": "user", "content": "Again"},
        ],
        "User: Hi\nAssistant: Echo: Hi\nUser: Again\nAssistant:",
    ),
    (
        [
            {"role": "user", "content": "Hi"},
            {
                "role": "assistant",
                "content": "Hello",
                "refusal": None,
                "tool_calls": None,
                "annotations": [],
            },
            {"role": "user", "content": "Bye"},
        ],
        "User: Hi\nAssistant: Hello\nUser: Bye\nAssistant:",
    ),
]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("messages", "prompt"), CONVERSATIONS)
def test_openai_style_messages_are_flattened(kind: str, messages: Any, prompt: str) -> None:
    with LocalSite() as site:
        completion = create(kind, site, model="gpt-4o-mini", messages=messages)
        assert sent_messages(site)[-1] == prompt
        assert completion.choices[0].message.content == f"Echo: {prompt}"


# -- the types -------------------------------------------------------------------------------


def test_ids_are_fresh_and_shaped_like_openai() -> None:
    ids = {new_completion_id() for _ in range(200)}
    assert len(ids) == 200
    assert all(ID.fullmatch(i) for i in ids)


def test_types_are_frozen() -> None:
    sequencer = ChunkSequencer(DEFAULT_MODEL)
    [first, piece] = sequencer.feed("x")
    with pytest.raises(dataclasses.FrozenInstanceError):
        piece.id = "other"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        piece.choices[0].delta.content = "y"  # type: ignore[misc]
    assert first.id == piece.id == sequencer.id


def test_client_chat_is_wired_and_cached() -> None:
    client = chatgpt4o.Client("https://example.invalid")
    try:
        assert isinstance(client.chat, Chat)
        assert client.chat is client.chat
    finally:
        client.close()

    async def main() -> None:
        aclient = chatgpt4o.AsyncClient("https://example.invalid")
        async with aclient:
            assert isinstance(aclient.chat, AsyncChat)
            assert aclient.chat is aclient.chat

    asyncio.run(main())
