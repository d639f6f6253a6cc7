"""Client: the synchronous transport (requests) around the shared core; mirrors _async_client."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Generator, Iterator, Mapping
from types import TracebackType
from typing import Optional, TypeVar, Union

import requests
import urllib3

from ._base import BaseClient, log
from ._call import PreparedCall
from ._config import Settings
from ._conversation import Conversation, ConversationState
from ._exceptions import (
    InvalidRequestTypeError,
    NonceError,
)
from ._exchange import open_reader, send_steps
from ._http import READ_SIZE, BodyLimit, Reply, Request, lower_headers
from ._images import Images
from ._messages import Messages
from ._nonce_cache import renew_steps
from ._page import Page
from ._resources import Chat
from ._retry import CallState, retrying
from ._streams import Stream

__all__ = ["Client", "Stream"]

_T = TypeVar("_T")


class Client(BaseClient[requests.Session]):
    """Chat with an AI Power site from synchronous code.

    Example::

        with chatgpt4o.Client() as client:
            print(client.ask("Say hi in French"))

    Args:
        base_url: the site's chat page; default ``$CHATGPT4O_BASE_URL`` or chatgpt4o.one.
        timeout: seconds each request may take, its whole reply included (and the longest
            silence); default ``$CHATGPT4O_TIMEOUT`` or 120.
        max_retries: retries for transient failures; default ``$CHATGPT4O_MAX_RETRIES`` or 2.
        proxy: e.g. ``"http://user:pass@host:8080"``; default ``$CHATGPT4O_PROXY``.
        cookies: cookies to send, to the site's host only.
        headers: extra or replacement request headers.
        verify: verify TLS certificates (leave on unless you know why).
        session_id: the guest id the current plugin counts quota and threads under (a UUID
            v4 by default, new per client; pass one to keep it across clients).
        nonce_cache: a NonceCache shared with other clients of the same site, so that they
            read its page once; by default each client has its own.
        max_image_bytes: the largest picture a call sends, in bytes (1 to the site's 20 MB);
            default 5 MiB, which a typical host's 8 MB POST limit still takes.
        http_client: a ``requests.Session`` to use instead of a new one; it keeps its own proxy
            and TLS settings, and is not closed by us.

    Attributes:
        chat: OpenAI-style chat, ``client.chat.completions.create(model=..., messages=...)``.
    """

    chat: Chat

    def _connect(self, http_client: Optional[requests.Session]) -> requests.Session:
        if http_client is not None and not isinstance(http_client, requests.Session):
            raise InvalidRequestTypeError(
                f"http_client: expected a requests.Session, got {type(http_client).__name__}"
            )
        if http_client is None:
            http_client = _new_session(self.settings.verify, self.settings.proxy, self._headers)
        for name, value in self._cookies.items():
            http_client.cookies.set(name, value, domain=self._host)
        # Per request, so that neither $REQUESTS_CA_BUNDLE nor $HTTP_PROXY overrides them; a
        # session passed in keeps its own (None defers to it).
        self._verify = self.settings.verify if self._owns_http else None
        self._proxies = _proxies(self.settings) if self._owns_http else None
        return http_client

    def create(
        self,
        model: Optional[str],
        messages: Messages,
        *,
        bot_id: Optional[int] = None,
        timeout: Union[float, int, None] = None,
        extra_headers: Optional[Mapping[str, str]] = None,
        images: Optional[Images] = None,
    ) -> str:
        """Send ``messages`` and return the reply text (a streamed reply is joined).

        Example::

            client.create("gpt-4o-mini", [{"role": "user", "content": "Hi"}])

        Args:
            model: a model name or alias (None for the default); the site runs its own model.
            messages: a list of ``{"role", "content"}`` dicts, or a str prompt.
            bot_id: a bot on the site (on current-plugin sites, one of the page's chats).
            timeout: seconds for each request of this call, instead of the client's.
            extra_headers: headers for this call on top of the client's.
            images: pictures for the last user message (a path, bytes, a binary file, a
                ``data:`` URL or an ``image_url`` part, or a list of up to 4), on bots whose
                page offers image upload; ``image_url`` parts in ``messages`` work too.

        Raises:
            InvalidRequestError: bad input, before any request is made.
            APIError: its subclasses, after retries, for everything the site did wrong.
        """
        call = self._prepare(
            model,
            messages,
            bot_id=bot_id,
            timeout=timeout,
            extra_headers=extra_headers,
            images=images,
        )
        return self._send_call(call)

    def ask(
        self,
        prompt: str,
        *,
        model: Optional[str] = None,
        bot_id: Optional[int] = None,
        timeout: Union[float, int, None] = None,
        extra_headers: Optional[Mapping[str, str]] = None,
        images: Optional[Images] = None,
    ) -> str:
        """Send one user message and return the reply text.

        Example::

            client.ask("What is the capital of France?")
        """
        return self.create(
            model,
            prompt,
            bot_id=bot_id,
            timeout=timeout,
            extra_headers=extra_headers,
            images=images,
        )

    def stream(
        self,
        model: Optional[str],
        messages: Messages,
        *,
        bot_id: Optional[int] = None,
        timeout: Union[float, int, None] = None,
        extra_headers: Optional[Mapping[str, str]] = None,
        images: Optional[Images] = None,
    ) -> Stream:
        """Send ``messages`` and return the reply's text pieces as they arrive.

        Bad input raises here, at once; the request starts when you iterate. Failures are
        retried until the first piece arrives; after that they raise. A site that does not
        stream gives its whole reply as one piece.

        Example::

            with client.stream(None, "Count to five") as stream:
                for piece in stream:
                    print(piece, end="")
        """
        call = self._prepare(
            model,
            messages,
            bot_id=bot_id,
            timeout=timeout,
            extra_headers=extra_headers,
            images=images,
        )
        return self._stream_call(call)

    def conversation(
        self,
        model: Optional[str] = None,
        system: Optional[str] = None,
        *,
        history: str = "prompt",
        turns: Optional[list[Mapping[str, str]]] = None,
        bot_id: Optional[int] = None,
        conversation_uuid: Optional[str] = None,
        session_id: Optional[str] = None,
    ) -> Conversation:
        """Start (or restore, from ``to_dict()`` data) a conversation that keeps its turns.

        Example::

            chat = client.conversation(system="Answer briefly.")
            chat.send("Hi")

        Args:
            model: a model name or alias.
            system: a system prompt sent ahead of the turns.
            history: ``"prompt"`` (flatten the turns into each message, the default) or
                ``"native"`` (let the site hold them: the old plugin's history field, the
                current plugin's server-side thread).
            turns: earlier user/assistant turns, to restore a saved conversation.
            bot_id: a bot on the site.
            conversation_uuid: the current plugin's thread id, to restore a saved conversation.
            session_id: the guest id that thread is kept under, to restore a saved
                conversation (by default the client's); used for this conversation only.
        """
        self._check_open()
        state = ConversationState.create(
            model,
            system,
            history,
            turns,
            bot_id,
            conversation_uuid,
            session_id,
            client_session_id=self.session_id,
            max_image_bytes=self.settings.max_image_bytes,
        )
        return Conversation(state, send=self._send_call, stream=self._stream_call)

    def _send_call(self, call: PreparedCall) -> str:
        self._check_open()
        return self._retrying.copy()(self._reply_text, CallState(call))

    def _stream_call(self, call: PreparedCall) -> Stream:
        return Stream(self._pieces(call))

    def _bind(self) -> None:
        self._retrying = retrying(self._policy)
        self.chat = Chat(prepare=self._prepare, send=self._send_call, stream=self._stream_call)

    def _pieces(self, call: PreparedCall) -> Generator[str, None, None]:
        self._check_open()
        first: str
        rest: Generator[str, None, None]
        first, rest = self._retrying.copy()(self._open_reply, CallState(call))
        try:
            yield first
            yield from rest
        finally:
            rest.close()

    def _reply_text(self, state: CallState) -> str:
        # One attempt, the whole reply (the stream path, without stopping at the first piece).
        pieces = list(self._read_reply(state))
        if not pieces:
            raise self._no_reply()
        return "".join(pieces)

    def _open_reply(self, state: CallState) -> tuple[str, Generator[str, None, None]]:
        # One attempt, up to the reply's first piece: what comes after it is never retried.
        pieces = self._read_reply(state)
        for first in pieces:
            return first, pieces
        raise self._no_reply()

    def _read_reply(self, state: CallState) -> Generator[str, None, None]:
        page = self._page()
        try:
            request = self._run(
                send_steps(page.chat(state.call.bot_id), state.call, self._identity)
            )
            limit = self._body_limit(request)
            with self._open(request) as response:
                reader = open_reader(request, self._reply(response, request, b""))
                for chunk in self._chunks(response, request, limit):
                    for piece in reader.feed(chunk):
                        state.replied = True
                        yield piece
                for piece in reader.close():
                    state.replied = True
                    yield piece
        except NonceError:
            state.nonce_rejections += 1
            self._store.reject(page)
            raise

    def _page(self) -> Page:
        page = self._store.fresh()
        if page is not None:
            return page
        with self._store.thread_lock:
            page = self._store.fresh()
            if page is None:
                page = self._run(renew_steps(self._store, self.base_url))
        return page

    def _run(self, steps: Generator[Request, Reply, _T]) -> _T:
        """Perform the requests ``steps`` asks for, handing each reply back; its result."""
        try:
            request = next(steps)
            while True:
                request = steps.send(self.perform(request))
        except StopIteration as done:
            result: _T = done.value
            return result

    def perform(self, request: Request) -> Reply:
        """Make one of the core's requests and return its whole reply, with no retry.

        The low-level step every call is built from; diagnostics (``chatgpt4o doctor``) use it
        to look at a site's replies one by one.
        """
        limit = self._body_limit(request)
        with self._open(request) as response:
            body = b"".join(self._chunks(response, request, limit))
            return self._reply(response, request, body)

    @contextlib.contextmanager
    def _open(self, request: Request) -> Iterator[requests.Response]:
        log.debug("%s %s", request.method, request.url)
        try:
            response = self._http.request(
                request.method,
                request.url,
                params=request.params or None,
                data=request.data,
                headers=self._request_headers(request),
                timeout=self._timeout(request),
                stream=True,
                allow_redirects=request.follow_redirects,
                verify=self._verify,
                proxies=self._proxies,
            )
        except requests.RequestException as exc:
            raise self._network_error(exc, request, timed_out=_timed_out(exc)) from exc
        with response:
            self._log_reply(request.method, response.url, response.status_code)
            yield response

    def _chunks(
        self, response: requests.Response, request: Request, limit: BodyLimit
    ) -> Iterator[bytes]:
        try:
            # Bounded reads: urllib3 then reads and decodes at most READ_SIZE bytes at a time.
            for chunk in response.iter_content(chunk_size=READ_SIZE):
                yield limit.add(chunk)
        except requests.RequestException as exc:
            raise self._network_error(
                exc, request, timed_out=_timed_out(exc), reading=True
            ) from exc

    def _reply(self, response: requests.Response, request: Request, body: bytes) -> Reply:
        headers = lower_headers(response.headers)
        url = response.url.partition("?")[0]
        return Reply(response.status_code, headers, body, url, request.method, time.time())

    def close(self) -> None:
        """Close this client; an original also closes its ``with_options()`` copies and the
        connection pool (unless it was passed in as ``http_client``)."""
        if self._close():
            self._http.close()

    def __enter__(self) -> Client:
        self._check_open()
        return self

    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.close()


def _new_session(
    verify: bool, proxy: Optional[str], headers: Mapping[str, str]
) -> requests.Session:
    session = requests.Session()
    session.headers.update(headers)
    session.verify = verify
    if proxy:
        session.proxies.update({"http": proxy, "https": proxy})
    return session


def _proxies(settings: Settings) -> dict[str, str]:
    return {"http": settings.proxy, "https": settings.proxy} if settings.proxy else {}


def _timed_out(exc: requests.RequestException) -> bool:
    # requests reports a read timeout in the middle of a body as a ConnectionError.
    return isinstance(exc, requests.Timeout) or any(
        isinstance(arg, urllib3.exceptions.ReadTimeoutError) for arg in exc.args
    )
