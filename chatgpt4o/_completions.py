"""OpenAI-shaped chat completion types, and the pure steps that build them (no I/O).

The types have openai-python's attribute paths (``completion.choices[0].message.content``), so
code written for it reads them unchanged. OpenAI parameters the site cannot honour are refused
by name before any request; nothing is silently dropped.
"""

from __future__ import annotations

import dataclasses
import json
import re
import secrets
import string
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Optional, Union

from ._exceptions import InvalidRequestError, InvalidRequestTypeError

__all__ = [
    "ChatCompletion",
    "ChatCompletionChunk",
    "ChatCompletionMessage",
    "Choice",
    "ChoiceDelta",
    "ChunkChoice",
    "ChunkSequencer",
    "MessageParam",
    "MessagesParam",
    "build_completion",
    "check_parameters",
    "new_completion_id",
    "normalize_messages",
    "prepare_messages",
    "split_reply_note",
]

_ID_ALPHABET = string.ascii_letters + string.digits
_ID_LENGTH = 24

_SAMPLING = "the site chooses its own sampling settings"
_LENGTH = "the site sets its own reply length limit"
_TOOLS = "the site cannot call tools or functions"
_STORE = "the site does not store completions"
_TEXT = "the site answers with text only"
_NO_USER_ID = "the site takes no end-user id"
_TRANSPORT = "the site takes form fields only; pass timeout or extra_headers instead"
# Why each OpenAI parameter cannot be honoured: the site takes one text field and nothing else.
_REFUSED: dict[str, str] = {
    **dict.fromkeys(
        ("temperature", "top_p", "presence_penalty", "frequency_penalty", "logit_bias", "seed"),
        _SAMPLING,
    ),
    **dict.fromkeys(("max_tokens", "max_completion_tokens"), _LENGTH),
    **dict.fromkeys(("tools", "tool_choice", "parallel_tool_calls", "functions"), _TOOLS),
    **dict.fromkeys(
        ("logprobs", "top_logprobs"), "the site does not report token log probabilities"
    ),
    **dict.fromkeys(("metadata", "store"), _STORE),
    **dict.fromkeys(("modalities", "audio"), _TEXT),
    **dict.fromkeys(("user", "safety_identifier"), _NO_USER_ID),
    **dict.fromkeys(("extra_query", "extra_body"), _TRANSPORT),
    "function_call": _TOOLS,
    "n": "the site returns one reply per request (n=1; call create() again for more)",
    "stop": "the site does not support stop sequences",
    "response_format": "the site cannot enforce a reply format; ask for JSON in the prompt",
    "stream_options": "the site reports no token usage, so there are no stream options",
    "service_tier": "the site has no service tiers",
    "prediction": "the site does not take predicted outputs",
    "reasoning_effort": "the site's model does not take a reasoning effort",
    "verbosity": "the site's model does not take a verbosity",
    "web_search_options": "the site cannot search the web",
    "prompt_cache_key": "the site has no prompt cache",
}
# Values that ask for exactly what the site does anyway.
_HARMLESS: dict[str, object] = {"n": 1, "logprobs": False}
_MESSAGE_KEYS = ("role", "content")
# The note the current plugin adds when the model's reply was cut ("warning" event, or the
# end of the JSON path's reply), and what OpenAI calls each reason.
_REPLY_NOTE = re.compile(r"\s*\*?\s*\(Incomplete: ([a-z_]+)\)\*?\s*\Z")
_NOTE_REASONS = {"max_output_tokens": "length", "content_filter": "content_filter"}


class _Result:
    """What the result types share with openai-python's models: ``model_dump()``, ``to_json()``."""

    def to_dict(self) -> dict[str, Any]:
        """This object as plain dicts and lists: ``completion.to_dict()["choices"]``."""
        fields: dict[str, Any] = dataclasses.asdict(self)  # type: ignore[call-overload]
        return fields

    def model_dump(self) -> dict[str, Any]:
        """As openai-python's: ``completion.model_dump()["choices"][0]["message"]["content"]``."""
        return self.to_dict()

    def to_json(self, *, indent: Optional[int] = 2) -> str:
        """This object as JSON text, as openai-python's: ``print(completion.to_json())``."""
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)


@dataclass(frozen=True)
class ChatCompletionMessage(_Result):
    """The reply message: ``completion.choices[0].message.content`` is the reply text."""

    role: Literal["assistant"] = field(default="assistant", init=False)
    content: str


