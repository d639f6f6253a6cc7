"""The Starlette app: OpenAI's routes over one pooled AsyncClient, its gate and its body cap."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import os
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Collection, Mapping
from typing import TYPE_CHECKING, Any, Callable, Optional, TypeVar, Union

from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from chatgpt4o._call import PreparedCall, prepare_call
from chatgpt4o._completions import new_completion_id, normalize_messages, split_reply_note
from chatgpt4o._constants import ENV_SERVE_API_KEY, SERVE_MAX_CONNECTIONS
from chatgpt4o._exceptions import InvalidImageError, InvalidRequestTypeError
from chatgpt4o._images import DEFAULT_MAX_IMAGE_BYTES, SITE_MAX_IMAGES

from ._auth import authorize, local_caller
from ._errors import (
    ErrorReply,
    Refusal,
    bad_json,
    body_too_large,
    error_body,
    error_event,
    error_reply,
    model_not_found,
    route_not_found,
)
from ._image_urls import PLACEHOLDER_PICTURE, remote_pictures, with_picture_urls
from ._policy import ChatRequest, ReplyPlan, ReplyShaper, parse_chat_request, plan_reply
from ._usage import counter
from ._wire import DONE, ReplyWriter, dumps, model_entry, models_list, usage_body

if TYPE_CHECKING:
    from chatgpt4o import AsyncClient, AsyncStream

    from ._fetch import PictureFetcher

__all__ = [
    "DEFAULT_MAX_BODY_BYTES",
    "ENV_API_KEY",
    "TEXT_BODY_BYTES",
    "ServerState",
    "body_cap",
    "build_app",
    "create_app",
]

ENV_API_KEY = ENV_SERVE_API_KEY
"""The environment variable ``create_app()`` and ``chatgpt4o serve`` read the API key from."""

TEXT_BODY_BYTES = 2 * 1024 * 1024
"""Room in a request body for everything but pictures: a prompt is at most 100,000 characters."""


def body_cap(max_image_bytes: int) -> int:
    """The largest request body taken by default: 4 pictures of ``max_image_bytes`` as
    base64 ``data:`` URLs (4/3 of their size), and ``TEXT_BODY_BYTES`` for the rest."""
    return SITE_MAX_IMAGES * 4 * math.ceil(max_image_bytes / 3) + TEXT_BODY_BYTES


DEFAULT_MAX_BODY_BYTES = body_cap(DEFAULT_MAX_IMAGE_BYTES)
"""Request bodies above this (28.7 MiB, for 5 MiB pictures) are refused with 413."""

log = logging.getLogger("chatgpt4o.serve")

_JSON = "application/json"
_SSE_HEADERS = {"cache-control": "no-cache", "x-accel-buffering": "no"}
IGNORED_PARAMS_HEADER = "x-chatgpt4o-ignored-params"
# What a browser app may read from a reply, besides the CORS-safelisted headers.
_EXPOSED_HEADERS = [
    "retry-after",
    "retry-after-ms",
    "x-should-retry",
    "x-request-id",
    IGNORED_PARAMS_HEADER,
]
_OPEN_PATHS = ("/health",)  # probes send no key; the answer reveals nothing

Closer = Callable[[], Awaitable[None]]
ClientOpener = Callable[[], "tuple[AsyncClient, Optional[Closer]]"]
"""Makes the app's client, and how to close it (None: the app does not own it)."""


class ServerState:
    """What one app shares between its requests: the client, and how many streams are open.

    Reached as ``app.state.chatgpt4o``.

    Attributes:
        open_streams: streamed replies being sent right now (each holds one site request).
    """

    def __init__(self, open_client: ClientOpener) -> None:
        self._open_client = open_client
        self._client: Optional[AsyncClient] = None
        self._close: Optional[Closer] = None
        self.open_streams = 0

    @property
    def client(self) -> AsyncClient:
        """The pooled AsyncClient every request uses; made on first use if the lifespan did not
        (a Starlette app mounted in another one does not run its own lifespan)."""
        if self._client is None:
            self._client, self._close = self._open_client()
        return self._client

    def start(self) -> None:
        """Make the client now (the lifespan's startup) rather than at the first request."""
        self.client  # noqa: B018

    async def aclose(self) -> None:
        """Close the client if this app made it; the next request would make a new one."""
        close, self._client, self._close = self._close, None, None
        if close is not None:
            await close()


