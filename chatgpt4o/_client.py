"""Client: the synchronous transport (requests) around the shared core; mirrors _async_client."""

from __future__ import annotations

import time
from collections.abc import Mapping
from types import TracebackType
from typing import Any, Callable, Optional, Union

import requests
import tenacity

from ._base import BaseClient, BodyBuffer, PreparedCall, log, lower_headers
from ._constants import MAX_PAGE_BYTES, MAX_REPLY_BYTES
from ._exceptions import APIConnectionError, APITimeoutError, NonceError
from ._messages import Messages
from ._page import PageTokens
from ._protocol import HttpReply, interpret_page, interpret_reply
from ._retry import tenacity_options

__all__ = ["Client"]


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
        self._owns_http = http_client is None
        self._http = http_client or _new_session(self.settings.verify, self.settings.proxy)
        for name, value in self._cookies.items():
            self._http.cookies.set(name, value, domain=self._host)
        self._sleep = sleep or time.sleep

    def create(self, model: Optional[str], messages: Messages, **options: Any) -> str:
        """Send ``messages`` and return the reply text.

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
        call = self._prepare(model, messages, options)
        retrying = tenacity.Retrying(**tenacity_options(self._budget(), self._sleep, log))
        return retrying(self._attempt, call)

    def ask(self, prompt: str, *, model: Optional[str] = None) -> str:
        """Send one user message and return the reply text.

        Example::

            client.ask("What is the capital of France?")
        """
        return self.create(model, prompt)

    def _attempt(self, call: PreparedCall) -> str:
        tokens = self._tokens()
        reply = self._send("POST", tokens.ajax_url, MAX_REPLY_BYTES, data=self._form(tokens, call))
        try:
            return interpret_reply(reply)
        except NonceError:
            self._store.drop(tokens)
            raise

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
        log.debug("%s %s", method, url)
        try:
            with self._http.request(
                method,
                url,
                headers=self._headers,
                timeout=self.settings.timeout,
                stream=True,
                **kwargs,
            ) as response:
                body = BodyBuffer(limit, url)
                for chunk in response.iter_content(chunk_size=65536):
                    body.append(chunk)
        except requests.Timeout as exc:
            raise APITimeoutError(
                f"Timed out after {self.settings.timeout:g} s: {method} {url}", url=url
            ) from exc
        except requests.RequestException as exc:
            raise APIConnectionError(
                f"Could not reach {url}: {type(exc).__name__}", url=url
            ) from exc
        reply = HttpReply(
            response.status_code,
            lower_headers(response.headers),
            body.getvalue(),
            response.url,
            time.time(),
        )
        self._log_reply(method, reply.url, reply.status_code, len(reply.body))
        return reply

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
