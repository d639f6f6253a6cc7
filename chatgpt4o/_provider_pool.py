"""The provider's clients: one pooled AsyncClient per event loop and site, nonces per site.

gpt4free calls the provider's class methods, so the provider keeps its clients here: each event
loop gets its own (an httpx pool belongs to one loop), held weakly by the loop and bounded, and
all loops share the nonce cache of a site, so a fresh loop does not read the page again.

A loop's clients are closed when the loop shuts down: each loop gets a small async generator
parked at its first ``yield``, which ``loop.shutdown_asyncgens()`` (run by ``asyncio.run``)
closes, running its ``finally``. asyncio has no other hook at a loop's end.
"""

from __future__ import annotations

import asyncio
import os
import threading
import weakref
from collections import OrderedDict
from collections.abc import AsyncGenerator, Awaitable, Mapping
from typing import Optional

from ._async_client import AsyncClient
from ._config import resolve_settings
from ._nonce_cache import NonceCache

__all__ = ["ClientPools"]

_PoolKey = tuple[str, Optional[str], frozenset[tuple[str, str]]]
_CacheKey = tuple[str, frozenset[tuple[str, str]]]

MAX_CLIENTS_PER_LOOP = 8
MAX_TOKEN_CACHES = 64


class ClientPools:
    """Pooled clients per event loop and (site, proxy, cookies); nonce caches per site and cookies.

    Example::

        pools = ClientPools()
        client = pools.client(None, None, None)   # in a running loop: the same one each time
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loops: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, OrderedDict[_PoolKey, AsyncClient]
        ] = weakref.WeakKeyDictionary()
        self._caches: OrderedDict[_CacheKey, NonceCache] = OrderedDict()
        self._closers: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, AsyncGenerator[None, None]
        ] = weakref.WeakKeyDictionary()
        self._tasks: set[asyncio.Task[None]] = set()

    def client(
        self,
        base_url: Optional[str],
        proxy: Optional[str],
        cookies: Optional[Mapping[str, str]],
    ) -> AsyncClient:
        """The running loop's client for this site, proxy and cookies (made on first use)."""
        loop = asyncio.get_running_loop()
        # Keyed by what the environment says now: $CHATGPT4O_BASE_URL may change in a process.
        settings = resolve_settings(base_url=base_url, proxy=proxy, env=os.environ)
        base_url, proxy = settings.base_url, settings.proxy
        jar = frozenset((cookies or {}).items())
        key: _PoolKey = (base_url, proxy, jar)
        with self._lock:
            clients = self._loops.get(loop)
            if clients is None:
                clients = self._loops[loop] = OrderedDict()
                self._watch(loop, clients)
            client = clients.get(key)
            if client is not None and not client.is_closed:
                clients.move_to_end(key)
                return client
        # Validates the arguments (a bad proxy raises here) before anything is pooled.
        client = AsyncClient(
            base_url, proxy=proxy, cookies=cookies, nonce_cache=self._cache(base_url, jar)
        )
        with self._lock:
            clients[key] = client
            while len(clients) > MAX_CLIENTS_PER_LOOP:
                _, evicted = clients.popitem(last=False)
                self._background(loop, evicted.aclose())
        return client

    def _watch(
        self, loop: asyncio.AbstractEventLoop, clients: OrderedDict[_PoolKey, AsyncClient]
    ) -> None:
        closer = _close_at_shutdown(clients)
        self._closers[loop] = closer
        self._background(loop, closer.__anext__())

    def _background(self, loop: asyncio.AbstractEventLoop, work: Awaitable[object]) -> None:
        async def run() -> None:
            await work

        task = loop.create_task(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def close_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        """Close and forget every client of ``loop`` (before the loop itself closes)."""
        with self._lock:
            clients = self._loops.pop(loop, OrderedDict())
            self._closers.pop(loop, None)
        for client in clients.values():
            await client.aclose()

    def _cache(self, base_url: str, jar: frozenset[tuple[str, str]]) -> NonceCache:
        # A login cookie changes the nonce, so each cookie set gets its own nonce cache.
        key: _CacheKey = (base_url, jar)
        with self._lock:
            cache = self._caches.get(key)
            if cache is None:
                cache = self._caches[key] = NonceCache()
                while len(self._caches) > MAX_TOKEN_CACHES:
                    self._caches.popitem(last=False)
            self._caches.move_to_end(key)
        return cache


async def _close_at_shutdown(
    clients: OrderedDict[_PoolKey, AsyncClient],
) -> AsyncGenerator[None, None]:
    try:
        yield
    finally:
        for client in list(clients.values()):
            await client.aclose()
