"""One chat call, validated and ready to send: every entry point checks its arguments here."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Optional

from ._config import check_seconds
from ._exceptions import InvalidRequestError, InvalidRequestTypeError
from ._images import DEFAULT_MAX_IMAGE_BYTES, ImageInput
from ._messages import check_prompt, format_prompt, split_pictures, validate_messages
from ._models import resolve_model

__all__ = ["NativeTurn", "PreparedCall", "new_uuid", "prepare_call"]

_FORBIDDEN_HEADERS = frozenset({"host", "content-length", "transfer-encoding", "cookie"})


def new_uuid() -> str:
    """A random UUID v4 as the plugin's JavaScript makes them (lower case, with dashes)."""
    return str(uuid.uuid4())


@dataclass(frozen=True)
class NativeTurn:
    """The next turn of a conversation whose history the site keeps, for either generation.

    Attributes:
        wpaicg_message: the ``message`` field for the old plugin (the new turn alone).
        wpaicg_history: the old plugin's ``wpaicg_chat_history`` JSON of the earlier turns.
        aipkit_message: the ``message`` for the current plugin: the new turn alone once the
            server holds the thread, else everything flattened (the system prompt included).
        conversation_uuid: the current plugin's thread id, kept for the whole conversation.
        session_id: the guest id the thread is kept under, sent instead of the client's own
            (a restored conversation keeps its session); None for the client's.
    """

    wpaicg_message: str
    wpaicg_history: str
    aipkit_message: str
    conversation_uuid: str
    session_id: Optional[str] = None


@dataclass(frozen=True)
class PreparedCall:
    """One validated chat call, ready to be sent (and re-sent on retry).

    Attributes:
        model: the canonical model name.
        prompt: the ``message`` text of a stateless call (earlier messages flattened in).
        bot_id: a bot on the site, or None for the page's first.
        native: set for a conversation whose history the site keeps; None for a stateless call.
        timeout: seconds for each request of this call, or None for the client's timeout.
        extra_headers: headers for this call on top of the client's.
        images: the pictures sent with the message, checked and typed from their bytes.
    """

    model: str
    prompt: str
    bot_id: Optional[int] = None
    native: Optional[NativeTurn] = None
    timeout: Optional[float] = None
    extra_headers: Mapping[str, str] = field(default_factory=dict)
    images: tuple[ImageInput, ...] = ()

    @property
    def picture_bytes(self) -> int:
        """The pictures' total size, in bytes."""
        return sum(image.size for image in self.images)


def prepare_call(
    model: object,
    messages: object,
    *,
    bot_id: object = None,
    timeout: object = None,
    extra_headers: object = None,
    images: object = None,
    max_image_bytes: int = DEFAULT_MAX_IMAGE_BYTES,
) -> PreparedCall:
    """Check the arguments of a chat call; raises before any I/O, naming the bad field.

    Pictures are at most ``max_image_bytes`` (the client's setting, checked when it was made).

    Example::

        call = prepare_call("gpt-4o-mini", "Hello", bot_id=7, timeout=30)
        call = prepare_call(None, "What is in it?", images=["photo.jpg"])
    """
    messages, pictures = split_pictures(messages, images, max_bytes=max_image_bytes)
    return PreparedCall(
        model=resolve_model(model),
        prompt=check_prompt(format_prompt(validate_messages(messages))),
        bot_id=check_bot_id(bot_id),
        timeout=None if timeout is None else check_seconds(timeout, "timeout"),
        extra_headers=check_headers(extra_headers, "extra_headers"),
        images=pictures,
    )


def check_bot_id(value: object) -> Optional[int]:
    """``bot_id``: None or a whole number >= 0."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidRequestTypeError(f"bot_id: expected an int, got {type(value).__name__}")
    if value < 0:
        raise InvalidRequestError(f"bot_id: expected a whole number >= 0, got {value!r}")
    return value


def check_headers(value: object, name: str) -> dict[str, str]:
    """A mapping of header (or cookie) names to values, all str; None gives ``{}``."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidRequestTypeError(
            f"{name}: expected a mapping of str to str, got {type(value).__name__}"
        )
    checked: dict[str, str] = {}
    for key, item in value.items():
        if not isinstance(key, str) or not isinstance(item, str):
            raise InvalidRequestTypeError(
                f"{name}[{key!r}]: expected str keys and values, got {type(item).__name__}"
            )
        if name == "extra_headers" and key.lower() in _FORBIDDEN_HEADERS:
            raise InvalidRequestError(
                f"{name}[{key!r}]: set by the transport; pass cookies= to the client for cookies"
            )
        if any(ch in key + item for ch in "\r\n\x00"):
            raise InvalidRequestError(f"{name}[{key!r}]: line breaks are not allowed")
        checked[key] = item
    return checked