@dataclass(frozen=True)
class Choice(_Result):
    """The one choice of a completion: ``finish_reason`` is ``"stop"``, or ``"length"`` if cut."""

    index: int
    message: ChatCompletionMessage
    finish_reason: str = "stop"


@dataclass(frozen=True)
class ChatCompletion(_Result):
    """A whole reply, shaped like openai-python's (``usage`` is None: the site counts nothing).

    Example::

        completion = client.chat.completions.create(model="gpt-4o-mini", messages=messages)
        print(completion.choices[0].message.content)
    """

    id: str
    object: Literal["chat.completion"] = field(default="chat.completion", init=False)
    created: int
    model: str
    choices: list[Choice]
    usage: None = None


@dataclass(frozen=True)
class ChoiceDelta(_Result):
    """A chunk's text: ``chunk.choices[0].delta.content`` (``""`` first, None last)."""

    role: Optional[str] = None
    content: Optional[str] = None


@dataclass(frozen=True)
class ChunkChoice(_Result):
    """The one choice of a chunk: ``finish_reason`` is None, then as in Choice in the last."""

    index: int
    delta: ChoiceDelta
    finish_reason: Optional[str] = None


@dataclass(frozen=True)
class ChatCompletionChunk(_Result):
    """One piece of a streamed reply, shaped like openai-python's; all share one ``id``.

    Example::

        for chunk in client.chat.completions.create(model=m, messages=msgs, stream=True):
            print(chunk.choices[0].delta.content or "", end="")
    """

    id: str
    object: Literal["chat.completion.chunk"] = field(default="chat.completion.chunk", init=False)
    created: int
    model: str
    choices: list[ChunkChoice]


MessageParam = Union[Mapping[str, Any], ChatCompletionMessage]
"""One input message: ``{"role": ..., "content": ...}``, or a reply message passed back."""

MessagesParam = Sequence[MessageParam]
"""The ``messages`` argument of ``create()``."""


def new_completion_id() -> str:
    """A fresh completion id: ``"chatcmpl-"`` and 24 random letters and digits.

    Example::

        new_completion_id()  # "chatcmpl-4fQx0Zr9..."
    """
    return "chatcmpl-" + "".join(secrets.choice(_ID_ALPHABET) for _ in range(_ID_LENGTH))


def check_parameters(params: Mapping[str, object]) -> None:
    """Refuse the OpenAI parameters the site cannot honour, naming each and saying why.

    None (the default) is accepted, as are ``n=1`` and ``logprobs=False``.

    Example::

        check_parameters({"n": 1})  # fine
        check_parameters({"temperature": 0.2})  # InvalidRequestError

    Raises:
        InvalidRequestError: a known OpenAI parameter the site cannot honour.
        InvalidRequestTypeError: a keyword argument that ``create()`` does not know at all.
    """
    refused = [name for name, value in params.items() if not _is_accepted(name, value)]
    if not refused:
        return
    first, others = refused[0], refused[1:]
    also = f" (also unsupported here: {', '.join(others)})" if others else ""
    reason = _REFUSED.get(first)
    if reason is None:
        raise InvalidRequestTypeError(
            f"{first}: create() got an unexpected keyword argument; "
            f"it takes model, messages, stream, bot_id, timeout and extra_headers{also}"
        )
    raise InvalidRequestError(f"{first}: {reason}; remove {first}{also}")


def _is_accepted(name: str, value: object) -> bool:
    if name not in _REFUSED:
        return False
    if value is None:
        return True
    if name not in _HARMLESS:
        return False
    harmless = _HARMLESS[name]
    return type(value) is type(harmless) and value == harmless


def normalize_messages(messages: object) -> object:
    """Turn OpenAI-style input messages into the ``{"role", "content"}`` ones the clients take.

    A ``ChatCompletionMessage`` from an earlier reply becomes a mapping, the ``"developer"``
    role ``"system"`` (which it replaced); other keys with a value (``name``, ``tool_calls``)
    are refused, empty ones (as ``model_dump()`` carries) left out. Content parts are left to
    the clients, which join text parts with newlines and take ``image_url`` parts as pictures.

    Example::

        normalize_messages([{"role": "developer", "content": "Be brief", "name": None}])
        # [{"role": "system", "content": "Be brief"}]

    Raises:
        InvalidRequestError: a key the site cannot take, naming the message index and key.
    """
    if isinstance(messages, (str, bytes, bytearray, Mapping)) or not isinstance(messages, Sequence):
        return messages
    return [_normalize_message(index, message) for index, message in enumerate(messages)]


