"""The server's connections to the site: many small httpcore pools instead of one large one.

httpcore's pool re-examines every connection it holds whenever a request starts or ends, and
each idle one costs two system calls there (is it still open?) and a scan of the whole pool
(how many are idle?). With the hundreds of connections a busy server holds, that scan was
about 40 % of the server's CPU. Split into pools of ``SHARD_CONNECTIONS``, each request pays
only for its own pool's. httpx has no such transport, so it is written here.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Callable

import httpx

__all__ = ["SHARD_CONNECTIONS", "ShardedTransport"]

SHARD_CONNECTIONS = 16
"""Connections per pool: enough that a pool rarely queues, few enough that its scans are cheap."""


class ShardedTransport(httpx.AsyncBaseTransport):
    """httpx transports of ``SHARD_CONNECTIONS`` connections each, ``max_connections`` in all;
    each request goes to the one with the fewest requests open (a streamed response stays
    open until it is closed).

    Example::

        httpx.AsyncClient(transport=ShardedTransport(512))
    """

    def __init__(self, max_connections: int, *, trust_env: bool = True) -> None:
        shards = max(1, -(-max_connections // SHARD_CONNECTIONS))
        size = -(-max_connections // shards)
        limits = httpx.Limits(max_connections=size, max_keepalive_connections=size)
        tls = httpx.create_ssl_context(trust_env=trust_env)  # one for all: each holds the CAs
        self._pools = [
            httpx.AsyncHTTPTransport(verify=tls, trust_env=trust_env, limits=limits)
            for _ in range(shards)
        ]
        self._open = [0] * shards

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        shard = self._open.index(min(self._open))
        self._open[shard] += 1
        try:
            response = await self._pools[shard].handle_async_request(request)
        except BaseException:
            self._open[shard] -= 1
            raise
        stream = response.stream
        assert isinstance(stream, httpx.AsyncByteStream)
        response.stream = _Counted(stream, lambda: self._done(shard))
        return response

    @property
    def open_requests(self) -> tuple[int, ...]:
        """How many requests each pool has open now (a streamed one until its body is closed)."""
        return tuple(self._open)

    def _done(self, shard: int) -> None:
        self._open[shard] -= 1

    async def aclose(self) -> None:
        for pool in self._pools:
            await pool.aclose()


class _Counted(httpx.AsyncByteStream):
    """A response body that calls ``done`` once, when it is closed."""

    def __init__(self, stream: httpx.AsyncByteStream, done: Callable[[], None]) -> None:
        self._stream = stream
        self._done: Callable[[], None] | None = done

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._stream:
            yield chunk

    async def aclose(self) -> None:
        done, self._done = self._done, None
        try:
            await self._stream.aclose()
        finally:
            if done is not None:
                done()
