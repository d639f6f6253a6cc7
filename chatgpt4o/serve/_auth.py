"""Who may call (pure): the API key, or for a keyless server its Host, Origin and body type.

A server with a key lets in whoever sends the key. A keyless one (the default) is meant for the
programs of the machine it runs on, yet every web page its user visits can reach it too: a page
can POST a form or ``text/plain`` body across sites without asking (no CORS preflight), and
with DNS rebinding a page's own host name comes to point at 127.0.0.1, so the page can read
the replies. Those requests differ from a local program's in their headers, and are refused:
a ``Host`` that is not the server's own address, an ``Origin`` that CORS does not allow, and a
body that is not ``application/json``.
"""

from __future__ import annotations

import hmac
from collections.abc import Collection
from typing import Optional
from urllib.parse import urlsplit

from ._errors import (
    ErrorReply,
    foreign_host,
    foreign_origin,
    invalid_api_key,
    missing_api_key,
    not_json,
)

__all__ = ["LOOPBACK_NAMES", "authorize", "local_caller"]

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")
"""The names a keyless server answers to (with its port), besides its own address."""

_SCHEME = b"bearer"
_JSON = "application/json"


def authorize(header: Optional[bytes], key: bytes) -> Optional[ErrorReply]:
    """None when ``header`` carries ``key``, else the 401 reply to send.

    The scheme is case-insensitive, as in RFC 9110; the key is compared in constant time
    (``hmac.compare_digest``), so the time taken does not tell how much of a guess was right.

    Example::

        authorize(b"Bearer s3cret", b"s3cret")  # None
        authorize(None, b"s3cret").status  # 401

    Args:
        header: the request's ``Authorization`` header as sent, or None.
        key: the server's API key.
    """
    if header is None:
        return missing_api_key()
    scheme, _, token = header.strip().partition(b" ")
    if scheme.lower() != _SCHEME or not token.strip():
        return missing_api_key()
    if not hmac.compare_digest(token.strip(), key):
        return invalid_api_key()
    return None


def local_caller(
    method: str,
    host: Optional[str],
    origin: Optional[str],
    content_type: Optional[str],
    server: Optional[tuple[str, Optional[int]]],
    *,
    allowed_hosts: Collection[str] = (),
    cors_origins: Collection[str] = (),
) -> Optional[ErrorReply]:
    """None when a keyless server may answer this request, else the reply that refuses it.

    Example::

        local_caller("POST", "127.0.0.1:8000", None, "application/json", ("127.0.0.1", 8000))
        # None
        local_caller("POST", "evil.example:8000", None, "application/json", ("127.0.0.1", 8000))
        # the 400 reply

    Args:
        method: the request's method.
        host: its ``Host`` header (None when absent).
        origin: its ``Origin`` header (None when absent; browsers send it cross-site).
        content_type: its ``Content-Type`` header.
        server: the (address, port) the request came in on (ASGI's ``scope["server"]``).
        allowed_hosts: more host names to answer to, lower-case, on any port.
        cors_origins: origins allowed to call (``*`` for any), as ``--cors-origin`` lists them.
    """
    if not _own_host(host, server, allowed_hosts):
        return foreign_host(host)
    if origin is not None and origin not in cors_origins and "*" not in cors_origins:
        return foreign_origin(origin)
    if method == "POST" and not _is_json(content_type):
        return not_json(content_type)
    return None


def _own_host(
    host: Optional[str], server: Optional[tuple[str, Optional[int]]], allowed: Collection[str]
) -> bool:
    if not host:
        return False
    try:
        parts = urlsplit("//" + host)
        name, port = parts.hostname, parts.port
    except ValueError:
        return False
    if name is None or parts.username is not None or parts.path:
        return False
    if name in allowed:
        return True
    if server is None:
        return False
    address, server_port = server
    return name in (*LOOPBACK_NAMES, address.lower()) and (port or 80) == (server_port or 80)


def _is_json(content_type: Optional[str]) -> bool:
    return content_type is not None and content_type.partition(";")[0].strip().lower() == _JSON