def _normalize_message(index: int, message: object) -> object:
    where = f"messages[{index}]"
    if isinstance(message, ChatCompletionMessage):
        return {"role": message.role, "content": message.content}
    if not isinstance(message, Mapping):
        return message
    for key, value in message.items():
        if key not in _MESSAGE_KEYS and not _is_empty(value):
            raise InvalidRequestError(
                f"{where}.{key}: the site takes only role and content; remove {key}"
            )
    result = {key: message[key] for key in _MESSAGE_KEYS if key in message}
    if result.get("role") == "developer":
        result["role"] = "system"
    return result


def _is_empty(value: object) -> bool:
    return value is None or (isinstance(value, (str, list, tuple, dict)) and len(value) == 0)


def prepare_messages(messages: object, stream: object, params: Mapping[str, object]) -> object:
    """Refuse what the site cannot honour and flatten OpenAI-style messages, before any I/O.

    What is left (model, the messages' roles and text, pictures) the client checks once.

    Example::

        prepare_messages([{"role": "developer", "content": "Be brief"}], False, {"n": 1})
        # [{"role": "system", "content": "Be brief"}]

    Raises:
        InvalidRequestError: an unsupported parameter, a message part the site cannot take.
        InvalidRequestTypeError: an unknown keyword argument or a value of the wrong type.
    """
    check_parameters(params)
    if not isinstance(stream, bool):
        raise InvalidRequestTypeError(f"stream: expected True or False, got {stream!r}")
    return normalize_messages(messages)


def split_reply_note(text: str) -> tuple[str, Optional[str]]:
    """Take the plugin's "(Incomplete: …)" note off the end of a reply, with its OpenAI reason.

    Example::

        split_reply_note("Once upon\\n\\n* (Incomplete: max_output_tokens)*")
        # ("Once upon", "length")

    Returns:
        The text without the note, and ``"length"`` or ``"content_filter"``; or the text as
        it is and None when it ends with no such note.
    """
    found = _REPLY_NOTE.search(text)
    reason = _NOTE_REASONS.get(found.group(1)) if found else None
    if found is None or reason is None:
        return text, None
    return text[: found.start()], reason


def build_completion(text: str, model: str) -> ChatCompletion:
    """Wrap a reply text in a ChatCompletion with a new id and the current time.

    Example::

        build_completion("Hi!", "gpt-4o-mini-2024-07-18").choices[0].message.content  # "Hi!"
    """
    content, reason = split_reply_note(text)
    choice = Choice(
        index=0, message=ChatCompletionMessage(content=content), finish_reason=reason or "stop"
    )
    return ChatCompletion(
        id=new_completion_id(), created=int(time.time()), model=model, choices=[choice]
    )


class ChunkSequencer:
    """Turns a reply's text pieces into OpenAI-style chunks that share one id.

    The first chunk carries the role (content ``""``), each piece has its own chunk, and
    ``finish()`` gives the last: an empty delta with ``finish_reason="stop"`` (``"length"``
    when a piece was the site's note that it cut the reply; the note is not passed on).

    Example::

        sequencer = ChunkSequencer("gpt-4o-mini-2024-07-18")
        chunks = [*sequencer.feed("Hel"), *sequencer.feed("lo"), *sequencer.finish()]
    """

    def __init__(self, model: str) -> None:
        self.id = new_completion_id()
        self.created = int(time.time())
        self.model = model
        self._started = False
        self._finish_reason = "stop"

    def feed(self, piece: str) -> list[ChatCompletionChunk]:
        """The chunks for the next text piece: the role chunk first, the first time."""
        piece, reason = split_reply_note(piece)
        if reason is not None:
            self._finish_reason = reason
        if not piece:
            return self._start()
        return [*self._start(), self._chunk(ChoiceDelta(content=piece))]

    def finish(self) -> list[ChatCompletionChunk]:
        """The chunks that end the stream: the last chunk (after the role chunk, if none yet)."""
        return [*self._start(), self._chunk(ChoiceDelta(), finish_reason=self._finish_reason)]

    def _start(self) -> list[ChatCompletionChunk]:
        if self._started:
            return []
        self._started = True
        return [self._chunk(ChoiceDelta(role="assistant", content=""))]

    def _chunk(
        self, delta: ChoiceDelta, finish_reason: Optional[str] = None
    ) -> ChatCompletionChunk:
        return ChatCompletionChunk(
            id=self.id,
            created=self.created,
            model=self.model,
            choices=[ChunkChoice(index=0, delta=delta, finish_reason=finish_reason)],
        )
