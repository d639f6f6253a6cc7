"""OpenAI's wire shapes: JSON bodies and SSE events out."""

from __future__ import annotations

import json
from typing import Any, Optional

import pytest

import chatgpt4o
from chatgpt4o.serve._wire import (
    DONE,
    MODEL_CREATED,
    ReplyWriter,
    model_entry,
    models_list,
    usage_body,
)

MODEL = chatgpt4o.DEFAULT_MODEL


WRITER = ReplyWriter("chatcmpl-x", 1700000000, MODEL)
USAGE = usage_body(12, 5)


def test_a_completion_is_openais_json_with_its_usage() -> None:
    assert json.loads(WRITER.completion("Echo: hi", "length", USAGE)) == {
        "id": "chatcmpl-x",
        "object": "chat.completion",
        "created": 1700000000,
        "model": MODEL,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "Echo: hi"},
                "logprobs": None,
                "finish_reason": "length",
            }
        ],
        "usage": {"prompt_tokens": 12, "completion_tokens": 5, "total_tokens": 17},
    }


def _event_json(event: bytes) -> Any:
    assert event.startswith(b"data: {")
    assert event.endswith(b"}\n\n")
    assert event.count(b"\n") == 2
    return json.loads(event[len(b"data: ") :])


@pytest.mark.parametrize(
    ("delta", "finish"),
    [({"role": "assistant", "content": ""}, None), ({"content": "Par"}, None), ({}, "stop")],
)
def test_a_chunk_is_one_sse_event_with_only_the_delta_keys_it_has(
    delta: dict[str, str], finish: Optional[str]
) -> None:
    assert _event_json(WRITER.chunk(delta, finish)) == {
        "id": "chatcmpl-x",
        "object": "chat.completion.chunk",
        "created": 1700000000,
        "model": MODEL,
        "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
    }


def test_the_usage_chunk_has_no_choices_as_openai_sends_it() -> None:
    assert _event_json(WRITER.usage_chunk(USAGE)) == {
        "id": "chatcmpl-x",
        "object": "chat.completion.chunk",
        "created": 1700000000,
        "model": MODEL,
        "choices": [],
        "usage": USAGE,
    }


def test_newlines_in_a_piece_stay_inside_the_json() -> None:
    event = WRITER.chunk({"content": "a\n\nb ü"})
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