def create_app(
    base_url: Optional[str] = None,
    *,
    api_key: Optional[str] = None,
    timeout: Union[float, int, None] = None,
    max_retries: Optional[int] = None,
    client: Optional[AsyncClient] = None,
    max_image_bytes: Optional[int] = None,
    max_body_bytes: Optional[int] = None,
    allowed_hosts: Collection[str] = (),
    cors_origins: Collection[str] = (),
    bot_id: Optional[int] = None,
    strict: bool = False,
    fetch_image_urls: bool = False,
) -> Starlette:
    """An OpenAI-compatible ASGI app in front of one AI Power site.

    It serves ``POST /v1/chat/completions`` (streamed or not), ``GET /v1/models``,
    ``GET /v1/models/{id}`` and ``GET /health``, all through one pooled ``AsyncClient`` that
    the app's lifespan creates and closes. Run it with any ASGI server, or mount it in your own
    Starlette or FastAPI app (then pass ``client=`` and close it yourself, as a mounted app's
    lifespan does not run).

    Example::

        import uvicorn
        from chatgpt4o.serve import create_app

        uvicorn.run(create_app("https://chatgpt4o.one", api_key="s3cret"), port=8000)

    Args:
        base_url: the site's chat page; default ``$CHATGPT4O_BASE_URL`` or chatgpt4o.one.
        api_key: when set, every request needs ``Authorization: Bearer <api_key>``; default
            ``$CHATGPT4O_SERVE_API_KEY``, else no key is needed.
        timeout: the client's timeout in seconds (see ``AsyncClient``).
        max_retries: the client's retries for transient failures (see ``AsyncClient``).
        client: an AsyncClient to use instead of a new one; the app does not close it. The
            other client options must then be left out.
        max_image_bytes: the client's largest picture, in bytes (see ``AsyncClient``; 5 MiB).
        max_body_bytes: request bodies above this many bytes get 413; default
            ``body_cap(max_image_bytes)``, room for 4 pictures as ``data:`` URLs and the text.
        allowed_hosts: without an API key, host names the app answers to besides its own
            address (``127.0.0.1``, ``localhost``, ``[::1]`` and the address it was reached
            on, with its port), e.g. the name a reverse proxy forwards as ``Host``.
        cors_origins: web page origins (``https://app.example``, or ``*``) allowed to call
            from a browser; preflight requests are answered for them. Without an API key,
            a request carrying any other ``Origin`` is refused.
        bot_id: the site's bot every request talks to (default: the page's first). Callers
            cannot choose it: only OpenAI's fields are read from a request body.
        strict: refuse the parameters the server would otherwise accept and ignore
            (``temperature``, ``seed``, ...; see the README's parameter table).
        fetch_image_urls: fetch the pictures of ``image_url`` parts with ``http(s)`` URLs
            (else refused with 400): from public internet addresses only, at most
            ``max_image_bytes`` each, 10 s each, no more than 3 redirects (README, "Pictures").

    Raises:
        InvalidRequestError: a bad option (checked here, not at the first request).
        ValueError: ``client`` given together with ``base_url``, ``timeout``, ``max_retries``
            or ``max_image_bytes``.
    """
    if client is not None:
        if (base_url, timeout, max_retries, max_image_bytes) != (None, None, None, None):
            raise ValueError(
                "create_app: pass either client or base_url/timeout/max_retries/"
                "max_image_bytes, not both"
            )
        given = client
        open_client: ClientOpener = lambda: (given, None)  # noqa: E731
    else:
        make = _site_clients(base_url, timeout, max_retries, max_image_bytes)
        first = [make()]  # bad options raise now, not at startup
        client = first[0][0]
        open_client = lambda: first.pop() if first else make()  # noqa: E731
    picture_cap = client.settings.max_image_bytes
    fetcher = None
    if fetch_image_urls:
        from ._fetch import PictureFetcher

        fetcher = PictureFetcher(max_bytes=picture_cap)
    return build_app(
        open_client,
        api_key=api_key,
        max_image_bytes=picture_cap,
        max_body_bytes=body_cap(picture_cap) if max_body_bytes is None else max_body_bytes,
        allowed_hosts=allowed_hosts,
        cors_origins=cors_origins,
        bot_id=bot_id,
        strict=strict,
        picture_fetcher=fetcher,
    )


