"""The nonce and ids a client keeps: an age-limited cache, rejection, and how to renew them.

Renewal is a generator the transports drive (see ``renew_steps``): after the current plugin
rejects a nonce it asks the site's refresh action for a new one, one small JSON request; where
the site has no such action, and for the old plugin, it reads the page again.
"""

from __future__ import annotations

import asyncio
import threading
import time
import weakref
from collections.abc import Generator
from dataclasses import dataclass, replace
from typing import Callable, Optional

from . import _aipkit
from ._constants import MAX_PAGE_BYTES, NONCE_MAX_AGE
from ._http import Reply, Request
from ._page import Page, extract_page
from ._status import raise_for_status

__all__ = [
    "NonceCache",
    "NonceCacheState",
    "RenewSteps",
    "page_request",
    "read_page",
    "renew_steps",
]

RenewSteps = Generator[Request, Reply, Page]


@dataclass(frozen=True)
class NonceCacheState:
    """What a ``NonceCache`` holds, as ``NonceCache.state()`` gives and ``restore()`` takes it.

    Attributes:
        page: the page's chats (nonce, ids, AJAX URL of each).
        fetched_at: when the page was read, in seconds of the cache's clock.
        rejected: whether the site rejected the page's nonce.
        refresh_supported: False once the site answered the nonce refresh action with 400
            ``0`` (it then only gets page fetches).
    """

    page: Page
    fetched_at: float
    rejected: bool = False
    refresh_supported: bool = True


class NonceCache:
    """The nonce, ids and AJAX URL of each chat of one site, shared by the clients given it.

    Every client makes its own by default. Pass one to several clients of the same site (and
    the same cookies: a login cookie changes the nonce) so that they read the page once::

        cache = chatgpt4o.NonceCache()
        sync_client = chatgpt4o.Client(url, nonce_cache=cache)
        async_client = chatgpt4o.AsyncClient(url, nonce_cache=cache)

    A page is trusted for ``max_age`` seconds and renewed at once when the site rejects the
    nonce. Renewals are single-flight: callers take ``thread_lock`` (threads) or
    ``async_lock()`` (tasks of one event loop), call ``fresh()`` again, and only then renew.

    To keep them elsewhere too (``DiskNonceCache`` keeps them in a file), subclass and
    override ``persist()``, which is called after every change; load kept ones with
    ``restore()``, take a snapshot with ``state()``, forget them with ``clear()``.

    Args:
        max_age: seconds a page's nonce and ids are trusted.
        clock: monotonic seconds (tests pass a fake). A page whose ``fetched_at`` is later
            than the clock's time is treated as too old.
    """

    def __init__(
        self, max_age: float = NONCE_MAX_AGE, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.max_age = max_age
        self._clock = clock
        self._state: Optional[NonceCacheState] = None
        self.thread_lock = threading.Lock()
        self._async_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )

    def fresh(self) -> Optional[Page]:
        """The cached page if it is younger than ``max_age`` and its nonce was not rejected."""
        state = self._state
        return state.page if state and not state.rejected and self._young(state) else None

    def rejected(self) -> Optional[Page]:
        """The cached page whose nonce the site rejected, while its ids are young."""
        state = self._state
        return state.page if state and state.rejected and self._young(state) else None

    @property
    def nonce_rejected(self) -> bool:
        """Whether the site rejected the cached page's nonce, however old the page is (the next
        page fetch must get past any page cache, or it may serve the same nonce again)."""
        return self._state is not None and self._state.rejected

    @property
    def refresh_supported(self) -> bool:
        """False once the site answered the nonce refresh action with 400 ``0``; it then only
        gets page fetches."""
        return self._state is None or self._state.refresh_supported

    def refresh_unsupported(self) -> None:
        """Remember that the site answered the nonce refresh action with 400 ``0``."""
        if self._state is not None:
            self._set(replace(self._state, refresh_supported=False))

    def put(self, page: Page) -> None:
        """Cache a freshly read page."""
        self._set(NonceCacheState(page, self._clock(), refresh_supported=self.refresh_supported))

    def renewed(self, page: Page) -> None:
        """Cache ``page`` with a refreshed nonce; its ids keep their age."""
        state = self._state
        fetched_at = state.fetched_at if state else self._clock()
        self._set(NonceCacheState(page, fetched_at, refresh_supported=self.refresh_supported))

    def reject(self, page: Page) -> None:
        """Mark ``page``'s nonce as rejected by the site, unless a newer page replaced it."""
        if self._state is not None and self._state.page is page:
            self._set(replace(self._state, rejected=True))

    def state(self) -> Optional[NonceCacheState]:
        """A snapshot of the cached page, however old; None when no page is cached."""
        return self._state

    def restore(self, state: NonceCacheState) -> None:
        """Load a page kept elsewhere (``fetched_at`` in the cache's clock); no ``persist()``."""
        self._state = state

    def clear(self) -> None:
        """Forget the cached page, and that the site lacks the nonce refresh action."""
        self._set(None)

    def persist(self, state: Optional[NonceCacheState]) -> None:
        """Called with ``state()`` after every change (None after ``clear()``); a no-op here,
        ``DiskNonceCache`` writes a file."""

    def async_lock(self) -> asyncio.Lock:
        """The renewal lock for the running event loop (asyncio locks belong to one loop)."""
        loop = asyncio.get_running_loop()
        with self.thread_lock:
            lock = self._async_locks.get(loop)
            if lock is None:
                lock = self._async_locks[loop] = asyncio.Lock()
        return lock

    def _set(self, state: Optional[NonceCacheState]) -> None:
        self._state = state
        self.persist(state)

    def _young(self, state: NonceCacheState) -> bool:
        # A clock set back (or a file from the future) proves nothing about the page's age.
        return 0 <= self._clock() - state.fetched_at < self.max_age


def page_request(base_url: str, *, bust_cache: bool) -> Request:
    """The GET of the chat page (after a rejected nonce, past any page cache)."""
    params = {"nocache": str(int(time.time()))} if bust_cache else {}
    return Request(
        "GET", base_url, reader="page", limit=MAX_PAGE_BYTES, params=params, follow_redirects=True
    )


def read_page(reply: Reply) -> Page:
    """Check the page GET's reply and return the chats it carries.

    Raises:
        BlockedError, RateLimitError, APIStatusError: the page did not come back as 200.
        ChatPageError and subclasses: see ``extract_page``.
    """
    raise_for_status(reply, action="page")
    return extract_page(reply.text, reply.url, link_header=reply.headers.get("link"))


def renew_steps(store: NonceCache, base_url: str) -> RenewSteps:
    """The requests that renew the store's nonce; returns the page to use and caches it.

    Call with the store's lock held, after ``fresh()`` said None.
    """
    stale = store.rejected()
    if stale is not None and stale.generation == "aipkit" and store.refresh_supported:
        nonce = _aipkit.read_refreshed_nonce((yield _aipkit.refresh_request(stale.chats[0])))
        if nonce is not None:
            page = replace(stale, chats=tuple(replace(chat, nonce=nonce) for chat in stale.chats))
            store.renewed(page)
            return page
        store.refresh_unsupported()
    page = read_page((yield page_request(base_url, bust_cache=store.nonce_rejected)))
    store.put(page)
    return page
