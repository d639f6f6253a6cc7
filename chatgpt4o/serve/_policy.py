"""The request body's fields, the server's policy for each, and the reply shaping it promises
(pure; no I/O).

Every field of a request body besides ``model``, ``messages`` and ``stream`` is, for every
client alike, one of:

- *ignored*: the site chooses it (sampling, bookkeeping); any value is accepted, and the
  response's ``x-chatgpt4o-ignored-params`` header names the ones that were;
- *honoured* here: ``stop``, ``max_tokens`` / ``max_completion_tokens`` (the reply is cut on
  our side), ``stream_options.include_usage``, and the values that ask for what the site does
  anyway (``n: 1``, ``logprobs: false``, ``response_format`` text, ``tools`` the model may
  leave uncalled);
- *refused* with a 400 naming it: what would change the meaning of the answer (``n > 1``, a
  tool call required, a JSON reply format, log probabilities, audio, web search).

A null value is the same as leaving the field out. ``strict`` refuses every ignored field too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Optional

from ._errors import ErrorReply, Refusal, bad_json, error_body
from ._usage import TokenCounter

__all__ = [
    "HONOURED",
    "IGNORED",
    "OPENAI_FIELDS",
    "REFUSED",
    "ChatRequest",
    "ParameterError",
    "ReplyPlan",
    "ReplyShaper",
    "parse_chat_request",
    "plan_reply",
]

IGNORED = frozenset(
    {
        "frequency_penalty",
        "logit_bias",
        "metadata",
        "parallel_tool_calls",
        "prediction",
        "presence_penalty",
        "prompt_cache_key",
        "reasoning_effort",
        "safety_identifier",
        "seed",
        "service_tier",
        "store",
        "temperature",
        "top_p",
        "user",
        "verbosity",
    }
)
"""Fields the site chooses for itself: accepted with any value, and named in a header."""

HONOURED = frozenset(
    {
        "function_call",
        "functions",
        "logprobs",
        "max_completion_tokens",
        "max_tokens",
        "modalities",
        "n",
        "response_format",
        "stop",
        "stream_options",
        "tool_choice",
        "tools",
        "top_logprobs",
    }
)
"""Fields honoured on the server's side, for the values it can honour (the others are refused)."""

REFUSED = frozenset({"audio", "web_search_options"})
"""Fields refused whatever their value (null aside)."""

_STRICT = "this server runs with --strict, which refuses every parameter it does not honour"


OPENAI_FIELDS = IGNORED | HONOURED | REFUSED | {"model", "messages", "stream"}
"""The fields of OpenAI's Chat Completions request body: the only ones a caller may send.

The SDK's own keywords (``extra_headers``, ``timeout``, ``bot_id``) are not among them, so an
HTTP caller can never set a header, a timeout or a bot for the server's requests to the site.
"""


class ParameterError(Refusal):
    """A request field this server refuses (400), naming it.

    Attributes:
        param: the field, e.g. ``"n"`` or ``"stream_options.include_usage"``.
        code: ``"unsupported_parameter"`` (a meaning the site cannot give), ``"invalid_value"``
            (not a value the field takes) or ``"unknown_parameter"`` (not OpenAI's).
    """

    def __init__(self, param: str, message: str, code: str = "unsupported_parameter") -> None:
        body = error_body(message, "invalid_request_error", param=param, code=code)
        super().__init__(ErrorReply(400, body))
        self.param = param
        self.code = code


@dataclass(frozen=True)
class ChatRequest:
    """The body of ``POST /v1/chat/completions``, split the way ``create()`` takes it.

    Attributes:
        model: ``model`` as sent (None when absent: the default model).
        messages: ``messages`` as sent (``create()`` validates them).
        stream: ``stream`` as sent, False when absent or null (``create()`` validates it).
        params: every other field (all OpenAI's), for ``plan_reply`` to judge.
    """

    model: Any
    messages: Any
    stream: Any
    params: dict[str, Any]