def _site_clients(
    base_url: Optional[str],
    timeout: Union[float, int, None],
    max_retries: Optional[int],
    max_image_bytes: Optional[int],
) -> Callable[[], tuple[AsyncClient, Closer]]:
    """How to make the site's clients, each with its own closer.

    A call holds one connection to the site at a time on either plugin generation (the
    current plugin's cache POST and event-stream GET take turns on it), so the pool keeps as
    many as ``chatgpt4o serve`` holds callers: no call queues for a connection, and none is
    dialled anew after a burst. (httpx's default, 100 and 20 kept idle, queued the calls past
    100, and its pool's bookkeeping grows with the square of the queue.) They are held in
    small pools (``_pool``), whose bookkeeping stays cheap however many the server holds.

    A site on this machine is reached without the environment's proxies, as the command line
    reaches it: ``$HTTP_PROXY`` cannot reach 127.0.0.1 of this machine.
    """
    import httpx

    from chatgpt4o import AsyncClient
    from chatgpt4o._config import is_loopback, resolve_settings

    from ._pool import ShardedTransport

    options: dict[str, Any] = {
        "timeout": timeout,
        "max_retries": max_retries,
        "max_image_bytes": max_image_bytes,
    }
    settings = resolve_settings(base_url=base_url, env=os.environ, **options)
    local = settings.proxy is None and is_loopback(settings.base_url)
    limits = httpx.Limits(max_connections=SERVE_MAX_CONNECTIONS, max_keepalive_connections=None)

    def make() -> tuple[AsyncClient, Closer]:
        session = httpx.AsyncClient(
            proxy=settings.proxy,
            trust_env=not local,
            follow_redirects=True,
            limits=limits,  # a proxy's pool
            transport=ShardedTransport(SERVE_MAX_CONNECTIONS, trust_env=not local),
        )
        client = AsyncClient(base_url, http_client=session, **options)

        async def close() -> None:
            await client.aclose()
            await session.aclose()

        return client, close

    return make


def build_app(
    open_client: ClientOpener,
    *,
    api_key: Optional[str] = None,
    max_image_bytes: int = DEFAULT_MAX_IMAGE_BYTES,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    allowed_hosts: Collection[str] = (),
    cors_origins: Collection[str] = (),
    bot_id: Optional[int] = None,
    strict: bool = False,
    picture_fetcher: Optional[PictureFetcher] = None,
) -> Starlette:
    """The app over the client ``open_client`` makes; ``create_app()`` is the documented way in.

    ``max_image_bytes`` is the client's picture cap; ``picture_fetcher`` fetches remote
    picture URLs (None: they are refused).
    """
    if api_key is None:
        api_key = os.environ.get(ENV_API_KEY) or None
    if api_key is not None and not api_key.strip():
        raise ValueError("api_key: expected a non-empty str")
    if api_key is not None and api_key != api_key.strip():
        # A header cannot carry them, so no request could ever match the key.
        raise ValueError(
            "api_key: has spaces or line breaks around it, which no request can send; remove them"
        )
    if max_body_bytes < 1:
        raise ValueError("max_body_bytes: expected at least 1")
    if bot_id is not None and bot_id < 1:
        raise ValueError(f"bot_id: expected a positive bot id, got {bot_id}")
    hosts = [name.strip().lower() for name in _names("allowed_hosts", allowed_hosts)]
    origins = _names("cors_origins", cors_origins)
    state = ServerState(open_client)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        state.start()  # the client is made now, in the server's event loop
        try:
            yield
        finally:
            await state.aclose()

    routes = _Routes(state, max_body_bytes, bot_id, bool(strict), max_image_bytes, picture_fetcher)
    middleware = [Middleware(_Front)]
    if origins:
        # Outside the gate: a preflight carries no key, and a refusal must stay readable.
        middleware.append(
            Middleware(
                CORSMiddleware,
                allow_origins=origins,
                allow_methods=["GET", "POST"],
                allow_headers=["*"],
                expose_headers=_EXPOSED_HEADERS,
            )
        )
    middleware.append(Middleware(_Gate, refuse=_gate(api_key, hosts, origins)))
    app = Starlette(
        routes=[
            Route("/v1/chat/completions", routes.chat_completions, methods=["POST"]),
            Route("/v1/models", routes.list_models, methods=["GET"]),
            Route("/v1/models/{model_id:path}", routes.get_model, methods=["GET"]),
            Route("/health", routes.health, methods=["GET"]),
        ],
        middleware=middleware,
        exception_handlers={HTTPException: _http_error, Exception: _internal_error},
        lifespan=lifespan,
    )
    app.state.chatgpt4o = state
    return app


