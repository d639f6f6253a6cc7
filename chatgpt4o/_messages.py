"""Validate chat messages, take their pictures out, and flatten them into one prompt."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Union, cast

from ._constants import MAX_PROMPT_CHARS
from ._exceptions import InvalidImageError, InvalidRequestError, InvalidRequestTypeError
from ._images import (
    DEFAULT_MAX_IMAGE_BYTES,
    SITE_MAX_IMAGES,
    ImageInput,
    ImageSource,
    load_images,
    message_text_for_images,
    split_content,
)

__all__ = [
    "ROLES",
    "Message",
    "Messages",
    "check_prompt",
    "format_prompt",
    "split_pictures",
    "validate_messages",
]

ROLES = ("system", "user", "assistant")

Message = Mapping[str, str]
Messages = Union[str, Sequence[Message]]


def format_prompt(messages: Sequence[Message], add_special_tokens: bool = False) -> str:
    """Flatten messages into one prompt, byte for byte as gpt4free did in 2024.

    One message (and no special tokens) is sent as its bare content; otherwise each message
    becomes ``"Role: content"`` on its own line and ``"\\nAssistant:"`` closes the prompt.

    Example::

        >>> format_prompt([{"role": "system", "content": "Be brief"},
        ...                {"role": "user", "content": "Hi"}])
        'System: Be brief\\nUser: Hi\\nAssistant:'

    Raises:
        IndexError: ``messages`` is empty (as the original did).
    """
    if not add_special_tokens and len(messages) <= 1:
        return messages[0]["content"]
    formatted = "\n".join(
        f"{message['role'].capitalize()}: {message['content']}" for message in messages
    )
    return f"{formatted}\nAssistant:"


def validate_messages(messages: object, field: str = "messages") -> list[dict[str, str]]:
    """Check ``messages`` (a str is one user message); plain ``{"role", "content"}`` dicts.

    Example::

        validate_messages("Hi")  # [{"role": "user", "content": "Hi"}]
    """
    if isinstance(messages, str):
        messages = [{"role": "user", "content": messages}]
    if isinstance(messages, (bytes, bytearray, Mapping)) or not isinstance(messages, Sequence):
        raise InvalidRequestTypeError(
            f"{field}: expected a str or a list of {{'role': ..., 'content': ...}} mappings, "
            f"got {type(messages).__name__}"
        )
    if len(messages) == 0:
        raise InvalidRequestError(f"{field}: expected at least one message, got an empty list")
    result: list[dict[str, str]] = []
    for index, message in enumerate(messages):
        where = f"{field}[{index}]"
        if not isinstance(message, Mapping):
            raise InvalidRequestTypeError(
                f"{where}: expected a mapping with 'role' and 'content', "
                f"got {type(message).__name__}"
            )
        for key in ("role", "content"):
            if key not in message:
                raise InvalidRequestError(f"{where}.{key}: missing; every message needs one")
        role, content = message["role"], message["content"]
        if not isinstance(role, str):
            raise InvalidRequestTypeError(
                f"{where}.role: expected a str, got {type(role).__name__}"
            )
        if role not in ROLES:
            raise InvalidRequestError(
                f"{where}.role: expected one of {', '.join(ROLES)}, got {role!r}"
            )
        if not isinstance(content, str):
            raise InvalidRequestTypeError(
                f"{where}.content: expected a str, got {type(content).__name__}"
            )
        result.append({"role": role, "content": content})
    return result


def split_pictures(
    messages: object, images: object = None, *, max_bytes: int = DEFAULT_MAX_IMAGE_BYTES
) -> tuple[object, tuple[ImageInput, ...]]:
    """Take the pictures out of ``messages`` (OpenAI ``image_url`` parts) and ``images``.

    Text parts are joined with newlines. Pictures go with the last message, a user message (the
    site replays earlier turns as text); its blank text becomes ``DEFAULT_IMAGE_PROMPT``, since
    the site drops a turn without words. Anything else is left for ``validate_messages()``.

    Example::

        messages, pictures = split_pictures("What is this?", ["cat.png"])
    """
    extra = load_images(images, field="images", max_bytes=max_bytes)
    if isinstance(messages, str):
        messages = [{"role": "user", "content": messages}]
    if isinstance(messages, (bytes, bytearray, Mapping)) or not isinstance(messages, Sequence):
        return messages, ()  # validate_messages() says what is wrong
    result: list[object] = []
    found: list[ImageSource] = []
    last = len(messages) - 1
    for index, message in enumerate(messages):
        content = message.get("content") if isinstance(message, Mapping) else None
        if isinstance(message, Mapping) and isinstance(content, (list, tuple)):
            where = f"messages[{index}].content"
            text, pictures = split_content(content, field=where, max_bytes=max_bytes)
            if pictures and (index != last or message.get("role") != "user"):
                raise InvalidImageError(
                    f"{where}: pictures go with the last message, a user message, since the "
                    "site replays earlier turns as text; move them there",
                    field=where,
                )
            found += pictures
            message = {**message, "content": text}
        result.append(message)
    if extra:
        final = result[-1] if result else None
        if not isinstance(final, Mapping) or final.get("role") != "user":
            raise InvalidImageError(
                "images: pictures go with the last message, which must be a user message",
                field="images",
            )
    # load_images() and split_content() refuse remote URLs (fetch_urls is off).
    pictures = cast("tuple[ImageInput, ...]", (*found, *extra))
    if len(pictures) > SITE_MAX_IMAGES:
        raise InvalidImageError(
            f"images: {len(pictures)} pictures in all; the site takes at most "
            f"{SITE_MAX_IMAGES} per message",
            field="images",
        )
    final = result[-1] if result else None
    if pictures and isinstance(final, Mapping) and isinstance(final.get("content"), str):
        result[-1] = {**final, "content": message_text_for_images(final["content"], len(pictures))}
    return result, pictures


def check_prompt(prompt: str) -> str:
    """Return ``prompt`` if the site can take it: not blank, valid UTF-8, not too long.

    Example::

        check_prompt(format_prompt(validate_messages("Hi")))  # "Hi"

    Raises:
        InvalidRequestError: a blank prompt (the site would answer "nothing was inputted"), a
            lone surrogate (no site can receive it), or one longer than MAX_PROMPT_CHARS.
    """
    if not prompt.strip():
        raise InvalidRequestError("messages: the prompt is blank; expected some text to send")
    try:
        prompt.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidRequestError(
            f"messages: the prompt has a character UTF-8 cannot encode at position {exc.start} "
            f"({prompt[exc.start]!r}, a lone surrogate); expected valid text"
        ) from None
    if len(prompt) > MAX_PROMPT_CHARS:
        raise InvalidRequestError(
            f"messages: the prompt is {len(prompt)} characters; expected at most {MAX_PROMPT_CHARS}"
        )
    return prompt
