"""Client: the synchronous transport (requests) around the shared core; mirrors _async_client."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator, Mapping
from functools import cached_property
from types import TracebackType
from typing import Any, Callable, Optional, TypeVar, Union

import requests
import tenacity
import urllib3

from ._base import BaseClient, ByteCounter, OpenedStream, PreparedCall, log, lower_headers
from ._config import Settings
from ._constants import MAX_PAGE_BYTES, MAX_REPLY_BYTES
from ._conversation import Conversation, ConversationState
from ._exceptions import (
    APIConnectionError,
    APITimeoutError,
    BadReplyError,
    InvalidRequestTypeError,
)
from ._messages import Messages
from ._page import PageTokens
from ._protocol import HttpReply, interpret_page
from ._resources import Chat
from ._retry import tenacity_options

__all__ = ["Client", "Stream"]

_T = TypeVar("_T")


class Stream(Iterator[str]):
    """The pieces of one streamed reply, as the site sends them.

    Iterate it, or use it as a context manager so the connection is released even when you
    stop early::

        with client.stream(None, "Tell me a story") as stream:
            for piece in stream:
                print(piece, end="", flush=True)
    """

    def __init__(self, pieces: Iterator[str]) -> None:
        self._pieces = pieces

    def __iter__(self) -> Stream:
        return self

    def __next__(self) -> str:
        return next(self._pieces)

    def close(self) -> None:
        """Stop reading and release the connection."""
        close = getattr(self._pieces, "close", None)
        if close is not None:
            close()

    def __enter__(self) -> Stream:
        return self

    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.close()


class Client(BaseClient):
    """Chat with an AI Power site from synchronous code.

    Example::

        with chatgpt4o.Client() as client:
            print(client.ask("Say hi in French"))

    Args:
        base_url: the site's chat page; default ``$CHATGPT4O_BASE_URL`` or chatgpt4o.one.
        timeout: seconds to connect and for each read; default ``$CHATGPT4O_TIMEOUT`` or 120.
        max_retries: retries for transient failures; default ``$CHATGPT4O_MAX_RETRIES`` or 2.
        proxy: e.g. ``"http://user:pass@host:8080"``; default ``$CHATGPT4O_PROXY``.
        cookies: cookies to send, to the site's host only.
        headers: extra or replacement request headers.
        verify: verify TLS certificates (leave on unless you know why).
        http_client: a ``requests.Session`` to use instead of a new one; it keeps its own proxy
            and TLS settings, and is not closed by us.
        sleep: how to wait between retries (tests pass a fake); default ``time.sleep``.
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
        http_client: Optional[requests.Session] = None,
        sleep: Optional[Callable[[float], None]] = None,
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
        if http_client is not None and not isinstance(http_client, requests.Session):
            raise InvalidRequestTypeError(
                f"http_client: expected a requests.Session, got {type(http_client).__name__}"
            )
        self._owns_http = http_client is None
        self._http = http_client or _new_session(self.settings.verify, self.settings.proxy)
        # Per request, so that neither $REQUESTS_CA_BUNDLE nor $HTTP_PROXY overrides them.
        self._transport_options = {} if http_client else _transport_options(self.settings)
        for name, value in self._cookies.items():
            self._http.cookies.set(name, value, domain=self._host)
        self._sleep = sleep or time.sleep

    def create(self, model: Optional[str], messages: Messages, **options: Any) -> str:
        """Send ``messages`` and return the reply text (a streamed reply is joined).

        Example::

            client.create("gpt-4o-mini", [{"role": "user", "content": "Hi"}])

        Args:
            model: a model name or alias (None for the default); the site runs its own model.
            messages: a list of ``{"role", "content"}`` dicts, or a str prompt.
            options: ``bot_id`` (int) selects a custom bot defined on the site.

        Raises:
            InvalidRequestError: bad input, before any request is made.
            Chatgpt4oError: its subclasses, after retries, for everything the site did wrong.
        """
        return self._complete(self._prepare(model, messages, options))

    def ask(self, prompt: str, *, model: Optional[str] = None) -> str:
        """Send one user message and return the reply text.

        Example::

            client.ask("What is the capital of France?")
        """
        return self.create(model, prompt)

    def stream(self, model: Optional[str], messages: Messages, **options: Any) -> Stream:
        """Send ``messages`` and return the reply's text pieces as they arrive.

        Bad input raises here, at once; the request starts when you iterate. Failures are
        retried until the first piece arrives; after that they raise. A site that does not
        stream gives its whole reply as one piece.

        Example::

            with client.stream(None, "Count to five") as stream:
                for piece in stream:
                    print(piece, end="")
        """
        return Stream(self._stream(self._prepare(model, messages, options)))

    @cached_property
    def chat(self) -> Chat:
        """OpenAI-style chat: ``client.chat.completions.create(model=..., messages=...)``."""
        return Chat(self)

    def conversation(
        self,
        model: Optional[str] = None,
        system: Optional[str] = None,
        *,
        history: str = "prompt",
        turns: Optional[list[Mapping[str, str]]] = None,
    ) -> Conversation:
        """Start (or restore, from ``to_dict()`` data) a conversation that keeps its turns.

        Example::

            chat = client.conversation(system="Answer briefly.")
            chat.send("Hi")

        Args:
            model: a model name or alias.
            system: a system prompt sent ahead of the turns.
            history: ``"prompt"`` (flatten turns into the message, the default) or ``"native"``
                (send them in the plugin's ``wpaicg_chat_history`` field).
            turns: earlier user/assistant turns, to restore a saved conversation.
        """
        return Conversation(self, ConversationState.create(model, system, history, turns))

    def _complete(self, call: PreparedCall) -> str:
        return self._with_retries(self._attempt, call)

    def _with_retries(self, attempt: Callable[..., _T], *args: Any) -> _T:
        # Most calls succeed at once; tenacity is only set up (~40 us) once one has failed.
        budget = self._budget()
        try:
            return attempt(*args)
        except Exception as exc:
            if not budget.allows(exc):
                raise
            self._sleep(self._first_retry_delay(budget, exc))
        return tenacity.Retrying(**tenacity_options(budget, self._sleep, log))(attempt, *args)

    def _attempt(self, call: PreparedCall) -> str:
        tokens = self._tokens()
        reply = self._send("POST", tokens.ajax_url, MAX_REPLY_BYTES, data=self._form(tokens, call))
        return self._interpret(reply, tokens)

    def _stream(self, call: PreparedCall) -> Iterator[str]:
        with contextlib.ExitStack() as stack:
            opened = self._with_retries(self._open_stream, call, stack)
            yield from opened.first
            if opened.decoder is not None:
                for chunk in opened.rest:
                    yield from opened.decoder.feed(chunk)
                yield from opened.decoder.close()

    def _open_stream(self, call: PreparedCall, stack: contextlib.ExitStack) -> OpenedStream:
        stack.close()  # a failed earlier attempt's response
        tokens = self._tokens()
        url = tokens.ajax_url
        response = stack.enter_context(self._open("POST", url, data=self._form(tokens, call)))
        head = self._reply(response, b"")
        chunks = self._chunks(response, url, MAX_REPLY_BYTES)
        decoder = self._stream_decoder(head)
        if decoder is None:
            return OpenedStream([self._interpret(self._reply(response, b"".join(chunks)), tokens)])
        for chunk in chunks:
            pieces = decoder.feed(chunk)
            if pieces:
                return OpenedStream(pieces, decoder, chunks)
        return OpenedStream(decoder.close())

    def _tokens(self) -> PageTokens:
        tokens = self._store.fresh()
        if tokens is not None:
            return tokens
        with self._store.thread_lock:
            tokens = self._store.fresh()
            if tokens is None:
                page = self._send("GET", self.base_url, MAX_PAGE_BYTES, params=self._page_params())
                tokens = interpret_page(page)
                self._store.put(tokens)
        return tokens

    def _send(self, method: str, url: str, limit: int, **kwargs: Any) -> HttpReply:
        with self._open(method, url, **kwargs) as response:
            return self._reply(response, b"".join(self._chunks(response, url, limit)))

    @contextlib.contextmanager
    def _open(self, method: str, url: str, **kwargs: Any) -> Iterator[requests.Response]:
        log.debug("%s %s", method, url)
        with self._network_errors(url):
            response = self._http.request(
                method,
                url,
                headers=self._headers,
                timeout=self.settings.timeout,
                stream=True,
                # The page may redirect; the chat POST may not carry the nonce anywhere else.
                allow_redirects=method == "GET",
                **self._transport_options,
                **kwargs,
            )
        with response:
            self._log_reply(method, response.url, response.status_code)
            yield response

    def _chunks(self, response: requests.Response, url: str, limit: int) -> Iterator[bytes]:
        counter = ByteCounter(limit, url)
        with self._network_errors(url, reading=True):
            for chunk in response.iter_content(chunk_size=None):
                yield counter.add(chunk)

    def _reply(self, response: requests.Response, body: bytes) -> HttpReply:
        headers = lower_headers(response.headers)
        return HttpReply(response.status_code, headers, body, response.url, time.time())

    @contextlib.contextmanager
    def _network_errors(self, url: str, *, reading: bool = False) -> Iterator[None]:
        try:
            yield
        except requests.RequestException as exc:
            if isinstance(exc, requests.Timeout) or _is_read_timeout(exc):
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

    def close(self) -> None:
        """Close the connection pool (unless it was passed in as ``http_client``)."""
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.close()


def _new_session(verify: bool, proxy: Optional[str]) -> requests.Session:
    session = requests.Session()
    session.verify = verify
    if proxy:
        session.proxies.update({"http": proxy, "https": proxy})
    return session


def _transport_options(settings: Settings) -> dict[str, Any]:
    proxies = {"http": settings.proxy, "https": settings.proxy} if settings.proxy else {}
    return {"verify": settings.verify, "proxies": proxies}


def _is_read_timeout(exc: requests.RequestException) -> bool:
    # requests reports a read timeout in the middle of a body as a ConnectionError.
    return any(isinstance(arg, urllib3.exceptions.ReadTimeoutError) for arg in exc.args)
