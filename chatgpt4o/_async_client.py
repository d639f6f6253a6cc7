"""AsyncClient: the asynchronous transport (httpx) around the shared core; mirrors _client."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import ssl
import time
from collections.abc import AsyncIterator, Awaitable, Iterator, Mapping
from functools import cached_property
from types import TracebackType
from typing import Any, Callable, Optional, TypeVar, Union

import httpx
import tenacity

from ._base import BaseClient, ByteCounter, OpenedStream, PreparedCall, log, lower_headers
from ._constants import MAX_PAGE_BYTES, MAX_REPLY_BYTES
from ._conversation import AsyncConversation, ConversationState
from ._exceptions import (
    APIConnectionError,
    APITimeoutError,
    BadReplyError,
    InvalidRequestTypeError,
)
from ._messages import Messages
from ._page import PageTokens
from ._protocol import HttpReply, interpret_page
from ._resources import AsyncChat
from ._retry import tenacity_options

__all__ = ["AsyncClient", "AsyncStream"]

_T = TypeVar("_T")


class AsyncStream(AsyncIterator[str]):
    """The pieces of one streamed reply, as the site sends them.

    Iterate it (no ``await`` first), or use it as an async context manager so the connection
    is released even when you stop early::

        async with client.stream(None, "Tell me a story") as stream:
            async for piece in stream:
                print(piece, end="", flush=True)
    """

    def __init__(self, pieces: AsyncIterator[str]) -> None:
        self._pieces = pieces

    def __aiter__(self) -> AsyncStream:
        return self

    async def __anext__(self) -> str:
        return await self._pieces.__anext__()

    async def aclose(self) -> None:
        """Stop reading and release the connection."""
        aclose = getattr(self._pieces, "aclose", None)
        if aclose is not None:
            await aclose()

    async def __aenter__(self) -> AsyncStream:
        return self

    async def __aexit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        await self.aclose()


class AsyncClient(BaseClient):
    """Chat with an AI Power site from asyncio code.

    Example::

        async with chatgpt4o.AsyncClient() as client:
            print(await client.ask("Say hi in French"))

    Args:
        base_url: the site's chat page; default ``$CHATGPT4O_BASE_URL`` or chatgpt4o.one.
        timeout: seconds to connect and for each read; default ``$CHATGPT4O_TIMEOUT`` or 120.
        max_retries: retries for transient failures; default ``$CHATGPT4O_MAX_RETRIES`` or 2.
        proxy: e.g. ``"http://user:pass@host:8080"``; default ``$CHATGPT4O_PROXY``.
        cookies: cookies to send, to the site's host only.
        headers: extra or replacement request headers.
        verify: verify TLS certificates (leave on unless you know why).
        http_client: an ``httpx.AsyncClient`` to use instead of a new one; it keeps its own proxy
            and TLS settings, and is not closed by us.
        sleep: how to wait between retries (tests pass a fake); default ``asyncio.sleep``.
    """

    def __init__(
        self,
        base_url: Optional[str] = None,
        *,
        timeout: Union[float, int, None] = None,
        max_retries: Optional[int] = None,
        proxy: Optional[str] = None,
        cookies: Optional[Mapping[str, str]] = None,
        headers: Optional[Mapping[str, str]] = None,
        verify: bool = True,
        http_client: Optional[httpx.AsyncClient] = None,
        sleep: Optional[Callable[[float], Awaitable[None]]] = None,
    ) -> None:
        super().__init__(
            base_url,
            timeout=timeout,
            max_retries=max_retries,
            proxy=proxy,
            cookies=cookies,
            headers=headers,
            verify=verify,
        )
        if http_client is not None and not isinstance(http_client, httpx.AsyncClient):
            raise InvalidRequestTypeError(
                f"http_client: expected an httpx.AsyncClient, got {type(http_client).__name__}"
            )
        self._owns_http = http_client is None
        self._http = http_client or _new_session(self.settings.verify, self.settings.proxy)
        for name, value in self._cookies.items():
            self._http.cookies.set(name, value, domain=self._host)
        self._sleep = sleep or asyncio.sleep

    async def create(self, model: Optional[str], messages: Messages, **options: Any) -> str:
        """Send ``messages`` and return the reply text (a streamed reply is joined).

        Example::

            await client.create("gpt-4o-mini", [{"role": "user", "content": "Hi"}])

        Args:
            model: a model name or alias (None for the default); the site runs its own model.
            messages: a list of ``{"role", "content"}`` dicts, or a str prompt.
            options: ``bot_id`` (int) selects a custom bot defined on the site.

        Raises:
            InvalidRequestError: bad input, before any request is made.
            Chatgpt4oError: its subclasses, after retries, for everything the site did wrong.
        """
        return await self._complete(self._prepare(model, messages, options))

    async def ask(self, prompt: str, *, model: Optional[str] = None) -> str:
        """Send one user message and return the reply text.

        Example::

            await client.ask("What is the capital of France?")
        """
        return await self.create(model, prompt)

    def stream(self, model: Optional[str], messages: Messages, **options: Any) -> AsyncStream:
        """Send ``messages`` and return the reply's text pieces as they arrive.

        Bad input raises here, at once; the request starts when you iterate. Failures are
        retried until the first piece arrives; after that they raise. A site that does not
        stream gives its whole reply as one piece.

        Example::

            async with client.stream(None, "Count to five") as stream:
                async for piece in stream:
                    print(piece, end="")
        """
        return AsyncStream(self._stream(self._prepare(model, messages, options)))

    @cached_property
    def chat(self) -> AsyncChat:
        """OpenAI-style chat: ``await client.chat.completions.create(model=..., messages=...)``."""
        return AsyncChat(self)

    def conversation(
        self,
        model: Optional[str] = None,
        system: Optional[str] = None,
        *,
        history: str = "prompt",
        turns: Optional[list[Mapping[str, str]]] = None,
    ) -> AsyncConversation:
        """Start (or restore, from ``to_dict()`` data) a conversation that keeps its turns.

        Example::

            chat = client.conversation(system="Answer briefly.")
            await chat.send("Hi")

        Args:
            model: a model name or alias.
            system: a system prompt sent ahead of the turns.
            history: ``"prompt"`` (flatten turns into the message, the default) or ``"native"``
                (send them in the plugin's ``wpaicg_chat_history`` field).
            turns: earlier user/assistant turns, to restore a saved conversation.
        """
        return AsyncConversation(self, ConversationState.create(model, system, history, turns))

    async def _complete(self, call: PreparedCall) -> str:
        return await self._with_retries(self._attempt, call)

    async def _with_retries(self, attempt: Callable[..., Awaitable[_T]], *args: Any) -> _T:
        # Most calls succeed at once; tenacity is only set up (~70 us) once one has failed.
        budget = self._budget()
        try:
            return await attempt(*args)
        except Exception as exc:
            if not budget.allows(exc):
                raise
            await self._sleep(self._first_retry_delay(budget, exc))
        return await tenacity.AsyncRetrying(**tenacity_options(budget, self._sleep, log))(
            attempt, *args
        )

    async def _attempt(self, call: PreparedCall) -> str:
        tokens = await self._tokens()
        reply = await self._send(
            "POST", tokens.ajax_url, MAX_REPLY_BYTES, data=self._form(tokens, call)
        )
        return self._interpret(reply, tokens)

    async def _stream(self, call: PreparedCall) -> AsyncIterator[str]:
        async with contextlib.AsyncExitStack() as stack:
            opened = await self._with_retries(self._open_stream, call, stack)
            for piece in opened.first:
                yield piece
            if opened.decoder is not None:
                async for chunk in opened.rest:
                    for piece in opened.decoder.feed(chunk):
                        yield piece
                for piece in opened.decoder.close():
                    yield piece

    async def _open_stream(
        self, call: PreparedCall, stack: contextlib.AsyncExitStack
    ) -> OpenedStream:
        await stack.aclose()  # a failed earlier attempt's response
        tokens = await self._tokens()
        url = tokens.ajax_url
        response = await stack.enter_async_context(
            self._open("POST", url, data=self._form(tokens, call))
        )
        head = self._reply(response, b"")
        chunks = self._chunks(response, url, MAX_REPLY_BYTES)
        decoder = self._stream_decoder(head)
        if decoder is None:
            body = b"".join([chunk async for chunk in chunks])
            return OpenedStream([self._interpret(self._reply(response, body), tokens)])
        async for chunk in chunks:
            pieces = decoder.feed(chunk)
            if pieces:
                return OpenedStream(pieces, decoder, chunks)
        return OpenedStream(decoder.close())

    async def _tokens(self) -> PageTokens:
        tokens = self._store.fresh()
        if tokens is not None:
            return tokens
        async with self._store.async_lock():
            tokens = self._store.fresh()
            if tokens is None:
                page = await self._send(
                    "GET", self.base_url, MAX_PAGE_BYTES, params=self._page_params()
                )
                tokens = interpret_page(page)
                self._store.put(tokens)
        return tokens

    async def _send(self, method: str, url: str, limit: int, **kwargs: Any) -> HttpReply:
        async with self._open(method, url, **kwargs) as response:
            body = b"".join([chunk async for chunk in self._chunks(response, url, limit)])
            return self._reply(response, body)

    @contextlib.asynccontextmanager
    async def _open(self, method: str, url: str, **kwargs: Any) -> AsyncIterator[httpx.Response]:
        log.debug("%s %s", method, url)
        with self._network_errors(url):
            request = self._http.build_request(
                method,
                url,
                headers=self._headers,
                timeout=self.settings.timeout,
                **kwargs,
            )
            # The page may redirect; the chat POST may not carry the nonce anywhere else.
            response = await self._http.send(request, stream=True, follow_redirects=method == "GET")
        try:
            self._log_reply(method, str(response.url), response.status_code)
            yield response
        finally:
            await response.aclose()

    async def _chunks(self, response: httpx.Response, url: str, limit: int) -> AsyncIterator[bytes]:
        counter = ByteCounter(limit, url)
        with self._network_errors(url, reading=True):
            async for chunk in response.aiter_bytes():
                yield counter.add(chunk)

    def _reply(self, response: httpx.Response, body: bytes) -> HttpReply:
        headers = lower_headers(response.headers)
        return HttpReply(response.status_code, headers, body, str(response.url), time.time())

    @contextlib.contextmanager
    def _network_errors(self, url: str, *, reading: bool = False) -> Iterator[None]:
        try:
            yield
        except httpx.HTTPError as exc:
            if isinstance(exc, httpx.TimeoutException):
                raise APITimeoutError(
                    f"Timed out after {self.settings.timeout:g} s waiting for {url}", url=url
                ) from exc
            if reading:
                # The site already took the message: asking again would run the model twice.
                raise BadReplyError(
                    f"The connection broke while reading the reply from {url} "
                    f"({type(exc).__name__}); the reply is incomplete",
                    url=url,
                ) from exc
            raise APIConnectionError(
                f"Could not reach {url}: {type(exc).__name__}", url=url
            ) from exc

    async def aclose(self) -> None:
        """Close the connection pool (unless it was passed in as ``http_client``)."""
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        await self.aclose()


def _new_session(verify: bool, proxy: Optional[str]) -> httpx.AsyncClient:
    tls: Union[ssl.SSLContext, bool] = _verified_tls() if verify else False
    return httpx.AsyncClient(verify=tls, proxy=proxy, follow_redirects=True)


@functools.lru_cache(maxsize=1)
def _verified_tls() -> ssl.SSLContext:
    # Loading the CA bundle takes ~70 ms of blocking work; every client can share one context.
    return httpx.create_ssl_context()
