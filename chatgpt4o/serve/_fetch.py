"""Fetch the picture URLs a request names, for ``--fetch-image-urls`` (the I/O half).

Each fetch resolves the URL's host once, refuses it unless every address is public, then
connects to that checked address itself: the request goes to ``http(s)://<address>/...`` with
the URL's ``Host`` header and, for https, its host name as the TLS server name (httpx's
``sni_hostname`` extension), so the certificate is checked against the name and no second DNS
lookup can send the connection elsewhere (DNS rebinding). Redirects are followed by hand, each
target checked the same way, at most ``MAX_REDIRECTS``; the whole fetch has one deadline; the
body is counted while it is read and cut at the picture cap; the type is read from the bytes.
What may be fetched is decided in ``_image_urls`` (pure).
No proxy from the environment is used: a proxy would look the name up again.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import ssl
from typing import Awaitable, Callable, Union
from urllib.parse import urljoin

import httpx

from chatgpt4o._exceptions import ImageTooLargeError, InvalidImageError
from chatgpt4o._images import ImageInput, image_from_bytes

from ._image_urls import AddressPolicy, FetchTarget, address_refusal, fetch_target, pinned_address

__all__ = ["DEFAULT_FETCH_TIMEOUT", "MAX_REDIRECTS", "PictureFetcher", "Resolver", "resolve"]

DEFAULT_FETCH_TIMEOUT = 10.0
"""Seconds one picture's fetch may take, redirects included."""

MAX_REDIRECTS = 3

Resolver = Callable[[str, int], Awaitable[list[str]]]
"""A host name and port in, its addresses out (``resolve``)."""

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
log = logging.getLogger("chatgpt4o.serve")


async def resolve(host: str, port: int) -> list[str]:
    """The addresses ``host`` resolves to, as the system's resolver answers."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


class PictureFetcher:
    """Fetches one picture URL at a time for a request, as the module docstring says.

    Example::

        fetcher = PictureFetcher(max_bytes=5 * 1024 * 1024)
        picture = await fetcher.fetch("https://example.com/cat.png", "messages[0].content[1]")

    Args:
        max_bytes: the largest picture fetched (the client's ``max_image_bytes``).
        timeout: seconds one fetch may take, redirects included.
        max_redirects: redirects followed, each to a target checked anew.
        policy: which addresses may be fetched from; tests allow 127.0.0.1 with it.
        resolver: how host names are looked up; tests name hosts with it.
        verify: the TLS context https certificates are checked with (default: certifi's).
    """

    def __init__(
        self,
        *,
        max_bytes: int,
        timeout: float = DEFAULT_FETCH_TIMEOUT,
        max_redirects: int = MAX_REDIRECTS,
        policy: AddressPolicy = address_refusal,
        resolver: Resolver = resolve,
        verify: Union[bool, ssl.SSLContext] = True,
    ) -> None:
        self.max_bytes = max_bytes
        self.timeout = timeout
        self.max_redirects = max_redirects
        self._policy = policy
        self._resolver = resolver
        self._verify = verify

    async def fetch(self, url: str, field: str) -> ImageInput:
        """The picture at ``url``, a JPEG, PNG or WEBP of at most ``max_bytes``.

        Raises:
            InvalidImageError: the URL or its address may not be fetched, the fetch failed or
                timed out, or it is not a picture; the message names ``field`` and says why.
            ImageTooLargeError: the picture is over ``max_bytes``.
        """
        try:
            return await asyncio.wait_for(self._fetch(url, field), self.timeout)
        except asyncio.TimeoutError:
            raise InvalidImageError(
                f"{field}: fetching the picture timed out after {self.timeout:g} s", field=field
            ) from None

    async def _fetch(self, url: str, field: str) -> ImageInput:
        # No pooled connections: each request's TLS session is checked for its own name.
        async with httpx.AsyncClient(
            trust_env=False,
            timeout=None,
            verify=self._verify,
            limits=httpx.Limits(max_keepalive_connections=0),
        ) as http:
            for _ in range(self.max_redirects + 1):
                target = fetch_target(url, field)
                request = await self._request(http, url, target, field)
                try:
                    response = await http.send(request, stream=True)
                except httpx.HTTPError as exc:
                    raise _failed(field, target, f"{type(exc).__name__}: {exc}") from None
                try:
                    location = response.headers.get("location")
                    if response.status_code in _REDIRECTS and location:
                        url = urljoin(url, location)
                        continue
                    if response.status_code != 200:
                        raise _failed(field, target, f"it answered {response.status_code}")
                    data = await self._read(response, target, field)
                finally:
                    await response.aclose()
                return image_from_bytes(data, field=field, max_bytes=self.max_bytes)
        raise _failed(field, target, f"more than {self.max_redirects} redirects")

    async def _request(
        self, http: httpx.AsyncClient, url: str, target: FetchTarget, field: str
    ) -> httpx.Request:
        try:
            addresses = await self._resolver(target.host, target.port)
        except OSError as exc:
            raise _failed(field, target, f"its host does not resolve ({exc})") from None
        try:
            address = pinned_address(addresses, host=target.host, field=field, policy=self._policy)
        except InvalidImageError as exc:
            log.warning("a picture URL was not fetched: %s", str(exc).split(": ", 1)[1])
            raise
        try:
            pinned = httpx.URL(url).copy_with(
                scheme=target.scheme, host=address.split("%")[0], port=target.port
            )
        except httpx.InvalidURL as exc:
            raise _failed(field, target, f"not a URL httpx can send ({exc})") from None
        extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
        headers = {"Host": target.host_header, "Accept": "image/*", "Accept-Encoding": "identity"}
        return http.build_request("GET", pinned, headers=headers, extensions=extensions)

    async def _read(self, response: httpx.Response, target: FetchTarget, field: str) -> bytes:
        encoding = response.headers.get("content-encoding", "identity").strip().lower()
        if encoding != "identity":
            raise _failed(field, target, f"it sent the picture compressed ({encoding})")
        length = response.headers.get("content-length", "")
        if length.isdigit() and int(length) > self.max_bytes:
            raise self._too_large(field, int(length))
        chunks: list[bytes] = []
        size = 0
        try:
            async for chunk in response.aiter_raw():
                size += len(chunk)
                if size > self.max_bytes:
                    raise self._too_large(field, size)
                chunks.append(chunk)
        except httpx.HTTPError as exc:
            raise _failed(field, target, f"{type(exc).__name__}: {exc}") from None
        return b"".join(chunks)

    def _too_large(self, field: str, size: int) -> ImageTooLargeError:
        return ImageTooLargeError(
            f"{field}: the picture is more than {self.max_bytes} bytes, the most this server "
            "fetches (its max_image_bytes)",
            field=field,
            size=size,
            limit=self.max_bytes,
        )


def _failed(field: str, target: FetchTarget, why: str) -> InvalidImageError:
    log.info("a picture fetch from %s failed: %s", target.host_header, why)
    return InvalidImageError(
        f"{field}: could not fetch the picture from {target.host_header}: {why}", field=field
    )
