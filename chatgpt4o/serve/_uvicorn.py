"""How ``serve`` runs under uvicorn: its Config, with guards against idle and slow connections.

uvicorn closes a connection that sits idle *after* a response (``timeout_keep_alive``), but not
one that never sends a request, nor one that sends its headers a byte at a time, and it never
caps how many connections it holds open (``limit_concurrency`` answers 503 to requests over the
limit, but keeps their connections). So a few clients holding idle connections used to run the
process out of file descriptors before any request was authenticated. The protocol class here
adds, to whichever HTTP parser uvicorn picks, the two guards it lacks: a deadline for a
request's headers, and a cap on open connections that closes the one that has waited longest
for its headers (an idle one, never one whose request is being answered).
"""

from __future__ import annotations

import asyncio
import signal
from types import FrameType
from typing import Any, Optional

import uvicorn
from uvicorn.protocols.http.auto import AutoHTTPProtocol

from chatgpt4o._constants import (
    SERVE_HEADER_TIMEOUT,
    SERVE_KEEP_ALIVE_TIMEOUT,
    SERVE_MAX_CONNECTIONS,
)

__all__ = [
    "guarded_protocol",
    "uvicorn_config",
]


def guarded_protocol(
    header_timeout: float, max_connections: int, base: Any = AutoHTTPProtocol
) -> type[asyncio.Protocol]:
    """uvicorn's HTTP protocol class ``base``, with a header deadline and a connection cap.

    Each call makes a new class, whose connections share one queue of those waiting for
    headers; give it to one server (``uvicorn.Config(http=...)``).

    Example::

        uvicorn.Config(app, http=guarded_protocol(10.0, 512))
    """
    # Connections waiting for request headers, oldest first (a dict keeps insertion order).
    waiting: dict[Any, None] = {}

    class GuardedProtocol(base):  # type: ignore[misc]
        _header_timer: Optional[asyncio.TimerHandle] = None

        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            super().connection_made(transport)
            self._wait_for_headers()
            if len(self.connections) > max_connections:
                oldest = next(iter(waiting))
                oldest.transport.close()
                oldest._headers_arrived()

        def data_received(self, data: bytes) -> None:
            super().data_received(data)
            if self._header_timer is not None and not self._between_requests():
                self._headers_arrived()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if not self.transport.is_closing() and self._between_requests():
                self._wait_for_headers()

        def connection_lost(self, exc: Optional[Exception]) -> None:
            self._headers_arrived()
            super().connection_lost(exc)

        def _between_requests(self) -> bool:
            cycle = self.cycle
            return cycle is None or bool(cycle.response_complete)

        def _wait_for_headers(self) -> None:
            self._headers_arrived()
            loop = asyncio.get_running_loop()
            self._header_timer = loop.call_later(header_timeout, self._headers_too_late)
            waiting[self] = None

        def _headers_arrived(self) -> None:
            if self._header_timer is not None:
                self._header_timer.cancel()
                self._header_timer = None
            waiting.pop(self, None)

        def _headers_too_late(self) -> None:
            self._header_timer = None
            waiting.pop(self, None)
            if self._between_requests():
                self.transport.close()

    return GuardedProtocol


class Server(uvicorn.Server):
    """uvicorn's server, remembering whether Ctrl-C stopped it.

    uvicorn 0.29+ re-raises the KeyboardInterrupt after a graceful shutdown; older releases
    (the last for Python 3.9) return normally, so the signal is noted as it arrives.
    """

    interrupted = False

    def handle_exit(self, sig: int, frame: Optional[FrameType]) -> None:
        self.interrupted = self.interrupted or sig == signal.SIGINT
        super().handle_exit(sig, frame)


def uvicorn_config(
    app: Any,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    header_timeout: float = SERVE_HEADER_TIMEOUT,
    keep_alive_timeout: float = SERVE_KEEP_ALIVE_TIMEOUT,
    max_connections: int = SERVE_MAX_CONNECTIONS,
    log_level: str = "info",
    access_log: bool = True,
) -> uvicorn.Config:
    """The uvicorn Config ``chatgpt4o serve`` runs ``app`` with.

    Example::

        uvicorn.Server(uvicorn_config(create_app(), port=8000)).run()

    Args:
        app: the ASGI app.
        host: the address to listen on (unused when the server is handed sockets).
        port: the port to listen on.
        header_timeout: seconds for a request's headers to arrive, from the connection's
            opening or the end of the previous response; then it is closed.
        keep_alive_timeout: seconds an idle connection stays open after a response.
        max_connections: connections held open at once; the one that has waited longest for
            its headers is closed to make room.
        log_level: uvicorn's log level.
        access_log: one log line per request.
    """
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        http=guarded_protocol(header_timeout, max_connections),
        timeout_keep_alive=keep_alive_timeout,  # type: ignore[arg-type]
        log_level=log_level,
        access_log=access_log,
        lifespan="on",
        server_header=False,
    )
