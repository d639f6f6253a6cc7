"""Conversations: the turns so far, how each is sent, and the sync and async wrappers."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncGenerator, Awaitable, Generator
from dataclasses import dataclass, field
from typing import Any, Callable, Literal, Optional, cast

from ._call import NativeTurn, PreparedCall, check_bot_id, new_uuid
from ._exceptions import InvalidRequestError, InvalidRequestTypeError
from ._http import KEY_SHAPE
from ._images import DEFAULT_MAX_IMAGE_BYTES, Images, message_text_for_images
from ._messages import check_prompt, format_prompt, split_pictures, validate_messages
from ._models import resolve_model
from ._streams import AsyncStream, Stream

__all__ = ["AsyncConversation", "Conversation", "ConversationState", "native_history"]

HistoryMode = Literal["prompt", "native"]
HISTORY_MODES = ("prompt", "native")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


def native_history(turns: list[dict[str, str]]) -> str:
    """Encode earlier turns as the old plugin's ``wpaicg_chat_history`` field.

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

    ``history``: ``"prompt"`` flattens the turns into each message (as the original provider did),
    ``"native"`` lets the site keep them (the old plugin's history field, the current plugin's
    server-side thread, found by bot, ``conversation_uuid`` *and* ``session_id``).
    ``thread_started``: the server already holds the thread (restored, or a turn was sent).
    ``max_image_bytes``: the client's setting, not saved.
    """

    model: str
    system: Optional[str] = None
    history: HistoryMode = "prompt"
    turns: list[dict[str, str]] = field(default_factory=list)
    bot_id: Optional[int] = None
    conversation_uuid: Optional[str] = None
    session_id: Optional[str] = None
    thread_started: bool = False
    max_image_bytes: int = DEFAULT_MAX_IMAGE_BYTES

    @classmethod
    def create(
        cls,
        model: object,
        system: object,
        history: object,
        turns: object,
        bot_id: object = None,
        conversation_uuid: object = None,
        session_id: object = None,
        *,
        client_session_id: str,
        max_image_bytes: int = DEFAULT_MAX_IMAGE_BYTES,
    ) -> ConversationState:
        """Check ``client.conversation()``'s arguments; by default the client's session."""
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
        return cls(
            model=resolve_model(model),
            system=system,
            history=mode,
            turns=checked,
            bot_id=check_bot_id(bot_id),
            conversation_uuid=_thread_key("conversation_uuid", conversation_uuid, mode, new_uuid),
            session_id=_thread_key("session_id", session_id, mode, lambda: client_session_id),
            thread_started=conversation_uuid is not None,
            max_image_bytes=max_image_bytes,
        )

    def prepare(self, text: object, images: object = None) -> PreparedCall:
        """The call that sends ``text`` (and ``images``) next, for either plugin generation.

        In native mode the current plugin gets the new text alone under the thread id, except the
        thread's first message, which carries the system prompt and restored turns flattened.
        """
        if not isinstance(text, str):
            raise InvalidRequestTypeError(f"text: expected a str, got {type(text).__name__}")
        messages, images = split_pictures(text, images, max_bytes=self.max_image_bytes)
        user = cast("list[dict[str, str]]", messages)[0]  # the text, or the default prompt
        earlier = [{"role": "system", "content": self.system}] if self.system else []
        earlier += self.turns
        if self.history == "prompt" or self.conversation_uuid is None:
            prompt = check_prompt(format_prompt([*earlier, user]))
            return PreparedCall(self.model, prompt, bot_id=self.bot_id, images=images)
        prompt = check_prompt(user["content"])
        native = NativeTurn(
            wpaicg_message=prompt,
            wpaicg_history=native_history(earlier),
            aipkit_message=prompt if self.thread_started else format_prompt([*earlier, user]),
            conversation_uuid=self.conversation_uuid,
            session_id=self.session_id,
        )
        return PreparedCall(self.model, prompt, bot_id=self.bot_id, native=native, images=images)

    def record(self, text: str, reply: str) -> None:
        """Add a finished exchange to the turns."""
        self.turns.append({"role": "user", "content": text})
        self.turns.append({"role": "assistant", "content": reply})
        self.thread_started = True

    def to_dict(self) -> dict[str, Any]:
        """The state as plain JSON-ready data; ``client.conversation(**data)`` restores it."""
        data: dict[str, Any] = {
            "model": self.model,
            "system": self.system,
            "history": self.history,
            "turns": [dict(turn) for turn in self.turns],
        }
        if self.bot_id is not None:
            data["bot_id"] = self.bot_id
        if self.conversation_uuid is not None:
            data["conversation_uuid"] = self.conversation_uuid
        if self.session_id is not None:
            data["session_id"] = self.session_id
        return data


def _turn_text(text: str, call: PreparedCall) -> str:
    """The user turn to keep: the text sent, the default prompt when pictures went alone."""
    return message_text_for_images(text, len(call.images))


def _thread_key(
    name: str, value: object, mode: HistoryMode, default: Callable[[], str]
) -> Optional[str]:
    """``conversation_uuid`` or ``session_id``: a native conversation's thread keys."""
    if value is None:
        return default() if mode == "native" else None
    if not isinstance(value, str):
        raise InvalidRequestTypeError(f"{name}: expected a str, got {type(value).__name__}")
    if mode != "native":
        raise InvalidRequestError(
            f"{name}: only a conversation with history='native' has a server-held thread"
        )
    if not KEY_SHAPE.fullmatch(value):
        raise InvalidRequestError(
            f"{name}: expected 1 to 64 lower-case letters, digits, '-' or '_', got {value!r}"
        )
    return value