def _names(field: str, values: Collection[str]) -> list[str]:
    if isinstance(values, str) or not all(isinstance(v, str) and v.strip() for v in values):
        raise TypeError(f"{field}: expected a list of non-empty str")
    return list(values)


class _Routes:
    def __init__(
        self,
        state: ServerState,
        max_body_bytes: int,
        bot_id: Optional[int],
        strict: bool,
        max_image_bytes: int,
        fetcher: Optional[PictureFetcher],
    ) -> None:
        self.state = state
        self.max_body_bytes = max_body_bytes
        self.bot_id = bot_id
        self.strict = strict
        self.max_image_bytes = max_image_bytes
        self.fetcher = fetcher

    async def chat_completions(self, request: Request) -> Response:
        try:
            chat = parse_chat_request(await _read_json(request, self.max_body_bytes))
            plan = plan_reply(chat.params, strict=self.strict)
            call = self._prepare(chat, await self._pictures(request, chat))
            reply = _Reply(plan, call.prompt, call.model)
            client = self.state.client
            # The checked prompt is one message, which the client sends as it is.
            if not chat.stream:
                sent = client.create(
                    call.model, call.prompt, bot_id=self.bot_id, images=call.images
                )
                text = await _while_connected(request, sent)
                return Response(reply.whole(text), media_type=_JSON, headers=reply.headers)
            stream = client.stream(call.model, call.prompt, bot_id=self.bot_id, images=call.images)
        except Exception as exc:
            return _refused(exc)
        release = _Release(self.state, stream)
        try:
            # Until the first piece comes, a failure can still be a real HTTP status.
            first = await _while_connected(request, stream.__anext__())
        except BaseException as exc:
            await release()
            if not isinstance(exc, Exception):
                raise
            return _refused(exc)
        return _EventStream(reply.events(first, stream), release, reply.headers)

    def _prepare(self, chat: ChatRequest, messages: object) -> PreparedCall:
        """The request checked by the client's own pure steps (``prepare_call``), before any I/O:
        the usage count needs the prompt it makes."""
        if not isinstance(chat.stream, bool):
            raise InvalidRequestTypeError(f"stream: expected True or False, got {chat.stream!r}")
        messages = normalize_messages(messages)
        return prepare_call(chat.model, messages, max_image_bytes=self.max_image_bytes)

    async def _pictures(self, request: Request, chat: ChatRequest) -> object:
        """The request's messages, with its remote pictures fetched as ``data:`` URLs."""
        remote = remote_pictures(chat.messages)
        if not remote:
            return chat.messages
        # Checked with stand-ins first, so a bad request fetches nothing.
        stand_ins = {(p.message, p.part): PLACEHOLDER_PICTURE for p in remote}
        self._prepare(chat, with_picture_urls(chat.messages, stand_ins))
        fetcher = self.fetcher
        if fetcher is None:
            raise InvalidImageError(
                f"{remote[0].field}: this server does not fetch picture URLs (its operator can "
                "allow it with --fetch-image-urls); send the picture as a data: URL",
                field=remote[0].field,
            )

        async def fetch_all() -> dict[tuple[int, int], str]:
            fetched: dict[tuple[int, int], str] = {}
            for picture in remote:
                image = await fetcher.fetch(picture.url, picture.field)
                url = f"data:{image.mime_type};base64,{image.base64_data}"
                fetched[picture.message, picture.part] = url
            return fetched

        return with_picture_urls(chat.messages, await _while_connected(request, fetch_all()))

    async def list_models(self, request: Request) -> Response:
        return Response(dumps(models_list()), media_type=_JSON)

    async def get_model(self, request: Request) -> Response:
        model_id = str(request.path_params["model_id"])
        entry = model_entry(model_id)
        if entry is None:
            return _error_response(model_not_found(model_id))
        return Response(dumps(entry), media_type=_JSON)

    async def health(self, request: Request) -> Response:
        return Response(b'{"status":"ok"}', media_type=_JSON)


_T = TypeVar("_T")


class _CallerGone(Exception):
    """The caller disconnected before its reply began."""


