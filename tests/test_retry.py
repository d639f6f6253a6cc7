"""Retry decisions: what is retried, how long to wait, the per-call budget (driven by tenacity)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Callable, Optional

import pytest

from chatgpt4o import (
    AccessDeniedError,
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    BadReplyError,
    BlockedError,
    ChatPageError,
    ContentFlaggedError,
    EndpointGoneError,
    NonceError,
    PluginError,
    RateLimitError,
    TokenLimitError,
    UpstreamError,
)
from chatgpt4o._call import NativeTurn, PreparedCall
from chatgpt4o._http import parse_retry_after
from chatgpt4o._retry import (
    RETRYABLE_STATUSES,
    CallState,
    RetryPolicy,
    async_retrying,
    retrying,
)

URL = "http://site.test/"
STATELESS = PreparedCall(model="gpt-4o", prompt="Hi")
NATIVE = PreparedCall(
    model="gpt-4o",
    prompt="Hi",
    native=NativeTurn(
        wpaicg_message="Hi",
        wpaicg_history="[]",
        aipkit_message="Hi",
        conversation_uuid="c0ffee00-0000-4000-8000-000000000000",
    ),
)


def status(code: int, retry_after: Optional[float] = None) -> APIStatusError:
    return APIStatusError(f"HTTP {code}", url=URL, status_code=code, retry_after=retry_after)


def rate_limited(after: Optional[float]) -> RateLimitError:
    return RateLimitError("429", status_code=429, body="", url=URL, retry_after=after)


def test_parse_retry_after() -> None:
    assert parse_retry_after(None, now=0) is None
    assert parse_retry_after("3", now=0) == 3.0
    assert parse_retry_after(" 1.5 ", now=0) == 1.5
    assert parse_retry_after("-4", now=0) == 0.0
    assert parse_retry_after("soon", now=0) is None
    assert parse_retry_after("nan", now=0) is None
    # Wed, 21 Oct 2015 07:28:00 GMT == 1445412480
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470) == 10.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412490) == 0.0


@pytest.mark.parametrize(
    ("exc", "retryable"),
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
        (status(403), False),
        (EndpointGoneError("0", status_code=400, body="0", url=URL), False),
        (BlockedError("Cloudflare", status_code=503, url=URL), False),
        (BlockedError("Cloudflare", status_code=429, url=URL), False),
        (PluginError("quota", url=URL), False),
        (TokenLimitError("quota", url=URL), False),
        (ContentFlaggedError("banned", url=URL), False),
        (AccessDeniedError("guests", url=URL), False),
        (PluginError("Message not found in cache.", url=URL, code="cache_miss"), True),
        (ChatPageError("no nonce", url=URL, missing="nonce"), False),
        (BadReplyError("bad", url=URL), False),
        (ValueError("bad input"), False),
    ],
)
def test_what_is_retryable(exc: BaseException, retryable: bool) -> None:
    assert RetryPolicy(max_retries=2).is_retryable(exc, CallState(STATELESS)) is retryable


def test_retryable_statuses_are_the_transient_ones() -> None:
    assert {408, 409, 429, 500, 502, 503, 504} <= RETRYABLE_STATUSES
    assert not RETRYABLE_STATUSES & {400, 401, 403, 404, 405, 410}


@pytest.mark.parametrize(
    "exc",
    [
        # The model's API refused for good (a bad key, a bad model): a re-send meets the same.
        UpstreamError("API Error: bad key (Code: 401)", url=URL, code="upstream_refused"),
        # The old plugin's error mode carries no status to tell transient from final.
        UpstreamError("Incorrect API key provided", url=URL),
    ],
)
def test_upstream_failures_that_a_resend_cannot_cure(exc: UpstreamError) -> None:
    assert not RetryPolicy(max_retries=2).is_retryable(exc, CallState(STATELESS))


def test_nothing_is_retried_once_a_piece_of_the_reply_arrived() -> None:
    policy = RetryPolicy(max_retries=2)
    state = CallState(STATELESS)
    failure = APIConnectionError("reset", url=URL)
    assert policy.is_retryable(failure, state)
    state.replied = True
    assert not policy.is_retryable(failure, state)
    assert not policy.is_retryable(NonceError("expired", url=URL), state)


# --- the tenacity controllers, as the clients run them -----------------------------------------


def attempts_of(failures: list[BaseException]) -> tuple[list[int], Callable[[CallState], str]]:
    """An attempt that raises ``failures`` in turn, then succeeds; and its count of calls.

    Like the clients, an attempt counts its own nonce rejections in the call state.
    """
    made = [0]

    def attempt(state: CallState) -> str:
        made[0] += 1
        if failures:
            exc = failures.pop(0)
            if isinstance(exc, NonceError):
                state.nonce_rejections += 1
            raise exc
        return "ok"

    return made, attempt


@pytest.fixture
def sleeps() -> list[float]:
    """A list for ``run`` to record its waits in."""
    return []


def run(
    policy: RetryPolicy,
    failures: list[BaseException],
    call: PreparedCall = STATELESS,
    sleeps: Optional[list[float]] = None,
) -> int:
    """Run the attempts through tenacity's ``Retrying`` for ``policy``; the attempts made.

    The waits go to ``sleeps``, through tenacity's ``sleep=`` hook: nothing sleeps.
    """
    made, attempt = attempts_of(failures)
    sleep = (sleeps if sleeps is not None else []).append
    assert retrying(policy, sleep=sleep).copy()(attempt, CallState(call)) == "ok"
    return made[0]


def test_async_retrying_makes_the_same_decisions() -> None:
    # tenacity's AsyncRetrying, awaiting the attempts and the waits.
    policy = RetryPolicy(max_retries=1, retry_after_cap=10)
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    def attempts(failures: list[BaseException]) -> Callable[[CallState], Awaitable[str]]:
        _, attempt = attempts_of(failures)

        async def attempt_async(state: CallState) -> str:
            return attempt(state)

        return attempt_async

    async def main() -> None:
        retried: list[BaseException] = [NonceError("x", url=URL), rate_limited(3)]
        controller = async_retrying(policy, sleep=sleep)
        assert await controller.copy()(attempts(retried), CallState(STATELESS)) == "ok"
        failures: list[BaseException] = [status(503)] * 3
        with pytest.raises(APIStatusError):
            await controller.copy()(attempts(failures), CallState(STATELESS))

    asyncio.run(main())
    assert waits[:2] == [0.0, 3.0]
    assert len(waits) == 3  # the budget: one retry for the 503s, on top of the renewed nonce


def test_budget_counts_transient_retries(sleeps: list[float]) -> None:
    policy = RetryPolicy(max_retries=2)
    assert run(policy, [status(503), status(503)], sleeps=sleeps) == 3
    failures: list[BaseException] = [status(503), status(503), status(503)]
    with pytest.raises(APIStatusError):
        run(policy, failures, sleeps=sleeps)
    assert not failures  # three attempts, the third one's error raised as is
    assert len(sleeps) == 4


def test_nonce_is_retried_once_even_without_retries(sleeps: list[float]) -> None:
    policy = RetryPolicy(max_retries=0)
    assert run(policy, [NonceError("expired", url=URL)], sleeps=sleeps) == 2
    assert sleeps == [0.0]
    failures: list[BaseException] = [NonceError("expired", url=URL)] * 2
    with pytest.raises(NonceError):
        run(policy, failures, sleeps=sleeps)
    assert not failures
    failures = [NonceError("expired", url=URL), status(503)]
    with pytest.raises(APIStatusError):
        run(policy, failures, sleeps=sleeps)
    assert not failures


def test_a_renewed_nonce_does_not_use_up_the_retry_budget() -> None:
    policy = RetryPolicy(max_retries=2)
    assert run(policy, [NonceError("expired", url=URL), status(503), status(503)]) == 4


def test_upstream_failure_retried_for_stateless_calls_only(sleeps: list[float]) -> None:
    policy = RetryPolicy(max_retries=1)
    upstream = UpstreamError("Connection Error: timed out", url=URL, code="upstream")
    assert run(policy, [upstream]) == 2
    # A conversation the server holds would record the turn twice: raised at once, no wait.
    failures: list[BaseException] = [upstream]
    with pytest.raises(UpstreamError):
        run(policy, failures, NATIVE, sleeps=sleeps)
    assert sleeps == []


def test_no_retry_starts_after_the_time_budget(sleeps: list[float]) -> None:
    failures: list[BaseException] = [status(503)]
    with pytest.raises(APIStatusError):
        run(RetryPolicy(max_retries=5, time_budget=0.0), failures, sleeps=sleeps)
    assert sleeps == []


def test_retry_after_is_honoured_and_capped_and_nonce_waits_nothing(
    sleeps: list[float],
) -> None:
    policy = RetryPolicy(max_retries=3, retry_after_cap=10)
    assert policy.wait_override(rate_limited(3)) == 3
    assert policy.wait_override(rate_limited(None)) is None
    assert policy.wait_override(NonceError("x", url=URL)) == 0.0
    assert policy.wait_override(rate_limited(25)) == 10
    assert not policy.is_retryable(rate_limited(25), CallState(STATELESS))
    assert (
        run(policy, [rate_limited(3), NonceError("x", url=URL), rate_limited(10)], sleeps=sleeps)
        == 4
    )
    assert sleeps == [3.0, 0.0, 10.0]


def test_retry_after_on_a_server_error_is_honoured_too(sleeps: list[float]) -> None:
    policy = RetryPolicy(max_retries=2, retry_after_cap=10)
    busy = status(503, retry_after=2.0)
    assert policy.is_retryable(busy, CallState(STATELESS))
    assert run(policy, [busy], sleeps=sleeps) == 2
    assert sleeps == [2.0]
    assert not policy.is_retryable(status(503, retry_after=600.0), CallState(STATELESS))


def backoffs(policy: RetryPolicy, retries: int) -> list[float]:
    sleeps: list[float] = []
    run(policy, [status(503) for _ in range(retries)], sleeps=sleeps)
    return sleeps


def test_backoff_doubles_with_jitter() -> None:
    policy = RetryPolicy(max_retries=5, backoff_initial=0.5, backoff_max=4.0)
    for _ in range(20):
        waits = backoffs(policy, 5)
        # The exponential part: 0.25, 0.5, 1, 2, then capped at 3.75 so that the jitter
        # (up to 0.25) never takes a wait past backoff_max.
        for wait, base in zip(waits, [0.25, 0.5, 1.0, 2.0, 3.75]):
            assert base <= wait <= base + 0.25
    first = {backoffs(policy, 1)[0] for _ in range(20)}
    assert len(first) > 1  # jittered, so clients failing together do not retry together


def test_backoff_never_exceeds_backoff_max() -> None:
    policy = RetryPolicy(max_retries=10, backoff_initial=2.0, backoff_max=4.0)
    waits = [wait for _ in range(10) for wait in backoffs(policy, 10)]
    assert max(waits) <= policy.backoff_max
