"""What Client and AsyncClient share without I/O: settings, token cache, call preparation."""

from __future__ import annotations

import asyncio
import copy
import logging
import os
import threading
import time
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Callable, Optional, TypeVar, Union
from urllib.parse import urlsplit

from ._config import Settings, redact_url, resolve_settings
from ._constants import DEFAULT_HEADERS, TOKEN_MAX_AGE
from ._exceptions import (
    BadReplyError,
    InvalidRequestError,
    InvalidRequestTypeError,
    NonceError,
)
from ._messages import build_prompt
from ._models import resolve_model
from ._page import PageTokens
from ._protocol import HttpReply, build_form, interpret_reply, new_client_id
from ._retry import RetryBudget, RetryPolicy
from ._streaming import StreamDecoder, is_event_stream

__all__ = ["BaseClient", "ByteCounter", "OpenedStream", "PreparedCall", "TokenStore"]

log = logging.getLogger("chatgpt4o")

_OPTIONS = ("bot_id",)
_Client = TypeVar("_Client", bound="BaseClient")


@dataclass(frozen=True)
class PreparedCall:
    """One validated chat call, ready to be sent (and re-sent on retry).

    Attributes:
        model: the canonical model name.
        prompt: the text for the ``message`` field.
        bot_id: a custom bot on the site, or None for the page's own.
        history: earlier turns for the ``wpaicg_chat_history`` field (see native_history()).
    """

    model: str
    prompt: str
    bot_id: Optional[int] = None
    history: str = "[]"


class TokenStore:
    """The page tokens one client (and its copies) reuse, with an age limit.

    Refreshes are single-flight: callers take ``thread_lock`` (threads) or ``async_lock()``
    (tasks of one event loop), check ``fresh()`` again, and only then fetch the page.
    """

    def __init__(
        self, max_age: float = TOKEN_MAX_AGE, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.max_age = max_age
        self._clock = clock
        self._tokens: Optional[PageTokens] = None
        self._fetched_at = 0.0
        self.bust_cache = False
        self.thread_lock = threading.Lock()
        self._async_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )

    def fresh(self) -> Optional[PageTokens]:
        """The cached tokens if they are younger than ``max_age``, else None."""
        tokens = self._tokens
        if tokens is not None and self._clock() - self._fetched_at < self.max_age:
            return tokens
        return None

    def put(self, tokens: PageTokens) -> None:
        """Cache freshly scraped tokens."""
        self._tokens = tokens
        self._fetched_at = self._clock()
        self.bust_cache = False

    def drop(self, tokens: PageTokens) -> None:
        """Forget ``tokens`` after the site rejected them, unless a newer set replaced them.

        The next page fetch asks past any page cache, which may be what served the stale nonce.
        """
        if self._tokens is tokens:
            self._tokens = None
            self.bust_cache = True

    def async_lock(self) -> asyncio.Lock:
        """The refresh lock for the running event loop (asyncio locks belong to one loop)."""
        loop = asyncio.get_running_loop()
        with self.thread_lock:
            lock = self._async_locks.get(loop)
            if lock is None:
                lock = self._async_locks[loop] = asyncio.Lock()
        return lock


class ByteCounter:
    """Counts a reply's bytes as they are read and stops the read past ``limit``.

    Checked per chunk, so a huge body is refused before it is held in memory.
    """

    def __init__(self, limit: int, url: str) -> None:
        self._limit = limit
        self._url = url
        self.size = 0

    def add(self, chunk: bytes) -> bytes:
        """Count ``chunk`` and return it; raises BadReplyError once past the limit."""
        self.size += len(chunk)
        if self.size > self._limit:
            raise BadReplyError(
                f"The reply from {self._url} is larger than {self._limit} bytes; stopped reading",
                url=self._url,
            )
        return chunk


@dataclass
class OpenedStream:
    """A chat reply opened for streaming: the first pieces, and how to read the rest.

    Attributes:
        first: the pieces decoded so far (the whole reply when the site did not stream).
        decoder: the SSE decoder to feed the rest of the body to; None when the reply is done.
        rest: the transport's iterator (or async iterator) over the remaining body chunks.
    """

    first: list[str]
    decoder: Optional[StreamDecoder] = None
    rest: Any = None


def lower_headers(items: Mapping[str, str]) -> dict[str, str]:
    """Header names in lower case (both HTTP libraries' header maps go through this)."""
    return {name.lower(): value for name, value in items.items()}


