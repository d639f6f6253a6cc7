"""Retry decisions: what is retried, how long to wait, the per-call budget."""

from __future__ import annotations

import pytest

from chatgpt4o import (
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    BadReplyError,
    BlockedError,
    EndpointGoneError,
    NonceError,
    RateLimitError,
)
from chatgpt4o._retry import RetryBudget, RetryPolicy, parse_retry_after

URL = "http://site.test/"


def status(code: int) -> APIStatusError:
    return APIStatusError.from_reply(code, "", URL)


def rate_limited(after: float | None) -> RateLimitError:
    return RateLimitError("429", status_code=429, body="", url=URL, retry_after=after)


def test_parse_retry_after() -> None:
    assert parse_retry_after(None, now=0) is None
    assert parse_retry_after("3", now=0) == 3.0
    assert parse_retry_after(" 1.5 ", now=0) == 1.5
    assert parse_retry_after("-4", now=0) == 0.0
    assert parse_retry_after("soon", now=0) is None
    # Wed, 21 Oct 2015 07:28:00 GMT == 1445412480
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470) == 10.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412490) == 0.0


@pytest.mark.parametrize(
    ("exc", "transient"),
    [
        (APIConnectionError("x", url=URL), True),
        (APITimeoutError("x", url=URL), True),
        (status(408), True),
        (status(409), True),
        (rate_limited(None), True),
        (rate_limited(5), True),
        (rate_limited(3600), False),
        (status(500), True),
        (status(502), True),
        (status(503), True),
        (status(504), True),
        (status(522), True),
        (status(404), False),
        (status(401), False),
        (EndpointGoneError("0", status_code=400, body="0", url=URL), False),
        (BlockedError(status_code=503, url=URL), False),
        (APIError("quota", url=URL), False),
        (BadReplyError("bad", url=URL), False),
        (ValueError("bad input"), False),
    ],
)
def test_what_is_transient(exc: BaseException, transient: bool) -> None:
    assert RetryPolicy(max_retries=2).is_transient(exc) is transient


def test_budget_counts_transient_retries() -> None:
    budget = RetryBudget(RetryPolicy(max_retries=2), jitter=lambda: 0.0)
    assert budget.allows(status(503))
    assert budget.allows(status(503))
    assert not budget.allows(status(503))
    assert budget.retries == 2


def test_nonce_is_retried_once_even_without_retries() -> None:
    budget = RetryBudget(RetryPolicy(max_retries=0))
    nonce = NonceError("expired", url=URL)
    assert budget.allows(nonce)
    assert not budget.allows(nonce)
    assert not budget.allows(status(503))


def test_backoff_doubles_with_jitter_and_is_capped() -> None:
    policy = RetryPolicy(max_retries=5, backoff_initial=0.5, backoff_max=4.0)
    exc = status(503)
    assert policy.wait_seconds(exc, 1, 0.0) == 0.25
    assert policy.wait_seconds(exc, 1, 0.999) == pytest.approx(0.49975)
    assert policy.wait_seconds(exc, 3, 1.0) == 2.0
    assert policy.wait_seconds(exc, 10, 1.0) == 4.0


def test_retry_after_is_honoured_and_capped_and_nonce_waits_nothing() -> None:
    policy = RetryPolicy(max_retries=2, retry_after_cap=10)
    assert policy.wait_seconds(rate_limited(3), 1, 0.5) == 3
    assert policy.wait_seconds(rate_limited(None), 1, 1.0) == policy.backoff_initial
    assert policy.wait_seconds(NonceError("x", url=URL), 1, 0.7) == 0.0


def test_retry_after_on_a_server_error_is_honoured_too() -> None:
    policy = RetryPolicy(max_retries=2, retry_after_cap=10)
    busy = APIStatusError.from_reply(503, "", URL, retry_after=2.0)
    assert policy.is_transient(busy)
    assert policy.wait_seconds(busy, 1, 0.9) == 2.0
    assert not policy.is_transient(APIStatusError.from_reply(503, "", URL, retry_after=600.0))
