"""One runner drives the same script on Client or AsyncClient against a running LocalSite.

A script is a sequence of steps: a ``str`` or a message list is sent with ``create()``; a
callable is applied to the site between calls (``LocalSite.rotate_nonce``, ``advance_clock``...).
The outcome of each call is its reply text, or the ``Chatgpt4oError`` it raised. Retry sleeps
are recorded, never slept.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Callable, Union

import chatgpt4o
from chatgpt4o.testing import LocalSite, RecordedRequest, recorded_sleeps

KINDS = ("sync", "async")

Call = Union[str, list[dict[str, str]]]
Step = Union[Call, Callable[[LocalSite], object]]
Outcome = Union[str, chatgpt4o.Chatgpt4oError]
MakeSite = Callable[..., LocalSite]
"""The ``make_site`` fixture: ``make_site(profile="1.9.18", *, stream=False)``."""

# Small, so a test that goes wrong fails fast instead of hanging; faults that need a timeout
# pass a smaller one.
DEFAULT_TIMEOUT = 5.0
# The stand-in speaks plain HTTP, so TLS verification never applies; turning it off spares each
# httpx client loading the CA bundle (about 50 ms, most of an async test's time).
CLIENT_DEFAULTS = {"timeout": DEFAULT_TIMEOUT, "verify": False}


class Between:
    """Equal to any number in ``[low, high]`` (for jittered backoffs and HTTP-date waits)."""

    def __init__(self, low: float, high: float) -> None:
        self.low = low
        self.high = high

    def __eq__(self, other: object) -> bool:
        return isinstance(other, (int, float)) and self.low <= other <= self.high

    def __hash__(self) -> int:
        return hash((self.low, self.high))

    def __repr__(self) -> str:
        return f"Between({self.low}, {self.high})"


# The clients' backoff: 0.25 s doubling, plus up to 0.25 s of jitter (README).
BACKOFF_1 = Between(0.25, 0.5)
BACKOFF_2 = Between(0.5, 1.0)


@dataclass
class Runner:
    """Runs scripts on the sync (``Client``) or async (``AsyncClient``) client; same interface.

    ``call`` holds extra arguments for every call of a script (``timeout=``...).
    """

    kind: str
    sleeps: list[float] = field(default_factory=list)
    call: dict[str, Any] = field(default_factory=dict)

    def run(self, site: LocalSite, *script: Step, **client_kwargs: Any) -> list[Outcome]:
        """Run ``script`` on one fresh client for ``site``; return each call's outcome."""
        kwargs: dict[str, Any] = {**CLIENT_DEFAULTS, **client_kwargs}
        with self._recording():
            if self.kind == "sync":
                return self._run_sync(site, script, kwargs)
            return asyncio.run(self._run_async(site, script, kwargs))

    def one(self, site: LocalSite, call: Call, **client_kwargs: Any) -> Outcome:
        """Send one call on a fresh client; return its outcome."""
        (outcome,) = self.run(site, call, **client_kwargs)
        return outcome

    def concurrent(
        self, site: LocalSite, calls: Sequence[Call], **client_kwargs: Any
    ) -> list[Outcome]:
        """Send ``calls`` at once on one client (a thread each, or one task each)."""
        kwargs: dict[str, Any] = {**CLIENT_DEFAULTS, **client_kwargs}
        with self._recording():
            if self.kind == "sync":
                return self._concurrent_sync(site, calls, kwargs)
            return asyncio.run(self._concurrent_async(site, calls, kwargs))

    @contextlib.contextmanager
    def _recording(self) -> Iterator[None]:
        with recorded_sleeps() as sleeps:
            try:
                yield
            finally:
                self.sleeps.extend(sleeps)

    def _run_sync(
        self, site: LocalSite, script: Sequence[Step], kwargs: dict[str, Any]
    ) -> list[Outcome]:
        outcomes: list[Outcome] = []
        with chatgpt4o.Client(site.url, **kwargs) as client:
            for step in script:
                if callable(step):
                    step(site)
                    continue
                try:
                    outcomes.append(self._call_sync(client, step))
                except chatgpt4o.Chatgpt4oError as exc:
                    outcomes.append(exc)
        return outcomes

    def _call_sync(self, client: chatgpt4o.Client, message: Any) -> Outcome:
        """One call of the script; subclasses send it another way."""
        return client.create(None, message, **self.call)

    async def _call_async(self, client: chatgpt4o.AsyncClient, message: Any) -> Outcome:
        """One call of the script; subclasses send it another way."""
        return await client.create(None, message, **self.call)

    async def _run_async(
        self, site: LocalSite, script: Sequence[Step], kwargs: dict[str, Any]
    ) -> list[Outcome]:
        outcomes: list[Outcome] = []
        async with chatgpt4o.AsyncClient(site.url, **kwargs) as client:
            for step in script:
                if callable(step):
                    step(site)
                    continue
                try:
                    outcomes.append(await self._call_async(client, step))
                except chatgpt4o.Chatgpt4oError as exc:
                    outcomes.append(exc)
        return outcomes

    def _concurrent_sync(
        self, site: LocalSite, calls: Sequence[Call], kwargs: dict[str, Any]
    ) -> list[Outcome]:
        outcomes: list[Outcome] = ["(not run)"] * len(calls)
        barrier = threading.Barrier(len(calls))
        errors: list[BaseException] = []

        with chatgpt4o.Client(site.url, **kwargs) as client:

            def work(index: int) -> None:
                try:
                    barrier.wait(timeout=10)
                    outcomes[index] = client.create(None, calls[index])
                except chatgpt4o.Chatgpt4oError as exc:
                    outcomes[index] = exc
                except BaseException as exc:  # surfaced below, not lost in the thread
                    errors.append(exc)

            threads = [threading.Thread(target=work, args=(i,)) for i in range(len(calls))]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=30)
        assert not errors, errors
        return outcomes

    async def _concurrent_async(
        self, site: LocalSite, calls: Sequence[Call], kwargs: dict[str, Any]
    ) -> list[Outcome]:
        async with chatgpt4o.AsyncClient(site.url, **kwargs) as client:
            results = await asyncio.gather(
                *(client.create(None, call) for call in calls), return_exceptions=True
            )
        outcomes: list[Outcome] = []
        for result in results:
            if isinstance(result, (chatgpt4o.Chatgpt4oError, str)):
                outcomes.append(result)
            else:
                raise AssertionError(f"unexpected outcome {result!r}")
        return outcomes


def rotate_nonce(site: LocalSite) -> None:
    """Change the site's nonce key, as an admin or a security plugin does: old nonces die."""
    site.rotate_nonce()


def expire_nonce(site: LocalSite) -> None:
    """Move the site's clock a whole nonce life on: nonces made before are past their 12-24 h."""
    site.advance_clock(site.nonce_life)


def page_gets(site: LocalSite) -> list[RecordedRequest]:
    """The chat page fetches the site recorded, oldest first."""
    return [r for r in site.requests if r.method == "GET" and r.path == "/"]