class BaseClient:
    """Configuration and preparation shared by Client and AsyncClient; does no I/O."""

    def __init__(
        self,
        base_url: Optional[str],
        *,
        timeout: Union[float, int, None],
        max_retries: Optional[int],
        proxy: Optional[str],
        cookies: Optional[Mapping[str, str]],
        headers: Optional[Mapping[str, str]],
        verify: bool,
    ) -> None:
        self.settings: Settings = resolve_settings(
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            proxy=proxy,
            verify=verify,
            env=os.environ,
        )
        self._cookies = _check_str_mapping(cookies, "cookies")
        self._headers = {
            **DEFAULT_HEADERS,
            "Origin": _origin(self.settings.base_url),
            "Referer": self.settings.base_url + "/",
            **_check_str_mapping(headers, "headers"),
        }
        self._host = urlsplit(self.settings.base_url).hostname or ""
        self._client_id = new_client_id()
        self._store = TokenStore()
        self._policy = RetryPolicy(max_retries=self.settings.max_retries)
        self._owns_http = True

    def with_options(
        self: _Client,
        *,
        timeout: Union[float, int, None] = None,
        max_retries: Optional[int] = None,
    ) -> _Client:
        """A client with other settings that shares this one's connection pool and tokens.

        Closing the copy does not close the pool; close the original when you are done.

        Example::

            patient = client.with_options(timeout=300, max_retries=5)
            patient.ask("Write a long essay")

        Raises:
            InvalidRequestError: a bad value, naming the argument.
        """
        clone = copy.copy(self)
        clone.settings = self.settings.with_options(timeout=timeout, max_retries=max_retries)
        clone._policy = RetryPolicy(max_retries=clone.settings.max_retries)
        clone._owns_http = False
        clone.__dict__.pop("chat", None)  # the cached resource is bound to the original
        return clone

    @property
    def base_url(self) -> str:
        """The chat page this client scrapes its tokens from."""
        return self.settings.base_url

    def __repr__(self) -> str:
        proxy = redact_url(self.settings.proxy) if self.settings.proxy else None
        return f"{type(self).__name__}(base_url={self.base_url!r}, proxy={proxy!r})"

    def _prepare(
        self,
        model: Optional[str],
        messages: object,
        options: Mapping[str, object],
        *,
        history: str = "[]",
    ) -> PreparedCall:
        unknown = sorted(set(options) - set(_OPTIONS))
        if unknown:
            raise InvalidRequestTypeError(
                f"{unknown[0]}: unexpected option; accepted options: {', '.join(_OPTIONS)}"
            )
        bot_id = options.get("bot_id")
        if bot_id is not None and (
            isinstance(bot_id, bool) or not isinstance(bot_id, int) or bot_id < 0
        ):
            raise InvalidRequestError(f"bot_id: expected a whole number >= 0, got {bot_id!r}")
        return PreparedCall(
            model=resolve_model(model),
            prompt=build_prompt(messages),
            bot_id=bot_id,
            history=history,
        )

    def _form(self, tokens: PageTokens, call: PreparedCall) -> dict[str, str]:
        return build_form(
            tokens, call.prompt, client_id=self._client_id, bot_id=call.bot_id, history=call.history
        )

    def _interpret(self, reply: HttpReply, tokens: PageTokens) -> str:
        try:
            return interpret_reply(reply)
        except NonceError:
            self._store.drop(tokens)
            raise

    def _stream_decoder(self, head: HttpReply) -> Optional[StreamDecoder]:
        """A decoder when ``head`` starts an SSE stream; None when the body must be read whole."""
        if head.status_code == 200 and is_event_stream(head.content_type):
            return StreamDecoder(head.url)
        return None

    def _page_params(self) -> dict[str, str]:
        # After a rejected nonce, ask past page caches, which serve stale nonces.
        return {"nocache": str(int(time.time()))} if self._store.bust_cache else {}

    def _budget(self) -> RetryBudget:
        return RetryBudget(self._policy)

    def _first_retry_delay(self, budget: RetryBudget, exc: BaseException) -> float:
        delay = budget.wait(exc)
        log.info("retry 1 after %s: %s (sleeping %.2f s)", type(exc).__name__, exc, delay)
        return delay

    def _log_reply(self, method: str, url: str, status: int) -> None:
        log.debug("%s %s -> HTTP %d", method, url, status)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _check_str_mapping(value: object, name: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidRequestTypeError(
            f"{name}: expected a mapping of str to str, got {type(value).__name__}"
        )
    for key, item in value.items():
        if not isinstance(key, str) or not isinstance(item, str):
            raise InvalidRequestTypeError(
                f"{name}[{key!r}]: expected str keys and values, got {type(item).__name__}"
            )
    return dict(value)
