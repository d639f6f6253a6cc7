"""OpenAI's wire shapes for the server: JSON and SSE bytes out (pure).

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
    "ReplyWriter",
    "dumps",
    "model_entry",
    "models_list",
    "usage_body",
]

DONE = b"data: [DONE]\n\n"
"""The event that ends a stream that succeeded."""

MODEL_CREATED = 1721172741
"""``created`` of every listed model: when OpenAI released gpt-4o-mini-2024-07-18."""

_OWNER = "chatgpt4o"


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
