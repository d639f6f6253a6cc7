"""Retry decisions without I/O, and the tenacity strategies both clients are built from.

The policy says what is retried and how long to wait; tenacity runs every attempt, the first one
included. Each attempt receives the call's ``CallState`` as its first argument, which is how the
strategies see what this call has met so far (a rejected nonce is renewed once per call).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Iterator
from dataclasses import dataclass
from typing import Any, Callable, Optional, TypeVar

import tenacity

from ._call import PreparedCall
from ._constants import BACKOFF_INITIAL, BACKOFF_MAX, RETRY_AFTER_CAP, RETRY_TIME_BUDGET
from ._exceptions import (
    APIConnectionError,
    APIStatusError,
    BlockedError,
    EndpointGoneError,
    NonceError,
    PluginError,
    UpstreamError,
)

__all__ = [
    "RETRYABLE_STATUSES",
    "CallState",
    "Retrier",
    "RetryPolicy",
    "retrying",
    "set_sleep",
]

RETRYABLE_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504, 520, 521, 522, 523, 524})

log = logging.getLogger("chatgpt4o")

_T = TypeVar("_T")

_sleep_override: Optional[Callable[[float], None]] = None


@dataclass
class CallState:
    """What one call has met so far; the attempt updates it, the strategies read it.

    Attributes:
        call: the call being sent.
        nonce_rejections: how many of its attempts the site refused for the nonce.
        replied: whether a piece of the reply has arrived (then nothing is retried).
    """

    call: PreparedCall
    nonce_rejections: int = 0
    replied: bool = False


@dataclass(frozen=True)
class RetryPolicy:
    """Which failures are retried, how often, and how long to wait between attempts.

    Attributes:
        max_retries: retries after the first attempt for transient failures; a rejected nonce
            is renewed and retried once on top of these.
        backoff_initial: the first backoff, doubled each retry (plus up to half as much jitter).
        backoff_max: the longest backoff.
        retry_after_cap: the longest ``Retry-After`` honoured; a longer one is not retried.
        time_budget: no retry starts this many seconds after the first attempt did.
    """

    max_retries: int
    backoff_initial: float = BACKOFF_INITIAL
    backoff_max: float = BACKOFF_MAX
    retry_after_cap: float = RETRY_AFTER_CAP
    time_budget: float = RETRY_TIME_BUDGET

    def is_retryable(self, exc: BaseException, state: CallState) -> bool:
        """Whether a later attempt can cure ``exc``.

        Retried: the network and timeouts (before any reply text arrived), 408/409/429/5xx
        within ``retry_after_cap``, the first rejected nonce of a call, an expired cache key, and
        the current plugin's transient failure to reach its model (5xx, 429, network, no data)
        when the call is stateless (a fresh conversation id per attempt makes the re-send
        harmless; a conversation the server holds would record the turn twice). The old
        plugin's error mode carries no status, so it is not retried. Never: block pages,
        400 ``0``, the plugin's refusals, bad replies, and anything once a piece of the reply
        has arrived (the site has run the model; a stream has shown the piece).
        """
        if state.replied:
            return False
        if isinstance(exc, NonceError):
            return state.nonce_rejections <= 1
        if isinstance(exc, (EndpointGoneError, BlockedError)):
            return False
        if isinstance(exc, APIStatusError):
            if exc.retry_after is not None and exc.retry_after > self.retry_after_cap:
                return False
            return exc.status_code in RETRYABLE_STATUSES
        if isinstance(exc, UpstreamError):
            return exc.code == "upstream" and state.call.native is None
        if isinstance(exc, PluginError):
            return exc.code == "cache_miss"
        return isinstance(exc, APIConnectionError)

    def attempts_allowed(self, state: CallState) -> int:
        """Attempts this call may make: the budget, plus one for a renewed nonce."""
        return self.max_retries + 1 + min(state.nonce_rejections, 1)

    def wait_override(self, exc: BaseException) -> Optional[float]:
        """The wait ``exc`` dictates (a renewed nonce at once, ``Retry-After``), or None."""
        if isinstance(exc, NonceError):
            return 0.0
        if isinstance(exc, APIStatusError) and exc.retry_after is not None:
            return min(exc.retry_after, self.retry_after_cap)
        return None


def _outcome(retry_state: tenacity.RetryCallState) -> tuple[BaseException, CallState]:
    outcome = retry_state.outcome
    exc = outcome.exception() if outcome is not None else None
    state = retry_state.args[0]
    if exc is None or not isinstance(state, CallState):  # pragma: no cover - tenacity contract
        raise RuntimeError("a chatgpt4o attempt ended without an exception or call state")
    return exc, state


class _RetryIf(tenacity.retry_base):
    def __init__(self, policy: RetryPolicy) -> None:
        self._policy = policy

    def __call__(self, retry_state: tenacity.RetryCallState) -> bool:
        if retry_state.outcome is None or not retry_state.outcome.failed:
            return False
        return self._policy.is_retryable(*_outcome(retry_state))


class _StopAfterBudget(tenacity.stop.stop_base):
    def __init__(self, policy: RetryPolicy) -> None:
        self._policy = policy

    def __call__(self, retry_state: tenacity.RetryCallState) -> bool:
        _, state = _outcome(retry_state)
        return retry_state.attempt_number >= self._policy.attempts_allowed(state)


class _WaitRetryAfter(tenacity.wait.wait_base):
    """The wait the error dictates, else exponential backoff with jitter."""

    def __init__(self, policy: RetryPolicy) -> None:
        self._policy = policy
        half = policy.backoff_initial / 2
        # The jitter rides on top, so the exponential part stops short of the cap by as much.
        self._backoff = tenacity.wait_exponential(
            multiplier=half, max=policy.backoff_max - half
        ) + tenacity.wait_random(0, half)

    def __call__(self, retry_state: tenacity.RetryCallState) -> float:
        exc, _ = _outcome(retry_state)
        override = self._policy.wait_override(exc)
        return self._backoff(retry_state) if override is None else override


def _strategies(policy: RetryPolicy) -> dict[str, Any]:
    return {
        "retry": _RetryIf(policy),
        "stop": _StopAfterBudget(policy) | tenacity.stop_after_delay(policy.time_budget),
        "wait": _WaitRetryAfter(policy),
        "before_sleep": tenacity.before_sleep_log(log, logging.INFO),
        "reraise": True,
    }


def _sleep(seconds: float) -> None:
    (_sleep_override or time.sleep)(seconds)


async def _async_sleep(seconds: float) -> None:
    if _sleep_override is not None:
        _sleep_override(seconds)
    else:
        await asyncio.sleep(seconds)


def retrying(policy: RetryPolicy) -> tenacity.Retrying:
    """The tenacity controller every attempt of a client's calls runs through."""
    return tenacity.Retrying(sleep=_sleep, **_strategies(policy))


