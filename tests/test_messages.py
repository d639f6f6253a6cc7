"""format_prompt() against the 2024 gpt4free algorithm, and message validation."""

from __future__ import annotations

import pytest

from chatgpt4o import InvalidRequestError, InvalidRequestTypeError, format_prompt
from chatgpt4o._messages import check_prompt, validate_messages


@pytest.mark.parametrize(
    ("messages", "expected"),
    [
        ([{"role": "user", "content": "Hi"}], "Hi"),
        ([{"role": "system", "content": "only me"}], "only me"),
        ([{"role": "user", "content": ""}], ""),
        (
            [{"role": "system", "content": "Be brief"}, {"role": "user", "content": "Hi"}],
            "System: Be brief\nUser: Hi\nAssistant:",
        ),
        (
            [
                {"role": "USER", "content": "a"},
                {"role": "assistant", "content": ""},
                {"role": "user", "content": "multi\nline"},
            ],
            "User: a\nAssistant: \nUser: multi\nline\nAssistant:",
        ),
    ],
)
def test_format_prompt_matches_gpt4free_2024(messages: list[dict[str, str]], expected: str) -> None:
    assert format_prompt(messages) == expected


def test_format_prompt_special_tokens_wraps_a_single_message() -> None:
    assert format_prompt([{"role": "user", "content": "Hi"}], True) == "User: Hi\nAssistant:"


def test_format_prompt_empty_list_raises_index_error_like_the_original() -> None:
    with pytest.raises(IndexError):
        format_prompt([])


def test_a_str_is_one_user_message() -> None:
    assert validate_messages("hello") == [{"role": "user", "content": "hello"}]


@pytest.mark.parametrize(
    ("messages", "error", "names"),
    [
        (None, InvalidRequestTypeError, "messages"),
        (42, InvalidRequestTypeError, "messages"),
        (b"bytes", InvalidRequestTypeError, "messages"),
        ({"role": "user", "content": "x"}, InvalidRequestTypeError, "messages"),
        ([], InvalidRequestError, "messages"),
        (["hi"], InvalidRequestTypeError, "messages[0]"),
        ([{"content": "x"}], InvalidRequestError, "messages[0].role"),
        ([{"role": "user"}], InvalidRequestError, "messages[0].content"),
        (
            [{"role": "user", "content": "a"}, {"role": "bot", "content": "b"}],
            InvalidRequestError,
            "messages[1].role",
        ),
        ([{"role": 1, "content": "b"}], InvalidRequestTypeError, "messages[0].role"),
        ([{"role": "user", "content": None}], InvalidRequestTypeError, "messages[0].content"),
        ([{"role": "user", "content": ["parts"]}], InvalidRequestTypeError, "messages[0].content"),
    ],
)
def test_invalid_messages_name_the_field(messages: object, error: type, names: str) -> None:
    with pytest.raises(error) as info:
        validate_messages(messages)
    assert str(info.value).startswith(names)


def test_validation_errors_are_value_and_type_errors() -> None:
    with pytest.raises(ValueError, match="at least one message"):
        validate_messages([])
    with pytest.raises(TypeError, match="got NoneType"):
        validate_messages(None)


def test_check_prompt_refuses_blank_and_huge_prompts() -> None:
    with pytest.raises(InvalidRequestError, match="blank"):
        check_prompt("   \n")
    with pytest.raises(InvalidRequestError, match="at most"):
        check_prompt("x" * 200_001)
    assert check_prompt("Hi") == "Hi"
