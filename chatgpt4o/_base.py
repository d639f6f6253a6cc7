"""What Client and AsyncClient share without I/O: settings, identity, nonce cache, call preparation
and the errors a network failure becomes."""

from __future__ import annotations

import copy
import logging
import os
import urllib.request
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Generic, Optional, TypeVar, Union
from urllib.parse import urlsplit

from ._call import PreparedCall, check_headers, new_uuid, prepare_call
from ._config import Settings, redact_url, resolve_settings
from ._constants import DEFAULT_HEADERS
from ._exceptions import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    BadReplyError,
    ClientClosedError,
    InvalidRequestError,
    InvalidRequestTypeError,
)
from ._exchange import Identity
from ._http import ACCEPT_ENCODING, KEY_SHAPE, BodyLimit, Request
from ._network import describe_network_error
from ._nonce_cache import NonceCache
from ._retry import RetryPolicy
from ._wpaicg import new_client_id

__all__ = ["BaseClient", "log"]

log = logging.getLogger("chatgpt4o")

_Client = TypeVar("_Client", bound="BaseClient[Any]")
_Http = TypeVar("_Http")


class BaseClient(Generic[_Http]):
    """Configuration and preparation shared by Client and AsyncClient, whose docstrings give
    the arguments (``_Http``: the transport's HTTP session type); does no I/O."""

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
        session_id: Optional[str] = None,
        nonce_cache: Optional[NonceCache] = None,
        max_image_bytes: Optional[int] = None,
        http_client: Optional[_Http] = None,
    ) -> None:
        self.settings: Settings = resolve_settings(
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            proxy=proxy,
            verify=verify,
            max_image_bytes=max_image_bytes,
            env=os.environ,
        )
        self._cookies = check_headers(cookies, "cookies")
        self._headers = {
            **DEFAULT_HEADERS,
            # Only what both transports decode a bounded piece at a time.
            "Accept-Encoding": ACCEPT_ENCODING,
            "Referer": self.settings.base_url + "/",
            **check_headers(headers, "headers"),
        }
        # Those of the client's headers that its HTTP session does not send by itself: the
        # transports give a session they make all of them, one passed in keeps its own.
        self._unsent_headers: Mapping[str, str] = self._headers if http_client is not None else {}
        self._sets_origin = not any(name.lower() == "origin" for name in self._headers)
        self._host = urlsplit(self.settings.base_url).hostname or ""
        self._identity = Identity(client_id=new_client_id(), session_id=_session_id(session_id))
        if nonce_cache is not None and not isinstance(nonce_cache, NonceCache):
            raise InvalidRequestTypeError(
                f"nonce_cache: expected a chatgpt4o.NonceCache, got {type(nonce_cache).__name__}"
            )
        self._store = nonce_cache if nonce_cache is not None else NonceCache()
        self._policy = RetryPolicy(max_retries=self.settings.max_retries)
        self._owns_http = http_client is None
        self._pool = _PoolState()
        self._closed = False
        self._is_copy = False
        self._http = self._connect(http_client)
        self._bind()

    @property
    def base_url(self) -> str:
        """The chat page this client reads its nonce and ids from."""
        return self.settings.base_url

    @property
    def session_id(self) -> str:
        """The guest id the current plugin counts this client's quota and threads under."""
        return self._identity.session_id

    @property
    def is_closed(self) -> bool:
        """True once ``close()`` ran, on this client or on the one it was copied from by
        ``with_options()``; a closed client refuses new calls."""
        return self._closed or self._pool.closed

    def with_options(
        self: _Client,
        *,
        timeout: Union[float, int, None] = None,
        max_retries: Optional[int] = None,
        max_image_bytes: Optional[int] = None,
    ) -> _Client:
        """A client with other settings that shares this one's connection pool and nonce cache.

        Closing the copy leaves the pool and the original open; closing the original closes
        the pool and every copy.

        Example::

            patient = client.with_options(timeout=300, max_retries=5)
            patient.ask("Write a long essay")
            roomy = client.with_options(max_image_bytes=15_000_000)  # a host that takes more

        Raises:
            InvalidRequestError: a bad value, naming the argument.
        """
        clone = copy.copy(self)
        clone.settings = self.settings.with_options(
            timeout=timeout, max_retries=max_retries, max_image_bytes=max_image_bytes
        )
        clone._policy = RetryPolicy(max_retries=clone.settings.max_retries)
        clone._owns_http = False
        clone._is_copy = True
        clone._bind()
        return clone

    def __repr__(self) -> str:
        proxy = redact_url(self.settings.proxy) if self.settings.proxy else None
        return f"{type(self).__name__}(base_url={self.base_url!r}, proxy={proxy!r})"

    def _connect(self, http_client: Optional[_Http]) -> _Http:
        """The HTTP session to use (``http_client``, checked, or a new one), its cookies set."""
        raise NotImplementedError

    def _bind(self) -> None:
        """Build what belongs to this instance alone: its tenacity controller (of the
        transport's kind, for ``self._policy``) and its ``chat`` namespace."""
        raise NotImplementedError

    def _prepare(
        self,
        model: object,
        messages: object,
        *,
        bot_id: object,
        timeout: object,
        extra_headers: object,
        images: object = None,
    ) -> PreparedCall:
        self._check_open()
        return prepare_call(
            model,
            messages,
            bot_id=bot_id,
            timeout=timeout,
            extra_headers=extra_headers,
            images=images,
            max_image_bytes=self.settings.max_image_bytes,
        )

    def _check_open(self) -> None:
        if self.is_closed:
            raise ClientClosedError(
                f"{type(self).__name__} for {self.base_url} is closed; make a new one "
                "(or keep calls inside its 'with' block)"
            )

    def _close(self) -> bool:
        """Mark this client closed (an original, its copies too); whether to close the pool."""
        closing = not self.is_closed and self._owns_http
        self._closed = True
        if not self._is_copy:
            self._pool.closed = True
        return closing

    def _check_loop(self, loop: object) -> None:
        """Bind the pool to ``loop`` on first use and refuse any other: an async connection
        pool (httpx's, and its connections) belongs to the event loop it was first used in."""
        if self._pool.loop is None:
            self._pool.loop = weakref.ref(loop)
        elif self._pool.loop() is not loop:
            raise ClientClosedError(
                f"{type(self).__name__} for {self.base_url} is used in another event loop than "
                "the one it first ran in, and an AsyncClient belongs to the event loop it first "
                "ran in; make the client inside the loop that uses it (one per asyncio.run())"
            )

    def _no_reply(self) -> BadReplyError:
        """The error for a reply that ended without a single piece of text."""
        return BadReplyError(f"The site at {self.base_url} sent no reply", url=self.base_url)

    def _network_error(
        self, exc: Exception, request: Request, *, timed_out: bool, reading: bool = False
    ) -> APIError:
        """The error for the HTTP library's ``exc`` on ``request`` (``reading``: mid-body)."""
        url, method = request.url, request.method
        if timed_out:
            return APITimeoutError(
                f"Timed out after {self._timeout(request):g} s waiting for {url}",
                url=url,
                method=method,
            )
        if reading:
            # The site already took the message: asking again would run the model twice.
            return BadReplyError(
                f"The connection broke while reading the reply from {url} "
                f"({describe_network_error(exc)}); the reply is incomplete",
                url=url,
                method=method,
            )
        cause = describe_network_error(exc, via_proxy=self._uses_proxy(url))
        return APIConnectionError(f"Could not reach {url}: {cause}", url=url, method=method)

    def _uses_proxy(self, url: str) -> bool:
        """Whether requests to ``url`` go through a proxy: the client's, else the
        environment's (``HTTPS_PROXY`` and the like, minus ``NO_PROXY``), as both HTTP
        libraries read it."""
        if self.settings.proxy:
            return True
        parts = urlsplit(url)
        return parts.scheme in urllib.request.getproxies() and not urllib.request.proxy_bypass(
            parts.hostname or ""
        )

    def _request_headers(self, request: Request) -> Mapping[str, str]:
        headers = self._unsent_headers
        if request.method == "POST" and self._sets_origin:
            # A POST carries the Origin a browser would send: the page's own, the one the AJAX
            # URL is pinned to (the current plugin refuses a foreign host or scheme with a 403).
            headers = {"Origin": _origin(request.url), **headers}
        return {**headers, **request.headers} if request.headers else headers

    def _body_limit(self, request: Request) -> BodyLimit:
        """The size and deadline ``request``'s reply is read under, its clock started now."""
        return BodyLimit(
            request.limit, request.url, seconds=self._timeout(request), method=request.method
        )

    def _timeout(self, request: Request) -> float:
        return self.settings.timeout if request.timeout is None else request.timeout

    def _log_reply(self, method: str, url: str, status: int) -> None:
        # Without the query: the current plugin's stream GET carries the nonce there.
        if log.isEnabledFor(logging.DEBUG):
            log.debug("%s %s -> HTTP %d", method, redact_url(url.partition("?")[0]), status)


@dataclass
class _PoolState:
    """What a client shares with its ``with_options()`` copies besides the pool itself."""

    closed: bool = False  # the original was closed, and the pool with it
    loop: Optional[weakref.ref[Any]] = None  # an AsyncClient's event loop (weak: loops end)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _session_id(value: object) -> str:
    if value is None:
        return new_uuid()
    if not isinstance(value, str):
        raise InvalidRequestTypeError(f"session_id: expected a str, got {type(value).__name__}")
    if not KEY_SHAPE.fullmatch(value):
        raise InvalidRequestError(
            "session_id: expected 1 to 64 lower-case letters, digits, '-' or '_' (a UUID v4 "
            f"such as {new_uuid()!r}), got {value!r}"
        )
    return value