def parse_chat_request(body: object) -> ChatRequest:
    """Split a decoded JSON body: an object of OpenAI's fields; ``create()`` judges the values.

    Example::

        parse_chat_request({"model": "gpt-4o-mini", "messages": [], "temperature": 0}).params
        # {"temperature": 0}

    Raises:
        Refusal: the body is not a JSON object.
        ParameterError: a field that is not OpenAI's (the first, in sorted order).
    """
    if not isinstance(body, dict):
        raise Refusal(bad_json(f"expected a JSON object, got {_json_type(body)}"))
    unknown = sorted(name for name in body if name not in OPENAI_FIELDS)
    if unknown:
        message = f"Unrecognized request argument supplied: {unknown[0]}"
        raise ParameterError(unknown[0], message, "unknown_parameter")
    params = dict(body)
    model, messages = params.pop("model", None), params.pop("messages", None)
    stream = params.pop("stream", None)
    return ChatRequest(model, messages, False if stream is None else stream, params)


def _json_type(value: object) -> str:
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if value is None:
        return "null"
    return "a boolean" if isinstance(value, bool) else "a number"


@dataclass(frozen=True)
class ReplyPlan:
    """What a request asks of the reply, once its fields are judged.

    Attributes:
        ignored: the fields accepted and ignored, sorted.
        stop: the stop sequences (none empty).
        max_tokens: the most tokens the reply may have, or None.
        include_usage: a streamed reply ends with a usage chunk.
    """

    ignored: tuple[str, ...] = ()
    stop: tuple[str, ...] = ()
    max_tokens: Optional[int] = None
    include_usage: bool = False


def plan_reply(params: Mapping[str, object], *, strict: bool = False) -> ReplyPlan:
    """Judge a request's fields (all OpenAI's; see ``parse_chat_request``) by the policy.

    Example::

        plan_reply({"temperature": 0, "stop": "\\n", "max_tokens": 5})
        # ReplyPlan(ignored=("temperature",), stop=("\\n",), max_tokens=5)

    Args:
        params: the body's fields other than model, messages and stream.
        strict: refuse the fields the policy would ignore.

    Raises:
        ParameterError: the first field refused (in sorted order), naming it.
    """
    given = {name: value for name, value in params.items() if value is not None}
    for name in sorted(given):
        if name in IGNORED and strict:
            raise _unsupported(name, _STRICT)
        if name in REFUSED:
            raise _refusal(name)
    for name in sorted(given):
        if name in HONOURED:
            _check_honoured(name, given[name])
    limits = [
        _positive_int(name, given[name])
        for name in ("max_tokens", "max_completion_tokens")
        if name in given
    ]
    return ReplyPlan(
        ignored=tuple(sorted(name for name in given if name in IGNORED)),
        stop=_stop(given.get("stop")),
        max_tokens=min(limits) if limits else None,
        include_usage=_include_usage(given.get("stream_options")),
    )


_NO_LOGPROBS = "the site reports no log probabilities"
_TEXT_ONLY = "the site answers with text only"


def _unsupported(name: str, reason: str) -> ParameterError:
    return ParameterError(name, f"Unsupported parameter: '{name}': {reason}.")


def _invalid(name: str, expected: str, value: object) -> ParameterError:
    return ParameterError(
        name, f"Invalid value for '{name}': expected {expected}, got {value!r}.", "invalid_value"
    )


def _refusal(name: str) -> ParameterError:
    if name == "audio":
        return _unsupported(name, _TEXT_ONLY)
    return _unsupported(name, "the site's model cannot search the web")