class Conversation:
    """A conversation on a ``Client``: each ``send`` carries the earlier turns.

    Example::

        chat = client.conversation(system="You are terse.")
        chat.send("Pick a number")
        chat.send("Double it")
        saved = json.dumps(chat.to_dict())       # later: client.conversation(**json.loads(saved))

    Args:
        state: the turns so far and how they are sent.
        send: sends a prepared call and returns the reply (the client's).
        stream: sends a prepared call and returns its pieces (the client's).
    """

    def __init__(
        self,
        state: ConversationState,
        *,
        send: Callable[[PreparedCall], str],
        stream: Callable[[PreparedCall], Stream],
    ) -> None:
        self._state = state
        self._send = send
        self._stream = stream

    @property
    def turns(self) -> list[dict[str, str]]:
        """A copy of the user and assistant turns so far."""
        return [dict(turn) for turn in self._state.turns]

    @property
    def conversation_uuid(self) -> Optional[str]:
        """The current plugin's thread id (native history), else None."""
        return self._state.conversation_uuid

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data; ``client.conversation(**data)`` restores the conversation."""
        return self._state.to_dict()

    def send(self, text: str, *, images: Optional[Images] = None) -> str:
        """Send ``text`` with the earlier turns; return the reply and keep both as turns.

        ``images``: pictures to send with ``text`` (see ``Client.create``); the turns keep
        the text only, as the site does.
        """
        call = self._state.prepare(text, images)
        reply = self._send(call)
        self._state.record(_turn_text(text, call), reply)
        return reply

    def stream(self, text: str, *, images: Optional[Images] = None) -> Stream:
        """Like send(), but the reply's pieces as they arrive; the turn is kept once it ends."""
        call = self._state.prepare(text, images)
        return Stream(self._recorded(_turn_text(text, call), self._stream(call)))

    def _recorded(self, text: str, pieces: Stream) -> Generator[str, None, None]:
        received = []
        with pieces:
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

    Args:
        state: the turns so far and how they are sent.
        send: sends a prepared call and returns the reply (the client's).
        stream: sends a prepared call and returns its pieces (the client's).
    """

    def __init__(
        self,
        state: ConversationState,
        *,
        send: Callable[[PreparedCall], Awaitable[str]],
        stream: Callable[[PreparedCall], AsyncStream],
    ) -> None:
        self._state = state
        self._send = send
        self._stream = stream

    @property
    def turns(self) -> list[dict[str, str]]:
        """A copy of the user and assistant turns so far."""
        return [dict(turn) for turn in self._state.turns]

    @property
    def conversation_uuid(self) -> Optional[str]:
        """The current plugin's thread id (native history), else None."""
        return self._state.conversation_uuid

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data; ``client.conversation(**data)`` restores the conversation."""
        return self._state.to_dict()

    async def send(self, text: str, *, images: Optional[Images] = None) -> str:
        """Send ``text`` with the earlier turns; return the reply and keep both as turns.

        ``images``: pictures to send with ``text`` (see ``AsyncClient.create``); the turns
        keep the text only, as the site does.
        """
        call = self._state.prepare(text, images)
        reply = await self._send(call)
        self._state.record(_turn_text(text, call), reply)
        return reply

    def stream(self, text: str, *, images: Optional[Images] = None) -> AsyncStream:
        """Like send(), but the reply's pieces as they arrive; the turn is kept once it ends."""
        call = self._state.prepare(text, images)
        return AsyncStream(self._recorded(_turn_text(text, call), self._stream(call)))

    async def _recorded(self, text: str, pieces: AsyncStream) -> AsyncGenerator[str, None]:
        received = []
        async with pieces:
            async for piece in pieces:
                received.append(piece)
                yield piece
        self._state.record(text, "".join(received))