class Retrier:
    """Runs a call's attempts through copies of one client's tenacity controller.

    A tenacity controller keeps the state of the call it runs (its iteration state is
    thread-local, which tasks of one event loop share), so concurrent calls each need their
    own. ``wraps()`` copies the controller on every call; lending out reused copies keeps the
    one controller the client built and saves that copy (about half of tenacity's cost per
    call).

    Example::

        retrier = Retrier(retrying(policy))
        reply = retrier.call(attempt, CallState(call))
    """

    def __init__(self, controller: tenacity.Retrying, *, keep: int = 64) -> None:
        self._controller = controller
        self._free: list[tenacity.Retrying] = []
        self._keep = keep

    def call(self, attempt: Callable[[CallState], _T], state: CallState) -> _T:
        """``attempt(state)``, retried as the controller decides."""
        with self._lend() as controller:
            return controller(attempt, state)

    async def acall(self, attempt: Callable[[CallState], Awaitable[_T]], state: CallState) -> _T:
        """``await attempt(state)``, retried as the controller decides.

        The loop tenacity's ``Retrying.__call__`` runs, awaiting the attempt and the sleeps.
        ``AsyncRetrying`` makes the same decisions but checks every strategy for a coroutine on
        every attempt, about half its cost per call; ours are plain functions.
        """
        with self._lend() as controller:
            controller.begin()
            retry_state = tenacity.RetryCallState(controller, attempt, (state,), {})
            while True:
                do = controller.iter(retry_state)
                if isinstance(do, tenacity.DoAttempt):
                    try:
                        result = await attempt(state)
                    except BaseException as exc:  # tenacity's own loop catches the same
                        retry_state.set_exception((type(exc), exc, exc.__traceback__))
                    else:
                        retry_state.set_result(result)
                elif isinstance(do, tenacity.DoSleep):
                    retry_state.prepare_for_next_attempt()
                    await _async_sleep(do)
                else:
                    done: _T = do
                    return done

    @contextlib.contextmanager
    def _lend(self) -> Iterator[tenacity.Retrying]:
        try:
            controller = self._free.pop()  # list ops are atomic: threads may share the pool
        except IndexError:
            controller = self._controller.copy()
        try:
            yield controller
        finally:
            if len(self._free) < self._keep:
                self._free.append(controller)


def set_sleep(sleep: Optional[Callable[[float], None]]) -> Optional[Callable[[float], None]]:
    """Replace the clients' retry sleep (None restores the real one); returns the previous one.

    For tests: ``chatgpt4o.testing.recorded_sleeps()`` uses it to record waits, not sleep them.
    """
    global _sleep_override
    previous, _sleep_override = _sleep_override, sleep
    return previous