def _check_honoured(name: str, value: object) -> None:
    """Return when ``value`` asks for what is honoured; raise for what is refused."""
    if name == "n":
        if _is_int(value) and value == 1:
            return
        if _is_int(value) and isinstance(value, int) and value > 1:
            raise _unsupported("n", "the site gives one reply per request; only 1 is supported")
        raise _invalid("n", "1", value)
    if name == "logprobs":
        if value is True:
            raise _unsupported("logprobs", _NO_LOGPROBS)
        if value is not False:
            raise _invalid("logprobs", "a boolean", value)
    elif name == "top_logprobs":
        if not (_is_int(value) and value == 0):
            raise _unsupported("top_logprobs", _NO_LOGPROBS)
    elif name == "response_format":
        kind = value.get("type") if isinstance(value, Mapping) else None
        if kind in ("json_object", "json_schema"):
            reason = f"the site cannot enforce a {kind} reply; ask for JSON in the prompt"
            raise _unsupported("response_format", reason)
        if kind != "text":
            raise _invalid("response_format", '{"type": "text"}', value)
    elif name in ("tool_choice", "function_call"):
        if value not in ("auto", "none"):
            reason = "the site's model cannot call tools; only 'auto' and 'none' are supported"
            raise _unsupported(name, reason)
    elif name == "modalities":
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise _invalid("modalities", "an array of strings", value)
        if "audio" in value:
            raise _unsupported("modalities", _TEXT_ONLY)
    # tools and functions: the model may always answer in text. stop, the max tokens and
    # stream_options are read by plan_reply().


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _positive_int(name: str, value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise _invalid(name, "an integer of at least 1", value)
    return value


def _stop(value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise _invalid("stop", "a string or an array of strings", value)
    return tuple(item for item in value if item)


def _include_usage(value: object) -> bool:
    if value is None:
        return False
    if not isinstance(value, Mapping):
        raise _invalid("stream_options", "an object", value)
    include = value.get("include_usage")
    if include is not None and not isinstance(include, bool):
        raise _invalid("stream_options.include_usage", "a boolean", include)
    return bool(include)


class ReplyShaper:
    """Cuts a reply at its first stop sequence and at its token limit, as its pieces arrive.

    ``feed()`` returns the text to send now: the end of a piece that could begin a stop
    sequence is held back until the next piece shows whether it does, so a sequence split
    across pieces is found too. Once the reply is cut, ``done`` is True and the rest of the
    site's reply is not needed.

    Example::

        shaper = ReplyShaper(stop=("END",), max_tokens=None, counter=counter())
        shaper.feed("Hello E") + shaper.feed("ND more") + shaper.finish()  # "Hello "
        shaper.finish_reason  # "stop"

    Args:
        stop: the stop sequences.
        max_tokens: the most tokens the reply may have, or None.
        counter: how tokens are counted (the same way as ``usage``).

    Attributes:
        text: everything returned so far.
        done: the reply was cut; feed nothing more.
        finish_reason: ``"stop"`` or ``"length"`` once the reply was cut here, else None.
    """

    def __init__(
        self, stop: tuple[str, ...], max_tokens: Optional[int], counter: TokenCounter
    ) -> None:
        self._stop = stop
        self._max_tokens = max_tokens
        self._counter = counter
        self._held = ""
        self._tokens_at_most = 0  # a bound on the tokens of self.text
        self.text = ""
        self.done = False
        self.finish_reason: Optional[str] = None

    def feed(self, piece: str) -> str:
        """The text of ``piece`` (with any held back before it) that may be sent now."""
        if self.done:
            return ""
        buffered = self._held + piece
        cut = _first_stop(buffered, self._stop)
        if cut is not None:
            self._held = ""
            sent = self._limit(buffered[:cut])
            if not self.done:
                self.done = True
                self.finish_reason = "stop"
            return sent
        keep = _partial_stop(buffered, self._stop)
        self._held = buffered[len(buffered) - keep :]
        return self._limit(buffered[: len(buffered) - keep])

    def finish(self) -> str:
        """At the end of the site's reply: the text still held back (no stop sequence came)."""
        if self.done:
            return ""
        held, self._held = self._held, ""
        return self._limit(held)

    def _limit(self, text: str) -> str:
        if self._max_tokens is None or not text:
            self.text += text
            return text
        bound = self._tokens_at_most + self._counter.most(text)
        if bound <= self._max_tokens:
            self._tokens_at_most = bound
            self.text += text
            return text
        whole = self.text + text
        count = self._counter.count(whole)
        if count <= self._max_tokens:
            self._tokens_at_most = count
            self.text = whole
            return text
        head = self._counter.cut(whole, self._max_tokens)
        sent = head[len(self.text) :] if head.startswith(self.text) else ""
        self.text += sent
        self.done = True
        self.finish_reason = "length"
        return sent


def _first_stop(text: str, stops: tuple[str, ...]) -> Optional[int]:
    found = [at for at in (text.find(stop) for stop in stops) if at >= 0]
    return min(found) if found else None


def _partial_stop(text: str, stops: tuple[str, ...]) -> int:
    """The length of the longest end of ``text`` that begins a stop sequence."""
    longest = 0
    for stop in stops:
        for size in range(min(len(stop) - 1, len(text)), longest, -1):
            if text.endswith(stop[:size]):
                longest = size
                break
    return longest
