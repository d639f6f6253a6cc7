"""The parameter policy, the reply shaping and the token counts, as pure functions."""

from __future__ import annotations

import importlib.util
from typing import Any, Optional

import pytest

from chatgpt4o.serve._errors import Refusal
from chatgpt4o.serve._policy import (
    HONOURED,
    IGNORED,
    REFUSED,
    ParameterError,
    ReplyPlan,
    ReplyShaper,
    parse_chat_request,
    plan_reply,
)
from chatgpt4o.serve._usage import ESTIMATE, O200K, TokenCounter, counter, estimate_tokens

TOOLS = [{"type": "function", "function": {"name": "f", "parameters": {}}}]


def test_no_field_has_two_places_in_the_policy() -> None:
    assert sum(map(len, [IGNORED, HONOURED, REFUSED])) == len(IGNORED | HONOURED | REFUSED)


@pytest.mark.parametrize(
    ("body", "split"),
    [
        ({"model": "m", "messages": [1], "stream": True, "n": 1}, ("m", [1], True, {"n": 1})),
        ({}, (None, None, False, {})),
        ({"stream": None}, (None, None, False, {})),
        ({"stream": "yes"}, (None, None, "yes", {})),  # create() judges it
    ],
)
def test_a_body_splits_into_create_arguments(body: dict[str, Any], split: tuple[Any, ...]) -> None:
    request = parse_chat_request(body)
    assert (request.model, request.messages, request.stream, request.params) == split


@pytest.mark.parametrize(
    ("body", "kind"),
    [([], "an array"), ("x", "a string"), (None, "null"), (True, "a boolean"), (3, "a number")],
)
def test_only_an_object_is_a_request(body: object, kind: str) -> None:
    with pytest.raises(Refusal, match=f"expected a JSON object, got {kind}"):
        parse_chat_request(body)


@pytest.mark.parametrize("name", sorted(IGNORED))
@pytest.mark.parametrize("value", [0.7, {"any": ["value"]}])
def test_an_ignored_field_takes_any_value_and_is_named(name: str, value: object) -> None:
    assert plan_reply({name: value}) == ReplyPlan(ignored=(name,))


@pytest.mark.parametrize("name", sorted(IGNORED))
def test_strict_refuses_every_ignored_field(name: str) -> None:
    with pytest.raises(ParameterError) as caught:
        plan_reply({name: 1}, strict=True)
    assert (caught.value.param, caught.value.code) == (name, "unsupported_parameter")
    assert str(caught.value).startswith(f"Unsupported parameter: '{name}': ")
    assert "--strict" in str(caught.value)


HONOURED_VALUES: list[tuple[dict[str, Any], ReplyPlan]] = [
    ({"stop": "\n"}, ReplyPlan(stop=("\n",))),
    ({"stop": ["a", "", "b"]}, ReplyPlan(stop=("a", "b"))),
    ({"stop": []}, ReplyPlan()),
    ({"max_tokens": 5}, ReplyPlan(max_tokens=5)),
    ({"max_completion_tokens": 7}, ReplyPlan(max_tokens=7)),
    ({"max_tokens": 9, "max_completion_tokens": 4}, ReplyPlan(max_tokens=4)),
    ({"stream_options": {"include_usage": True}}, ReplyPlan(include_usage=True)),
    ({"stream_options": {"include_usage": False}}, ReplyPlan()),
    ({"stream_options": {}}, ReplyPlan()),
    ({"response_format": {"type": "text"}}, ReplyPlan()),
    ({"n": 1}, ReplyPlan()),
    ({"logprobs": False}, ReplyPlan()),
    ({"top_logprobs": 0}, ReplyPlan()),
    ({"tools": TOOLS}, ReplyPlan()),
    ({"tools": TOOLS, "tool_choice": "auto"}, ReplyPlan()),
    ({"tools": TOOLS, "tool_choice": "none"}, ReplyPlan()),
    ({"functions": [{"name": "f"}], "function_call": "auto"}, ReplyPlan()),
    ({"modalities": ["text"]}, ReplyPlan()),
    ({"temperature": None, "n": None, "audio": None, "stop": None}, ReplyPlan()),
    (
        {"temperature": 0, "user": "u", "stop": "x", "max_tokens": 3},
        ReplyPlan(ignored=("temperature", "user"), stop=("x",), max_tokens=3),
    ),
]


@pytest.mark.parametrize(("params", "plan"), HONOURED_VALUES)
def test_honoured_fields_become_the_plan(params: dict[str, Any], plan: ReplyPlan) -> None:
    assert plan_reply(params) == plan
    if not plan.ignored:
        assert plan_reply(params, strict=True) == plan


