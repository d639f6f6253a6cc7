"""Conversations: the turns so far, how they are sent, and the sync and async wrappers."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Optional

from ._exceptions import InvalidRequestError, InvalidRequestTypeError
from ._messages import validate_messages
from ._models import resolve_model

if TYPE_CHECKING:
    from ._async_client import AsyncClient, AsyncStream
    from ._client import Client, Stream

__all__ = ["AsyncConversation", "Conversation", "ConversationState", "native_history"]

HistoryMode = Literal["prompt", "native"]
HISTORY_MODES = ("prompt", "native")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


def native_history(turns: list[dict[str, str]]) -> str:
    """Encode earlier turns as the plugin's ``wpaicg_chat_history`` field.

    The plugin deletes every backslash before it decodes the JSON, so a quote or backslash
    inside a turn (or any JSON escape) would silently void the whole history: quotes become
    apostrophes, backslashes slashes, control characters spaces, and non-ASCII stays literal.

    Example::

        >>> native_history([{"role": "user", "content": 'Say "hi"'}])
        '[{"id":1,"text":"Human: Say \\'hi\\'"}]'
    """
    items = []
    for number, turn in enumerate(turns, start=1):
        text = _CONTROL.sub(" ", turn["content"]).replace("\\", "/").replace('"', "'")
        speaker = "AI" if turn["role"] == "assistant" else "Human"
        items.append({"id": number, "text": f"{speaker}: {text}"})
    return json.dumps(items, ensure_ascii=False, separators=(",", ":"))


@dataclass
class ConversationState:
    """What a conversation has said so far and how it sends it; plain data, no I/O.

    Attributes:
        model: the canonical model name.
        system: a system prompt sent ahead of the turns, or None.
        history: ``"prompt"`` flattens the turns into the message with format_prompt (what the
            original provider did); ``"native"`` sends them in ``wpaicg_chat_history``.
        turns: the user and assistant messages so far.
    """

    model: str
    system: Optional[str] = None
    history: HistoryMode = "prompt"
    turns: list[dict[str, str]] = field(default_factory=list)

    @classmethod
    def create(
        cls,
        model: Optional[str],
        system: Optional[str],
        history: str,
        turns: object,
    ) -> ConversationState:
        """Validate the arguments of ``client.conversation()``.

        Raises:
            InvalidRequestError, InvalidRequestTypeError: naming the bad argument.
        """
        if system is not None and not isinstance(system, str):
            raise InvalidRequestTypeError(f"system: expected a str, got {type(system).__name__}")
        if history not in HISTORY_MODES:
            raise InvalidRequestError(
                f"history: expected one of {', '.join(HISTORY_MODES)}, got {history!r}"
            )
        if isinstance(turns, str):
            raise InvalidRequestTypeError("turns: expected a list of user and assistant turns")
        checked = validate_messages(turns, "turns") if turns not in (None, []) else []
        if any(turn["role"] == "system" for turn in checked):
            raise InvalidRequestError("turns: expected user and assistant turns only")
        mode: HistoryMode = "native" if history == "native" else "prompt"
        return cls(resolve_model(model), system, mode, checked)

    def request(self, text: object) -> tuple[list[dict[str, str]], str]:
        """The messages and the history field for sending ``text`` next.

        Returns:
            ``(messages, history_json)``: in prompt mode every turn is in ``messages`` and the
            history field is ``"[]"``; in native mode ``messages`` is the new text alone.
        """
        if not isinstance(text, str):
            raise InvalidRequestTypeError(f"text: expected a str, got {type(text).__name__}")
        user = {"role": "user", "content": text}
        earlier = [{"role": "system", "content": self.system}] if self.system else []
        earlier += self.turns
        if self.history == "native":
            return [user], native_history(earlier)
        return [*earlier, user], "[]"

    def record(self, text: str, reply: str) -> None:
        """Add a finished exchange to the turns."""
        self.turns.append({"role": "user", "content": text})
        self.turns.append({"role": "assistant", "content": reply})

    def to_dict(self) -> dict[str, Any]:
        """The state as plain JSON-ready data; ``client.conversation(**data)`` restores it."""
        return {
            "model": self.model,
            "system": self.system,
            "history": self.history,
            "turns": [dict(turn) for turn in self.turns],
        }


class Conversation:
    """A conversation on a ``Client``: each ``send`` carries the earlier turns.

    Example::

        chat = client.conversation(system="You are terse.")
        chat.send("Pick a number")
        chat.send("Double it")
        saved = json.dumps(chat.to_dict())       # later: client.conversation(**json.loads(saved))
    """

    def __init__(self, client: Client, state: ConversationState) -> None:
        self._client = client
        self._state = state

    @property
    def turns(self) -> list[dict[str, str]]:
        """A copy of the user and assistant turns so far."""
        return [dict(turn) for turn in self._state.turns]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data; ``client.conversation(**data)`` restores the conversation."""
        return self._state.to_dict()

    def send(self, text: str) -> str:
        """Send ``text`` with the earlier turns; return the reply and keep both as turns."""
        messages, history = self._state.request(text)
        reply = self._client._complete(
            self._client._prepare(self._state.model, messages, {}, history=history)
        )
        self._state.record(text, reply)
        return reply

    def stream(self, text: str) -> Stream:
        """Like send(), but the reply's pieces as they arrive; the turn is kept once it ends."""
        from ._client import Stream

        messages, history = self._state.request(text)
        call = self._client._prepare(self._state.model, messages, {}, history=history)
        return Stream(self._recorded(text, self._client._stream(call)))

    def _recorded(self, text: str, pieces: Iterator[str]) -> Iterator[str]:
        received = []
        for piece in pieces:
            received.append(piece)
            yield piece
        self._state.record(text, "".join(received))


class AsyncConversation:
    """A conversation on an ``AsyncClient``: each ``send`` carries the earlier turns.

    Example::

        chat = client.conversation(system="You are terse.")
        await chat.send("Pick a number")
        await chat.send("Double it")
    """

    def __init__(self, client: AsyncClient, state: ConversationState) -> None:
        self._client = client
        self._state = state

    @property
    def turns(self) -> list[dict[str, str]]:
        """A copy of the user and assistant turns so far."""
        return [dict(turn) for turn in self._state.turns]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data; ``client.conversation(**data)`` restores the conversation."""
        return self._state.to_dict()

    async def send(self, text: str) -> str:
        """Send ``text`` with the earlier turns; return the reply and keep both as turns."""
        messages, history = self._state.request(text)
        reply = await self._client._complete(
            self._client._prepare(self._state.model, messages, {}, history=history)
        )
        self._state.record(text, reply)
        return reply

    def stream(self, text: str) -> AsyncStream:
        """Like send(), but the reply's pieces as they arrive; the turn is kept once it ends."""
        from ._async_client import AsyncStream

        messages, history = self._state.request(text)
        call = self._client._prepare(self._state.model, messages, {}, history=history)
        return AsyncStream(self._recorded(text, self._client._stream(call)))

    async def _recorded(self, text: str, pieces: AsyncIterator[str]) -> AsyncIterator[str]:
        received = []
        async for piece in pieces:
            received.append(piece)
            yield piece
        self._state.record(text, "".join(received))
