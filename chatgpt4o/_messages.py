"""Validate chat messages and flatten them into one prompt with format_prompt()."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Union

from ._constants import MAX_PROMPT_CHARS
from ._exceptions import InvalidRequestError, InvalidRequestTypeError

__all__ = ["ROLES", "Message", "Messages", "build_prompt", "format_prompt", "validate_messages"]

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
    """Check ``messages`` and return them as a list of plain ``{"role", "content"}`` dicts.

    A str is taken as one user message. Roles are system, user and assistant; content is a str.
    ``field`` is the argument's name in error messages.

    Raises:
        InvalidRequestTypeError: a value of the wrong type (names index and field).
        InvalidRequestError: an empty list, an unknown role, or no text to send.
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


def build_prompt(messages: object) -> str:
    """Validate ``messages`` and return the prompt text the site will receive.

    Raises:
        InvalidRequestTypeError, InvalidRequestError: see validate_messages(); also when the
            prompt is blank (the site would answer "nothing was inputted"), holds a lone
            surrogate (no site can receive it) or is longer than MAX_PROMPT_CHARS.
    """
    prompt = format_prompt(validate_messages(messages))
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
