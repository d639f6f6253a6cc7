"""OpenAI's wire shapes: request bodies split for create(), JSON bodies and SSE events out."""

from __future__ import annotations

import json
from typing import Any, Optional

import pytest

import chatgpt4o
from chatgpt4o.serve._wire import (
    DONE,
    MODEL_CREATED,
    chunk_event,
    completion_bytes,
    model_entry,
    models_list,
    parse_chat_request,
)

MODEL = chatgpt4o.DEFAULT_MODEL


def _chunk(
    role: Optional[str] = None, content: Optional[str] = None, finish: Optional[str] = None
) -> chatgpt4o.ChatCompletionChunk:
    delta = chatgpt4o.ChoiceDelta(role=role, content=content)
    return chatgpt4o.ChatCompletionChunk(
        id="chatcmpl-x",
        created=1700000000,
        model=MODEL,
        choices=[chatgpt4o.ChunkChoice(index=0, delta=delta, finish_reason=finish)],
    )


def test_a_body_splits_into_create_arguments() -> None:
    body = {"model": "gpt-4o-mini", "messages": [1], "stream": True, "temperature": 0, "n": 1}
    request = parse_chat_request(body)
    assert (request.model, request.messages, request.stream) == ("gpt-4o-mini", [1], True)
    assert request.params == {"temperature": 0, "n": 1}
    assert body["model"] == "gpt-4o-mini"  # not consumed


@pytest.mark.parametrize(
    ("body", "stream"), [({}, False), ({"stream": None}, False), ({"stream": "yes"}, "yes")]
)
def test_stream_absent_or_null_is_false_and_anything_else_is_for_create_to_judge(
    body: dict[str, Any], stream: object
) -> None:
    request = parse_chat_request(body)
    assert request.stream == stream
    assert request.model is None
    assert request.messages is None


@pytest.mark.parametrize(
    ("body", "kind"),
    [([], "an array"), ("x", "a string"), (None, "null"), (True, "a boolean"), (3, "a number")],
)
def test_only_an_object_is_a_request(body: object, kind: str) -> None:
    with pytest.raises(TypeError, match=f"expected a JSON object, got {kind}"):
        parse_chat_request(body)


def test_a_completion_is_openais_json() -> None:
    message = chatgpt4o.ChatCompletionMessage(content="Echo: hi")
    completion = chatgpt4o.ChatCompletion(
        id="chatcmpl-y",
        created=1700000000,
        model=MODEL,
        choices=[chatgpt4o.Choice(index=0, message=message)],
    )
    assert json.loads(completion_bytes(completion)) == {
        "id": "chatcmpl-y",
        "object": "chat.completion",
        "created": 1700000000,
        "model": MODEL,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "Echo: hi"},
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": None,
    }


@pytest.mark.parametrize(
    ("chunk", "delta", "finish"),
    [
        (_chunk(role="assistant", content=""), {"role": "assistant", "content": ""}, None),
        (_chunk(content="Par"), {"content": "Par"}, None),
        (_chunk(finish="stop"), {}, "stop"),
    ],
)
def test_a_chunk_is_one_sse_event_with_only_the_delta_keys_it_has(
    chunk: chatgpt4o.ChatCompletionChunk, delta: dict[str, str], finish: Optional[str]
) -> None:
    event = chunk_event(chunk)
    assert event.startswith(b"data: {")
    assert event.endswith(b"}\n\n")
    assert event.count(b"\n") == 2
    assert json.loads(event[len(b"data: ") :]) == {
        "id": "chatcmpl-x",
        "object": "chat.completion.chunk",
        "created": 1700000000,
        "model": MODEL,
        "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
    }


def test_newlines_in_a_piece_stay_inside_the_json() -> None:
    event = chunk_event(_chunk(content="a\n\nb ü"))
    assert event.count(b"\n") == 2
    assert "ü".encode() in event
    assert json.loads(event[6:])["choices"][0]["delta"]["content"] == "a\n\nb ü"


def test_done_is_openais() -> None:
    assert DONE == b"data: [DONE]\n\n"


def test_models_lists_every_model_and_alias() -> None:
    listing = models_list()
    assert listing["object"] == "list"
    ids = [entry["id"] for entry in listing["data"]]
    assert ids == [*chatgpt4o.MODELS, *chatgpt4o.MODEL_ALIASES]
    assert "gpt-4o-mini" in ids
    for entry in listing["data"]:
        assert entry == {
            "id": entry["id"],
            "object": "model",
            "created": MODEL_CREATED,
            "owned_by": "chatgpt4o",
        }


def test_one_model_or_none() -> None:
    entry = model_entry("gpt-4o-mini")
    assert entry is not None
    assert entry["id"] == "gpt-4o-mini"
    assert model_entry("gpt-5") is None
    assert model_entry("") is None
