"""What an AIPKit site keeps between requests: cached messages, chat threads, guest usage."""

from __future__ import annotations

import copy
import threading
from dataclasses import dataclass
from typing import Any, Literal, Mapping, Union

from chatgpt4o.testing._aipkit_replies import CACHE_CLEANUP_SECONDS, CACHE_SECONDS, cache_key
from chatgpt4o.testing._image_inputs import ImagePart

ThreadKey = tuple[int, str, str]
CacheMiss = Literal["not_found", "expired"]


@dataclass(frozen=True)
class Turn:
    """One stored message of a conversation thread, as ``aipkit_get_conversation_history``
    returns it.
    Attributes:
        role: ``"user"`` or ``"bot"``.
        content: the text as stored (``wp_kses_post``: a bare ``&`` is ``&amp;``); failed
            answers on the JSON path are stored as ``"Error: <message>"``.
        message_id: the stored id (the browser's ``user_client_message_id`` for user turns).
        timestamp: Unix time of the turn.
    """

    role: Literal["user", "bot"]
    content: str
    message_id: str
    timestamp: int


@dataclass(frozen=True)
class UpstreamCall:
    """One request the plugin sent to its model (OpenAI), as the stand-in's model sees it.
    Attributes:
        path: ``"stream"`` (``aipkit_frontend_chat_stream``) or ``"json"``
            (``aipkit_frontend_chat_message``).
        bot_id: the chatbot.
        session_id: the guest id the browser sent.
        conversation_uuid: the conversation, as the plugin keys it (``sanitize_key``).
        message: the current user message as the model gets it: trimmed, ``""`` when the
            plugin dropped the empty turn.
        history: the stored turns replayed before it (at most 15; on the JSON path they end
            with the current message itself, which 2.3 .. 2.4.0 then send a second time).
        input: the upstream ``input`` list: ``{"role","content"}`` items, system prompt first;
            the last user turn's content is a list of text and picture parts when it has
            pictures (``input_image`` parts, or ``image_url`` ones in the Chat Completions mode).
        images: the pictures that reached the model with the last user turn, in order.
    """

    path: Literal["stream", "json"]
    bot_id: int
    session_id: str
    conversation_uuid: str
    message: str
    history: tuple[Turn, ...]
    input: tuple[Mapping[str, Any], ...]
    images: tuple[ImagePart, ...] = ()


@dataclass(frozen=True)
class Cached:
    """A message waiting in the SSE cache table."""

    message: str
    client_message_id: str | None
    expires_at: float
    images: tuple[ImagePart, ...] = ()


class AipkitStore:
    """The site's database rows, safe to share between request threads.

    Cache keys are matched case-insensitively, as MySQL compares the ``sanitize_key``-ed
    (lower-cased) key with the stored mixed-case one.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cache: dict[str, Cached] = {}
        self._threads: dict[ThreadKey, list[dict[str, Any]]] = {}
        self._usage: dict[tuple[int, str], int] = {}

    def cache_put(
        self,
        message: str,
        client_message_id: str | None,
        now: float,
        images: tuple[ImagePart, ...] = (),
    ) -> str:
        """Store a message and its pictures for 60 s; returns its new ``aipkit_sse_…`` key."""
        key = cache_key()
        with self._lock:
            self._cache[key.lower()] = Cached(
                message, client_message_id, now + CACHE_SECONDS, images
            )
        return key

    def cache_take(self, key: str, now: float) -> Union[Cached, CacheMiss]:
        """Read a cached message and delete it (keys are single-use).

        An expired row stays (and answers ``"expired"``) until the hourly cleanup.
        """
        with self._lock:
            entry = self._cache.get(key.lower())
            if entry is None:
                return "not_found"
            if now >= entry.expires_at + CACHE_CLEANUP_SECONDS:
                del self._cache[key.lower()]
                return "not_found"
            if now >= entry.expires_at:
                return "expired"
            del self._cache[key.lower()]
            return entry

    def cache_size(self) -> int:
        """How many cache rows exist (expired ones included until cleanup)."""
        with self._lock:
            return len(self._cache)

    def append(self, key: ThreadKey, entry: Mapping[str, Any]) -> None:
        """Add a message object to a thread (created on first use)."""
        with self._lock:
            self._threads.setdefault(key, []).append(copy.deepcopy(dict(entry)))

    def entries(self, key: ThreadKey) -> list[dict[str, Any]]:
        """A deep copy of a thread's stored message objects, oldest first."""
        with self._lock:
            return copy.deepcopy(self._threads.get(key, []))

    def turns(self, key: ThreadKey) -> list[Turn]:
        """A thread as ``Turn`` objects, oldest first."""
        return [to_turn(entry) for entry in self.entries(key)]

    def thread_keys(self) -> list[ThreadKey]:
        """Every thread's key, in creation order."""
        with self._lock:
            return list(self._threads)

    def add_usage(self, bot_id: int, session_id: str, tokens: int) -> None:
        """Count tokens against a guest's quota."""
        with self._lock:
            key = (bot_id, session_id)
            self._usage[key] = self._usage.get(key, 0) + tokens

    def usage(self, bot_id: int, session_id: str) -> int:
        """Tokens a guest has used with a bot."""
        with self._lock:
            return self._usage.get((bot_id, session_id), 0)


def to_turn(entry: Mapping[str, Any]) -> Turn:
    """Make a ``Turn`` from a stored message object."""
    role: Literal["user", "bot"] = "user" if entry.get("role") == "user" else "bot"
    return Turn(
        role, str(entry.get("content", "")), str(entry["message_id"]), int(entry["timestamp"])
    )
