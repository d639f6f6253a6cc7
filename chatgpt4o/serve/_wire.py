"""OpenAI's wire shapes for the server: request bodies in, JSON and SSE bytes out (pure).

Completions and chunks are written field by field, the way OpenAI's API writes them: a chunk's
delta carries only the keys it has (the last one is ``{}``), every choice has
``"logprobs": null``, and ``usage`` is on every completion (and, when asked for, in a last chunk
with no choices). Streams are ``data: {json}\\n\\n`` events and one final
``data: [DONE]\\n\\n``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Optional

from chatgpt4o import MODEL_ALIASES, MODELS

__all__ = [
    "DONE",
    "MODEL_CREATED",
    "OPENAI_FIELDS",
    "ChatRequest",
    "ReplyWriter",
    "UnknownParameterError",
    "dumps",
    "model_entry",
    "models_list",
    "parse_chat_request",
    "usage_body",
]

DONE = b"data: [DONE]\n\n"
"""The event that ends a stream that succeeded."""

MODEL_CREATED = 1721172741
"""``created`` of every listed model: when OpenAI released gpt-4o-mini-2024-07-18."""

_OWNER = "chatgpt4o"

OPENAI_FIELDS = frozenset(
    {
        "audio",
        "frequency_penalty",
        "function_call",
        "functions",
        "logit_bias",
        "logprobs",
        "max_completion_tokens",
        "max_tokens",
        "messages",
        "metadata",
        "modalities",
        "model",
        "n",
        "parallel_tool_calls",
        "prediction",
        "presence_penalty",
        "prompt_cache_key",
        "reasoning_effort",
        "response_format",
        "safety_identifier",
        "seed",
        "service_tier",
        "stop",
        "store",
        "stream",
        "stream_options",
        "temperature",
        "tool_choice",
        "tools",
        "top_logprobs",
        "top_p",
        "user",
        "verbosity",
        "web_search_options",
    }
)
"""The fields of OpenAI's Chat Completions request body: the only ones a caller may send.

The SDK's own keywords (``extra_headers``, ``timeout``, ``bot_id``) are not among them, so an
HTTP caller can never set a header, a timeout or a bot for the server's requests to the site.
"""


class UnknownParameterError(ValueError):
    """A request body field that is not OpenAI's.

    Attributes:
        param: the field's name.
    """

    def __init__(self, param: str) -> None:
        super().__init__(f"Unrecognized request argument supplied: {param}")
        self.param = param


@dataclass(frozen=True)
class ChatRequest:
    """The body of ``POST /v1/chat/completions``, split the way ``create()`` takes it.

    Attributes:
        model: ``model`` as sent (None when absent: the default model).
        messages: ``messages`` as sent (``create()`` validates them).
        stream: True when ``stream`` is true; an absent or null ``stream`` is False.
        params: every other field (all OpenAI's), for the parameter policy to judge.
    """

    model: Any
    messages: Any
    stream: Any
    params: dict[str, Any]


def parse_chat_request(body: object) -> ChatRequest:
    """Split a decoded JSON body: an object of OpenAI's fields; ``create()`` judges the values.

    Example::

        parse_chat_request({"model": "gpt-4o-mini", "messages": [], "temperature": 0}).params
        # {"temperature": 0}

    Raises:
        TypeError: the body is not a JSON object.
        UnknownParameterError: a field that is not OpenAI's (the first, in sorted order).
    """
    if not isinstance(body, dict):
        raise TypeError(f"expected a JSON object, got {_json_type(body)}")
    unknown = sorted(name for name in body if name not in OPENAI_FIELDS)
    if unknown:
        raise UnknownParameterError(unknown[0])
    params = dict(body)
    model = params.pop("model", None)
    messages = params.pop("messages", None)
    stream = params.pop("stream", None)
    return ChatRequest(model, messages, False if stream is None else stream, params)


def _json_type(value: object) -> str:
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    return "a number"


def dumps(value: object) -> bytes:
    """Compact UTF-8 JSON, as OpenAI sends it."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def usage_body(prompt_tokens: int, completion_tokens: int) -> dict[str, int]:
    """OpenAI's ``usage`` object.

    Example::

        usage_body(12, 5)  # {"prompt_tokens": 12, "completion_tokens": 5, "total_tokens": 17}
    """
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    }


@dataclass(frozen=True)
class ReplyWriter:
    """Writes one reply as OpenAI does: a whole completion, or a stream's chunks and events.

    Example::

        writer = ReplyWriter("chatcmpl-x", 1700000000, "gpt-4o-mini-2024-07-18")
        writer.chunk({"content": "Hi"})  # b'data: {"id":"chatcmpl-x",...}\\n\\n'

    Attributes:
        id: the completion's id, shared by every chunk.
        created: its Unix time in seconds.
        model: the canonical model name.
    """

    id: str
    created: int
    model: str

    def completion(self, content: str, finish_reason: str, usage: dict[str, int]) -> bytes:
        """The JSON body of a whole (non-streamed) completion."""
        choice = {
            "index": 0,
            "message": {"role": "assistant", "content": content},
            "logprobs": None,
            "finish_reason": finish_reason,
        }
        return dumps(self._head("chat.completion", [choice], usage=usage))

    def chunk(self, delta: dict[str, str], finish_reason: Optional[str] = None) -> bytes:
        """One SSE event: a chunk whose delta carries only the keys it has (``{}`` at the end)."""
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
        return _event(self._head("chat.completion.chunk", [choice]))

    def usage_chunk(self, usage: dict[str, int]) -> bytes:
        """The event ``stream_options.include_usage`` asks for: empty choices, and the usage."""
        return _event(self._head("chat.completion.chunk", [], usage=usage))

    def _head(self, kind: str, choices: list[Any], **more: Any) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": kind,
            "created": self.created,
            "model": self.model,
            "choices": choices,
            **more,
        }


def _event(value: object) -> bytes:
    return b"data: " + dumps(value) + b"\n\n"


def model_entry(model_id: str) -> Optional[dict[str, Any]]:
    """``GET /v1/models/{model_id}``'s body, or None when this server has no such model.

    Example::

        model_entry("gpt-4o-mini")["object"]  # "model"
    """
    if model_id not in MODELS and model_id not in MODEL_ALIASES:
        return None
    return {"id": model_id, "object": "model", "created": MODEL_CREATED, "owned_by": _OWNER}


def models_list() -> dict[str, Any]:
    """``GET /v1/models``'s body: every model, then every alias users type (``gpt-4o-mini``)."""
    names = [*MODELS, *(alias for alias in MODEL_ALIASES if alias not in MODELS)]
    data = [model_entry(name) for name in names]
    return {"object": "list", "data": data}