REFUSALS: list[tuple[dict[str, Any], str, str]] = [
    ({"n": 2}, "n", "unsupported_parameter"),
    ({"tools": TOOLS, "tool_choice": "required"}, "tool_choice", "unsupported_parameter"),
    (
        {"tools": TOOLS, "tool_choice": {"type": "function", "function": {"name": "f"}}},
        "tool_choice",
        "unsupported_parameter",
    ),
    ({"function_call": {"name": "f"}}, "function_call", "unsupported_parameter"),
    ({"response_format": {"type": "json_object"}}, "response_format", "unsupported_parameter"),
    ({"response_format": {"type": "json_schema"}}, "response_format", "unsupported_parameter"),
    ({"logprobs": True}, "logprobs", "unsupported_parameter"),
    ({"top_logprobs": 3}, "top_logprobs", "unsupported_parameter"),
    ({"audio": {"voice": "alloy", "format": "mp3"}}, "audio", "unsupported_parameter"),
    ({"modalities": ["text", "audio"]}, "modalities", "unsupported_parameter"),
    ({"web_search_options": {}}, "web_search_options", "unsupported_parameter"),
    ({"n": 0}, "n", "invalid_value"),
    ({"n": True}, "n", "invalid_value"),
    ({"logprobs": "yes"}, "logprobs", "invalid_value"),
    ({"response_format": "text"}, "response_format", "invalid_value"),
    ({"modalities": "text"}, "modalities", "invalid_value"),
    ({"max_tokens": 0}, "max_tokens", "invalid_value"),
    ({"max_completion_tokens": 2.5}, "max_completion_tokens", "invalid_value"),
    ({"stop": 3}, "stop", "invalid_value"),
    ({"stop": ["a", 1]}, "stop", "invalid_value"),
    ({"stream_options": True}, "stream_options", "invalid_value"),
    ({"stream_options": {"include_usage": 1}}, "stream_options.include_usage", "invalid_value"),
]


@pytest.mark.parametrize(("params", "param", "code"), REFUSALS)
def test_what_would_change_the_answer_is_refused_by_name(
    params: dict[str, Any], param: str, code: str
) -> None:
    with pytest.raises(ParameterError) as caught:
        plan_reply(params)
    assert (caught.value.param, caught.value.code) == (param, code)
    assert f"'{param}'" in str(caught.value)


# -- shaping a reply -------------------------------------------------------------------------


def shape(
    pieces: list[str], stop: tuple[str, ...] = (), max_tokens: Optional[int] = None
) -> tuple[list[str], Optional[str]]:
    """What each piece lets out (the finish last), and the finish reason."""
    shaper = ReplyShaper(stop, max_tokens, TokenCounter())
    out = [shaper.feed(piece) for piece in pieces]
    out.append(shaper.finish())
    assert shaper.text == "".join(out)
    return out, shaper.finish_reason


@pytest.mark.parametrize(
    ("pieces", "stop", "out", "reason"),
    [
        (["Hello", " world"], (), ["Hello", " world", ""], None),
        (["Hello END", " more"], ("END",), ["Hello ", "", ""], "stop"),
        (["Hello E", "N", "D more"], ("END",), ["Hello ", "", "", ""], "stop"),
        (["Hello E", "ach"], ("END",), ["Hello ", "Each", ""], None),
        (["ab", "c"], ("bcd",), ["a", "", "bc"], None),
        (["one\n", "two"], ("\n", "tw"), ["one", "", ""], "stop"),
        (["xyz"], ("z", "y"), ["x", ""], "stop"),
        (["END"], ("END",), ["", ""], "stop"),
    ],
)
def test_a_stop_sequence_cuts_the_reply_even_across_pieces(
    pieces: list[str], stop: tuple[str, ...], out: list[str], reason: Optional[str]
) -> None:
    assert shape(pieces, stop) == (out, reason)


@pytest.mark.parametrize("limit", [1, 2, 3, 5, 8])
def test_max_tokens_cuts_at_the_limit_counted_as_usage_counts(limit: int) -> None:
    pieces = ["The quick ", "brown fox ", "jumps over ", "the lazy dog."]
    out, reason = shape(pieces, max_tokens=limit)
    text = "".join(out)
    assert estimate_tokens(text) <= limit
    assert "".join(pieces).startswith(text)
    assert reason == "length"
    longer = "".join(pieces)[: len(text) + 1]
    assert estimate_tokens(longer) > limit  # nothing more would have fitted


def test_a_reply_within_max_tokens_is_whole() -> None:
    assert shape(["Hi ", "there"], max_tokens=50) == (["Hi ", "there", ""], None)


def test_a_stop_before_the_limit_is_a_stop() -> None:
    out, reason = shape(["a b c d e f g h i j k l"], stop=(" b",), max_tokens=3)
    assert (out, reason) == (["a", ""], "stop")


# -- counting --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "tokens"), [("", 0), ("abcd", 1), ("abcde", 2), ("héllo", 2), ("你好", 2)]
)
def test_the_estimate_is_ascii_over_four_plus_one_per_other_character(
    text: str, tokens: int
) -> None:
    assert estimate_tokens(text) == tokens
    assert TokenCounter().count(text) == tokens


def test_the_estimate_cut_is_the_longest_start_within_the_limit() -> None:
    assert TokenCounter().cut("abcdefghij", 2) == "abcdefgh"
    assert TokenCounter().cut("a你好", 2) == "a你"


def test_the_counter_is_o200k_when_bpe_openai_loads_else_the_estimate() -> None:
    if importlib.util.find_spec("bpe_openai") is None:
        assert counter().name == ESTIMATE
        return
    assert counter().name == O200K
    assert counter().count("Hello, world! Ünïcödé 你好") == 10  # as tiktoken counts it
    assert counter().cut("Hello, world!", 2) == "Hello,"
