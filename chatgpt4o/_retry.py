"""Retry decisions without I/O, and the tenacity strategies both clients are built from.

The policy says what is retried and how long to wait; tenacity's own ``Retrying`` and
``AsyncRetrying`` loops run every attempt, the first one included, one controller copy per call
(a controller holds the state of the call it runs). Each attempt receives the call's
``CallState`` as its first argument, which is how the strategies see what this call has met so
far (a rejected nonce is renewed once per call).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any, Callable, Optional

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
    "RetryPolicy",
    "async_retrying",
    "retrying",
    "set_sleep",
]

RETRYABLE_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504, 520, 521, 522, 523, 524})

log = logging.getLogger("chatgpt4o")

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


def _outcome(retry_state: tenacity.RetryCallState) -> tuple[Optional[BaseException], CallState]:
    outcome = retry_state.outcome
    state = retry_state.args[0]
    if outcome is None or not isinstance(state, CallState):  # pragma: no cover - tenacity's
        raise RuntimeError("a chatgpt4o attempt ran without an outcome or a call state")
    return outcome.exception() if outcome.failed else None, state


def _strategies(policy: RetryPolicy) -> dict[str, Any]:
    """tenacity's keyword arguments for ``policy``: its retry, stop and wait decisions."""
    half = policy.backoff_initial / 2
    # The jitter rides on top, so the exponential part stops short of the cap by as much.
    backoff = tenacity.wait_exponential(
        multiplier=half, max=policy.backoff_max - half
    ) + tenacity.wait_random(0, half)

    def retry(retry_state: tenacity.RetryCallState) -> bool:
        exc, state = _outcome(retry_state)
        return exc is not None and policy.is_retryable(exc, state)

    out_of_time = tenacity.stop_after_delay(policy.time_budget)

    def stop(retry_state: tenacity.RetryCallState) -> bool:
        _, state = _outcome(retry_state)
        attempts = policy.attempts_allowed(state)
        return retry_state.attempt_number >= attempts or out_of_time(retry_state)

    def wait(retry_state: tenacity.RetryCallState) -> float:
        exc, _ = _outcome(retry_state)
        override = None if exc is None else policy.wait_override(exc)
        return backoff(retry_state) if override is None else override

    return {
        "retry": retry,
        "stop": stop,
        "wait": wait,
        "before_sleep": tenacity.before_sleep_log(log, logging.INFO),
        "reraise": True,
    }


def retrying(
    policy: RetryPolicy, *, sleep: Optional[Callable[[float], None]] = None
) -> tenacity.Retrying:
    """A tenacity controller for ``policy``; copy it per call (it holds the call's state).

    Each attempt is called with the call's ``CallState`` first. ``sleep`` replaces the wait
    between attempts (tests record it); by default ``time.sleep``, unless ``set_sleep`` says.

    Example::

        reply = retrying(policy).copy()(attempt, CallState(call))
    """
    return tenacity.Retrying(sleep=sleep or _sleep, **_strategies(policy))


def async_retrying(
    policy: RetryPolicy, *, sleep: Optional[Callable[[float], Awaitable[None]]] = None
) -> tenacity.AsyncRetrying:
    """``retrying`` for coroutines: the same decisions, awaiting attempts and waits.

    Example::

        reply = await async_retrying(policy).copy()(attempt, CallState(call))
    """
    return tenacity.AsyncRetrying(sleep=sleep or _async_sleep, **_strategies(policy))


def _sleep(seconds: float) -> None:
    (_sleep_override or time.sleep)(seconds)


async def _async_sleep(seconds: float) -> None:
    if _sleep_override is not None:
        _sleep_override(seconds)
    else:
        await asyncio.sleep(seconds)


def set_sleep(sleep: Optional[Callable[[float], None]]) -> Optional[Callable[[float], None]]:
    """Replace every client's retry wait (None restores the real one); returns the previous.

    The process-wide hook behind ``chatgpt4o.testing.recorded_sleeps()``, which records the
    waits of clients it cannot reach; code that holds a controller passes ``sleep=`` instead.
    """
    global _sleep_override
    previous, _sleep_override = _sleep_override, sleep
    return previous
