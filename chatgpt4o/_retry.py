"""Retry decisions without I/O: what is retryable, how long to wait, and the per-call budget."""

from __future__ import annotations

import email.utils
import logging
import random
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from ._constants import BACKOFF_INITIAL, BACKOFF_MAX, RETRY_AFTER_CAP
from ._exceptions import (
    APIConnectionError,
    APIStatusError,
    EndpointGoneError,
    NonceError,
)

__all__ = ["RETRYABLE_STATUSES", "RetryBudget", "RetryPolicy", "parse_retry_after"]

RETRYABLE_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504, 520, 521, 522, 523, 524})


def parse_retry_after(value: Optional[str], *, now: float) -> Optional[float]:
    """Return the seconds a ``Retry-After`` header asks for, or None if absent or unreadable.

    Accepts delta-seconds (``"3"``, ``"1.5"``) and HTTP-dates; a date in the past gives 0.

    Example::

        >>> parse_retry_after("3", now=0.0)
        3.0
    """
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None or when.tzinfo is None:
            return None
        seconds = when.timestamp() - now
    if seconds != seconds:  # NaN
        return None
    return max(0.0, seconds)


@dataclass(frozen=True)
class RetryPolicy:
    """Which failures are retried, and how long to wait between attempts.

    Attributes:
        max_retries: retries after the first attempt for transient failures (a rejected nonce
            is re-scraped and retried once on top of these).
        backoff_initial: the first backoff, doubled each retry, in seconds.
        backoff_max: the longest backoff.
        retry_after_cap: the longest ``Retry-After`` honoured; a longer one is not retried.
    """

    max_retries: int
    backoff_initial: float = BACKOFF_INITIAL
    backoff_max: float = BACKOFF_MAX
    retry_after_cap: float = RETRY_AFTER_CAP

    def is_transient(self, exc: BaseException) -> bool:
        """True for failures that a later attempt can cure: network, timeouts, 408/409/429/5xx.

        A status reply whose ``Retry-After`` asks for more than ``retry_after_cap`` is not.
        """
        if isinstance(exc, EndpointGoneError):
            return False
        if isinstance(exc, APIStatusError):
            if exc.retry_after is not None and exc.retry_after > self.retry_after_cap:
                return False
            return exc.status_code in RETRYABLE_STATUSES
        return isinstance(exc, APIConnectionError)

    def wait_seconds(self, exc: BaseException, retry_number: int, jitter: float) -> float:
        """Seconds to sleep before retry number ``retry_number`` (1-based).

        ``jitter`` is a number in [0, 1): the backoff is scaled into its upper half so that
        many clients failing together do not retry together. A ``Retry-After`` is used as is.
        """
        if isinstance(exc, NonceError):
            return 0.0
        if isinstance(exc, APIStatusError) and exc.retry_after is not None:
            return min(exc.retry_after, self.retry_after_cap)
        backoff = min(self.backoff_max, self.backoff_initial * 2.0 ** (retry_number - 1))
        return backoff * (0.5 + jitter / 2)


@dataclass
class RetryBudget:
    """One call's retry accounting; pass ``allows`` and ``wait`` to tenacity.

    A rejected nonce is retried once (after the caller drops its cached tokens); transient
    failures are retried up to ``policy.max_retries`` times; anything else is raised at once.
    """

    policy: RetryPolicy
    jitter: Callable[[], float] = field(default=random.random)
    retries: int = 0
    nonce_refreshes: int = 0

    def allows(self, exc: BaseException) -> bool:
        """Whether to try again after ``exc``; counts the retry when it says yes."""
        if isinstance(exc, NonceError):
            if self.nonce_refreshes >= 1:
                return False
            self.nonce_refreshes += 1
            return True
        if self.retries >= self.policy.max_retries or not self.policy.is_transient(exc):
            return False
        self.retries += 1
        return True

    def wait(self, exc: BaseException) -> float:
        """Seconds to sleep before the retry that allows() just granted."""
        return self.policy.wait_seconds(exc, max(1, self.retries), self.jitter())


def tenacity_options(
    budget: RetryBudget,
    sleep: Callable[[float], Any],
    logger: logging.Logger,
) -> dict[str, Any]:
    """Keyword arguments for ``tenacity.Retrying`` / ``AsyncRetrying`` driven by ``budget``.

    ``sleep`` is ``time.sleep`` or ``asyncio.sleep`` (or a fake in tests). The budget may
    already have granted retries: the clients make their first attempt before tenacity.
    """
    import tenacity

    def retry(state: tenacity.RetryCallState) -> bool:
        exc = state.outcome.exception() if state.outcome else None
        return exc is not None and budget.allows(exc)

    def wait(state: tenacity.RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        return budget.wait(exc) if exc is not None else 0.0

    def before_sleep(state: tenacity.RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        delay = float(state.next_action.sleep) if state.next_action else 0.0
        logger.info(
            "retry %d after %s: %s (sleeping %.2f s)",
            budget.retries + budget.nonce_refreshes,
            type(exc).__name__,
            exc,
            delay,
        )

    return {
        "retry": retry,
        "wait": wait,
        "sleep": sleep,
        "reraise": True,
        "before_sleep": before_sleep,
        "stop": tenacity.stop_never,
    }


AsyncSleep = Callable[[float], Awaitable[None]]