async def _while_connected(request: Request, work: Awaitable[_T]) -> _T:
    """``work``'s result, or _CallerGone once the caller disconnects, with ``work`` cancelled
    (else a caller gone would keep its site request running to the end)."""
    task = asyncio.ensure_future(work)
    watch = asyncio.ensure_future(_disconnect(request))
    try:
        done, _ = await asyncio.wait((task, watch), return_when=asyncio.FIRST_COMPLETED)
    except BaseException:
        task.cancel()
        raise
    finally:
        watch.cancel()
    if task in done:
        return task.result()
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)  # let it close its site request
    raise _CallerGone


async def _disconnect(request: Request) -> None:
    # The body has been read: what the server sends next is the disconnect.
    while (await request.receive())["type"] != "http.disconnect":
        pass


class _Reply:
    """One reply as the request's plan shapes it: the site's note, stop, max tokens, usage."""

    def __init__(self, plan: ReplyPlan, prompt: str, model: str) -> None:
        self._plan = plan
        self._prompt = prompt
        self._counter = counter()
        self._shaper = ReplyShaper(plan.stop, plan.max_tokens, self._counter)
        self._site_reason = "stop"
        self._writer = ReplyWriter(new_completion_id(), int(time.time()), model)
        self.headers = {IGNORED_PARAMS_HEADER: ", ".join(plan.ignored)} if plan.ignored else {}

    def whole(self, text: str) -> bytes:
        """The completion body for the site's whole reply."""
        content = self._feed(text) + self._shaper.finish()
        return self._writer.completion(content, self._finish_reason(), self._usage())

    async def events(self, first: str, pieces: AsyncStream) -> AsyncIterator[bytes]:
        """The stream's events: role, pieces, the finish chunk, usage if asked, ``[DONE]``.

        Reading stops once the reply is cut; a failure after the first piece ends the stream
        with an error event and no ``[DONE]``.
        """
        writer = self._writer
        try:
            yield writer.chunk({"role": "assistant", "content": ""})
            piece: Optional[str] = first
            while piece is not None:
                text = self._feed(piece)
                if text:
                    yield writer.chunk({"content": text})
                if self._shaper.done:
                    break
                piece = await _next_piece(pieces)
            rest = self._shaper.finish()
            if rest:
                yield writer.chunk({"content": rest})
        except Exception as exc:
            yield error_event(_reply_for(exc))
            return
        yield writer.chunk({}, self._finish_reason())
        if self._plan.include_usage:
            yield writer.usage_chunk(self._usage())
        yield DONE

    def _feed(self, piece: str) -> str:
        piece, reason = split_reply_note(piece)
        if reason is not None:
            self._site_reason = reason
        return self._shaper.feed(piece)

    def _finish_reason(self) -> str:
        return self._shaper.finish_reason or self._site_reason

    def _usage(self) -> dict[str, int]:
        count = self._counter.count
        return usage_body(count(self._prompt), count(self._shaper.text))


async def _next_piece(pieces: AsyncStream) -> Optional[str]:
    try:
        return await pieces.__anext__()
    except StopAsyncIteration:
        return None


