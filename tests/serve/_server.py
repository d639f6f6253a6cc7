"""A real uvicorn server on 127.0.0.1 (port 0) in a background thread, for the serve tests."""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
import time
from collections.abc import Coroutine
from types import TracebackType
from typing import Any, Optional, TypeVar

import uvicorn
from starlette.applications import Starlette

from chatgpt4o.serve import ServerState
from chatgpt4o.serve._cli import listen
from chatgpt4o.serve._uvicorn import uvicorn_config

_T = TypeVar("_T")
_START_WAIT = 30.0  # a guard against a hung start, not a performance limit


class ServerThread:
    """Serves ``app`` with uvicorn on its own event loop in a daemon thread.

    Example::

        with ServerThread(create_app(site.url)) as server:
            OpenAI(base_url=server.url + "/v1", api_key="-")

    Attributes:
        url: ``http://127.0.0.1:<port>``.
        loop: the server's event loop (for ``call()``).
    """

    def __init__(self, app: Starlette, **options: Any) -> None:
        """``options`` go to ``uvicorn_config`` (``header_timeout``, ``max_connections``, ...)."""
        self.app = app
        self._sock = listen("127.0.0.1", 0)
        self.port = int(self._sock.getsockname()[1])
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn_config(app, log_level="warning", access_log=False, **options)
        self.server = uvicorn.Server(config)
        self.loop: Optional[asyncio.AbstractEventLoop] = None
        self._baseline: set[asyncio.Task[Any]] = set()
        self._error: Optional[BaseException] = None
        self._thread = threading.Thread(target=self._run, name="serve-test", daemon=True)

    @property
    def state(self) -> ServerState:
        """The app's shared state (``app.state.chatgpt4o``)."""
        state: ServerState = self.app.state.chatgpt4o
        return state

    def _run(self) -> None:
        async def serve() -> None:
            self.loop = asyncio.get_running_loop()
            await self.server.serve(sockets=[self._sock])

        try:
            asyncio.run(serve())
        except BaseException as exc:  # reported by start()/stop()
            self._error = exc

    def start(self) -> ServerThread:
        self._thread.start()
        deadline = time.monotonic() + _START_WAIT
        while not self.server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the server did not start: {self._error!r}")
            time.sleep(0.005)

        async def snapshot() -> set[asyncio.Task[Any]]:
            return asyncio.all_tasks() - {asyncio.current_task()}

        self._baseline = self.call(snapshot())
        return self

    def call(self, coro: Coroutine[Any, Any, _T]) -> _T:
        """Run ``coro`` on the server's loop and return its result."""
        assert self.loop is not None
        future: concurrent.futures.Future[_T] = asyncio.run_coroutine_threadsafe(coro, self.loop)
        return future.result(_START_WAIT)

    def open_connections(self) -> int:
        """Client connections uvicorn holds open right now."""
        return len(self.server.server_state.connections)

    def other_tasks(self) -> int:
        """Tasks on the server's loop besides those it had once started (serve, lifespan)."""

        async def count() -> int:
            return len(asyncio.all_tasks() - self._baseline - {asyncio.current_task()})

        return self.call(count())

    def stop(self) -> None:
        self.server.should_exit = True
        self._thread.join(_START_WAIT)
        self._sock.close()

    def __enter__(self) -> ServerThread:
        return self.start()

    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.stop()
