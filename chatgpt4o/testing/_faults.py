"""The fault catalogue (names, parameters, where each applies) and the thread-safe fault queue."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import Any, Callable, Collection, Literal, Mapping, Union

Target = Literal["page", "post", "cache", "stream", "refresh", "history", "json"]
Stage = Literal[
    "delay", "edge", "page", "guard", "nonce", "reply", "warning", "pace", "origin", "upstream"
]
Era = Literal["old", "aipkit"]

FLAG_KINDS = ("tokenLimitReached", "ipBanned", "messageFlagged", "pineconeError")
AIPKIT_TARGETS: tuple[Target, ...] = ("cache", "stream", "refresh", "history", "json")
"""``on=`` values that narrow a fault to one AIPKit action (``"post"`` means any of them)."""

_OLD: frozenset[Era] = frozenset({"old"})
_AIPKIT: frozenset[Era] = frozenset({"aipkit"})
_ALL: frozenset[Era] = frozenset({"old", "aipkit"})


@dataclass(frozen=True)
class _Spec:
    stage: Stage
    targets: tuple[Target, ...]
    params: Mapping[str, Any]
    streams: bool = False  # answers with SSE even when the site's stream switch is off
    eras: frozenset[Era] = _OLD


_POST: tuple[Target, ...] = ("post",)
_BOTH: tuple[Target, ...] = ("post", "page", *AIPKIT_TARGETS)
_ACTIONS: tuple[Target, ...] = ("post", *AIPKIT_TARGETS)
_OPENAI_KEY_ERROR = (
    "Incorrect API key provided: sk-proj-****AbCd. You can find your API key at "
    "https://platform.openai.com/account/api-keys."
)

_SPECS: Mapping[str, _Spec] = MappingProxyType(
    {
        "rate_limit": _Spec("edge", _BOTH, {"retry_after": "1"}, eras=_ALL),
        "server_error": _Spec("edge", _BOTH, {"status": 503, "retry_after": None}, eras=_ALL),
        "drop": _Spec("edge", _BOTH, {}, eras=_ALL),
        "slow": _Spec("delay", _BOTH, {"delay": 1.0}, eras=_ALL),
        "cloudflare": _Spec("edge", _BOTH, {"status": 403}, eras=_ALL),
        "html": _Spec("edge", _BOTH, {"status": 200}, eras=_ALL),
        "stale_page": _Spec("page", ("page",), {}, eras=_ALL),
        "no_api_key": _Spec("guard", _POST, {}, eras=_ALL),
        "nonce_expired": _Spec("nonce", _ACTIONS, {}, eras=_ALL),
        "truncated_json": _Spec("reply", _ACTIONS, {}, eras=_ALL),
        "empty_data": _Spec("reply", _POST, {}),
        "token_limit": _Spec("reply", _POST, {"msg": "You have reached your token limit."}),
        "banned_ip": _Spec("reply", _POST, {}, eras=_ALL),
        "banned_word": _Spec("reply", _POST, {}, eras=_ALL),
        "upstream_error": _Spec("reply", _POST, {"msg": _OPENAI_KEY_ERROR}),
        "stream_cut": _Spec("reply", _POST, {"after": 3}, streams=True, eras=_ALL),
        "error_mode": _Spec(
            "reply",
            _POST,
            {
                "msg": "The server had an error while processing your request. Sorry about that!",
                "doubled": False,
            },
            streams=True,
        ),
        "limited": _Spec(
            "reply",
            _POST,
            {"msg": "cURL error 28: Operation timed out after 120001 milliseconds"},
            streams=True,
        ),
        "flag": _Spec(
            "reply",
            _POST,
            {"kind": "tokenLimitReached", "msg": None, "continue_stream": False},
            streams=True,
        ),
        "php_warning": _Spec("warning", _ACTIONS, {}, eras=_ALL),
        "slow_stream": _Spec(
            "pace", _POST, {"chunk_delay": 0.2, "first_delay": 0.0}, streams=True, eras=_ALL
        ),
        # AIPKit (2.3+) only.
        "cross_origin": _Spec(
            "origin", ("post", "cache", "stream", "refresh", "json"), {}, eras=_AIPKIT
        ),
        "unknown_bot": _Spec("reply", _POST, {}, eras=_AIPKIT),
        "guests_disabled": _Spec("reply", _POST, {}, eras=_AIPKIT),
        "quota": _Spec("reply", _POST, {"msg": None, "actions": ()}, eras=_AIPKIT),
        "moderation": _Spec("reply", _POST, {}, eras=_AIPKIT),
        "api_error": _Spec(
            "upstream",
            _POST,
            {"status": 401, "msg": _OPENAI_KEY_ERROR, "code": "invalid_api_key"},
            eras=_AIPKIT,
        ),
        "response_failed": _Spec(
            "upstream",
            _POST,
            {
                "msg": "The server had an error while processing your request. Sorry about that!",
                "after": 0,
            },
            eras=_AIPKIT,
        ),
        "connection_error": _Spec(
            "upstream",
            _POST,
            {
                "msg": "Operation timed out after 120001 milliseconds with 0 bytes received",
                "errno": 28,
                "after": 0,
            },
            eras=_AIPKIT,
        ),
        "no_data": _Spec("upstream", _POST, {}, eras=_AIPKIT),
        "warning": _Spec(
            "warning", _POST, {"msg": " (Incomplete: max_output_tokens)"}, eras=_AIPKIT
        ),
    }
)

FAULTS: tuple[str, ...] = tuple(_SPECS)
"""Every fault name ``LocalSite.inject`` accepts."""

STREAM_FAULTS: frozenset[str] = frozenset(name for name, spec in _SPECS.items() if spec.streams)
"""Faults that always answer with SSE (so a 1.7 site, which never streams, refuses them)."""


def fault_eras(name: str) -> frozenset[Era]:
    """The plugin eras a fault exists for: ``"old"`` (wpaicg, up to 2.2) and/or ``"aipkit"``."""
    return _SPECS[name].eras


@dataclass(frozen=True)
class Fault:
    """A queued fault: what goes wrong, for which requests, how many more times.
    Attributes:
        name: one of ``FAULTS``.
        times: how many matching requests it still applies to.
        on: ``"post"`` (the AJAX endpoint), ``"page"`` (the chat page GET), or on AIPKit one
            action: ``"cache"``, ``"stream"``, ``"refresh"``, ``"history"``, ``"json"``.
        params: every parameter, defaults filled in.
    """

    name: str
    times: int
    on: Target
    params: Mapping[str, Any]


def _count(value: Any, *, whole: bool = True) -> bool:
    kinds = int if whole else (int, float)
    return not isinstance(value, bool) and isinstance(value, kinds) and value >= 0


def _text(value: Any) -> bool:
    return value is None or isinstance(value, str)


_CHECKS: Mapping[str, tuple[Callable[[Any], bool], str]] = {
    "after": (_count, "an int >= 0"),
    "errno": (_count, "an int >= 0"),
    "delay": (lambda v: _count(v, whole=False), "a number >= 0"),
    "chunk_delay": (lambda v: _count(v, whole=False), "a number >= 0"),
    "first_delay": (lambda v: _count(v, whole=False), "a number >= 0"),
    "retry_after": (
        lambda v: v is None or isinstance(v, (str, int, float, datetime)),
        "seconds, an HTTP-date or a datetime",
    ),
    "msg": (_text, "a string"),
    "doubled": (lambda v: isinstance(v, bool), "True or False"),
    "continue_stream": (lambda v: isinstance(v, bool), "True or False"),
    "code": (_text, "a string or None"),
    "kind": (lambda v: v in FLAG_KINDS, "one of " + ", ".join(FLAG_KINDS)),
    "actions": (
        lambda v: isinstance(v, (list, tuple)) and all(isinstance(a, Mapping) for a in v),
        "a sequence of mappings",
    ),
}
_STATUSES: Mapping[str, tuple[Collection[int], str]] = {
    "server_error": ((500, 502, 503, 504), "500/502/503/504"),
    "cloudflare": ((403, 503, 429), "403/503/429"),
    "html": (range(200, 600), "an HTTP status"),
    "api_error": (range(400, 600), "4xx/5xx"),
}


def _validate(name: str, params: Mapping[str, Any]) -> None:
    for key, value in params.items():
        if key == "status":
            allowed, what = _STATUSES[name]
            ok = isinstance(value, int) and not isinstance(value, bool) and value in allowed
        else:
            check, what = _CHECKS[key]
            ok = check(value)
        if not ok:
            raise ValueError(f"fault {name!r}: {key} must be {what}, got {value!r}")


def make_fault(name: str, *, times: int = 1, on: str | None = None, **params: Any) -> Fault:
    """Build and check a fault; bad names, targets or parameters raise ``ValueError``."""
    spec = _SPECS.get(name)
    if spec is None:
        raise ValueError(f"unknown fault {name!r}; choose one of {', '.join(FAULTS)}")
    if isinstance(times, bool) or not isinstance(times, int) or times < 1:
        raise ValueError(f"fault {name!r}: times must be an int >= 1, got {times!r}")
    target = on if on is not None else spec.targets[0]
    if target not in spec.targets:
        allowed = " or ".join(repr(t) for t in spec.targets)
        raise ValueError(f"fault {name!r} applies on {allowed}, not {target!r}")
    unknown = sorted(set(params) - set(spec.params))
    if unknown:
        valid = ", ".join(spec.params) or "none"
        raise ValueError(f"fault {name!r} has no parameter {unknown[0]!r}; valid: {valid}")
    merged = {**spec.params, **params}
    _validate(name, merged)
    return Fault(name, times, target, MappingProxyType(merged))


class _Entry:
    __slots__ = ("fault", "remaining")

    def __init__(self, fault: Fault) -> None:
        self.fault = fault
        self.remaining = fault.times


class FaultQueue:
    """Faults waiting for requests, first in first out, safe to share between threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[_Entry] = []

    def add(self, fault: Fault) -> None:
        """Queue ``fault`` behind the others."""
        with self._lock:
            self._entries.append(_Entry(fault))

    def take(
        self,
        target: Union[Target, Collection[Target]],
        stage: Stage | None,
        names: Collection[str] | None = None,
    ) -> Fault | None:
        """Use up one application of the oldest matching fault, if any."""
        targets = {target} if isinstance(target, str) else set(target)
        with self._lock:
            for entry in self._entries:
                fault = entry.fault
                if (
                    fault.on in targets
                    and (stage is None or _SPECS[fault.name].stage == stage)
                    and (names is None or fault.name in names)
                ):
                    entry.remaining -= 1
                    if entry.remaining <= 0:
                        self._entries.remove(entry)
                    return fault
        return None

    def pending(self) -> list[Fault]:
        """The faults still queued, with ``times`` set to how many uses remain."""
        with self._lock:
            return [
                Fault(e.fault.name, e.remaining, e.fault.on, e.fault.params) for e in self._entries
            ]

    def clear(self) -> None:
        """Drop every queued fault."""
        with self._lock:
            self._entries.clear()