class _Release:
    """Counts one upstream stream open; closing it counts it closed, once, however often."""

    def __init__(self, state: ServerState, stream: AsyncStream) -> None:
        self._state = state
        self._stream: Optional[AsyncStream] = stream
        state.open_streams += 1

    async def __call__(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            try:
                await stream.aclose()
            finally:
                self._state.open_streams -= 1


class _EventStream(StreamingResponse):
    """An SSE response that always closes its upstream stream: at the end, on error, and when
    the client goes away (Starlette cancels the body on ``http.disconnect``)."""

    def __init__(
        self, events: AsyncIterator[bytes], release: _Release, headers: Mapping[str, str]
    ) -> None:
        headers = {**_SSE_HEADERS, **headers}
        super().__init__(events, media_type="text/event-stream", headers=headers)
        self._release = release

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            await self._release()


async def _read_json(request: Request, limit: int) -> object:
    """The body, decoded; a ``Refusal`` for one over ``limit`` bytes or not JSON."""
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > limit:
        raise Refusal(body_too_large(limit))
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise Refusal(body_too_large(limit))
            chunks.append(chunk)
    except ClientDisconnect:
        # The caller's doing, and nobody is left to answer: one line, no traceback.
        log.info("the caller disconnected while sending its request body")
        raise Refusal(bad_json("the body ended early: the connection was closed")) from None
    raw = b"".join(chunks)
    try:
        if not raw.strip():
            raise ValueError("the body is empty; expected a JSON object")
        return json.loads(raw.decode("utf-8"), parse_int=_int, parse_constant=_no_constant)
    except UnicodeDecodeError:
        raise Refusal(bad_json("the body is not UTF-8")) from None
    except json.JSONDecodeError as exc:
        raise Refusal(bad_json(exc.msg)) from None
    except RecursionError:
        raise Refusal(bad_json("the JSON is nested too deeply")) from None
    except ValueError as exc:  # from _int, _no_constant and the empty body
        raise Refusal(bad_json(str(exc))) from None


_MAX_DIGITS = 100  # no OpenAI field needs more; Python refuses more than 4300 anyway


def _int(text: str) -> int:
    if len(text) > _MAX_DIGITS:
        raise ValueError(f"a number has more than {_MAX_DIGITS} digits")
    return int(text)


def _no_constant(name: str) -> object:
    raise ValueError(f"{name} is not a JSON number")


def _reply_for(exc: BaseException) -> ErrorReply:
    reply = error_reply(exc)
    if reply.status >= 500:
        # The SDK's messages carry no nonce, cookies or credentials; a bug's stays out of it.
        shown = reply.message if reply.status != 500 else repr(type(exc).__name__)
        log.warning("chat completion failed (%d): %s", reply.status, shown)
    return reply


def _refused(exc: Exception) -> Response:
    """The response to a request that failed before its reply began."""
    if isinstance(exc, _CallerGone):
        log.info("the caller disconnected before its reply; its site request was cancelled")
        return Response(status_code=499)  # nginx's "client closed request"; nobody receives it
    return _error_response(_reply_for(exc))


def _error_response(reply: ErrorReply) -> Response:
    return Response(
        reply.to_bytes(), status_code=reply.status, headers=reply.headers, media_type=_JSON
    )


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code in (404, 405):
        return _error_response(route_not_found(request.method, request.url.path, exc.status_code))
    body = error_body(str(exc.detail), "invalid_request_error")
    return _error_response(ErrorReply(exc.status_code, body))


async def _internal_error(request: Request, exc: Exception) -> Response:
    log.error("unexpected error in %s %s: %s", request.method, request.url.path, type(exc).__name__)
    return _error_response(error_reply(exc))


Refuse = Callable[[Scope, Headers], Optional[ErrorReply]]


def _gate(api_key: Optional[str], hosts: list[str], origins: list[str]) -> Refuse:
    """Who may call: with a key, whoever sends it; without one, see ``_auth``."""
    if api_key is None:
        return lambda scope, headers: local_caller(
            scope["method"],
            headers.get("host"),
            headers.get("origin"),
            headers.get("content-type"),
            scope.get("server"),
            allowed_hosts=hosts,
            cors_origins=origins,
        )
    key = api_key.encode()

    def refuse(scope: Scope, headers: Headers) -> Optional[ErrorReply]:
        if scope["path"] in _OPEN_PATHS:
            return None
        header = headers.get("authorization")
        return authorize(None if header is None else header.encode("latin-1"), key)

    return refuse


class _Gate:
    """Answers an HTTP request ``refuse`` refuses with its reply, and passes the rest on.

    Starlette's ``TrustedHostMiddleware`` cannot do the host check: it ignores the port, and
    answers in plain text rather than OpenAI's error body.
    """

    def __init__(self, app: ASGIApp, refuse: Refuse) -> None:
        self.app = app
        self.refuse = refuse

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        refusal = self.refuse(scope, Headers(scope=scope)) if scope["type"] == "http" else None
        app = self.app if refusal is None else _error_response(refusal)
        await app(scope, receive, send)


class _Front:
    """Serves ``/v1/chat/completions/`` as ``/v1/chat/completions`` (no 307 redirect), and gives
    every response an ``x-request-id`` (openai clients show it as ``_request_id``)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        if len(path) > 1 and path.endswith("/"):
            scope = {**scope, "path": path.rstrip("/") or "/"}
        request_id = f"req_{uuid.uuid4().hex}".encode()

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [*message.get("headers", ()), (b"x-request-id", request_id)]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_id)
