"""Name the root cause of a network failure (refused, DNS, TLS, proxy, reset) for error messages.

Both HTTP libraries wrap the operating system's error a few layers deep; this walks the chain by
the standard library's exception types, so it needs neither library.
"""

from __future__ import annotations

import re
import socket
import ssl
from collections.abc import Iterator

__all__ = ["describe_network_error", "without_queries"]

_MAX_DEPTH = 12
_QUERY = re.compile(r"\?[^\s'\"()]*")


def describe_network_error(exc: BaseException, *, via_proxy: bool = False) -> str:
    """A short, human cause for ``exc``: ``"connection refused"``, ``"DNS lookup failed"`` …

    ``via_proxy``: the connection went to a proxy, so a refusal is the proxy's (httpx raises
    the same ``ConnectError`` for a refused proxy as for a refused site).

    Example::

        >>> describe_network_error(ConnectionRefusedError(111, "Connection refused"))
        'connection refused (nothing listens at that address and port)'
    """
    chain = list(_chain(exc))
    named_proxy = any("proxy" in type(item).__name__.lower() for item in chain)
    proxy = via_proxy or named_proxy
    for item in chain:
        if isinstance(item, ssl.SSLCertVerificationError):
            reason = item.verify_message or item.reason or "certificate verify failed"
            return f"TLS certificate not trusted ({reason})"
        if isinstance(item, ssl.SSLError):
            return f"TLS error ({item.reason or item})"
        if isinstance(item, socket.gaierror):
            return "DNS lookup failed (no such host, or no network)"
        if isinstance(item, ConnectionRefusedError):
            where = "the proxy refused the connection" if proxy else "connection refused"
            return f"{where} (nothing listens at that address and port)"
        if isinstance(item, ConnectionResetError):
            return "connection reset by the other side"
        if isinstance(item, (TimeoutError, socket.timeout)):
            return "timed out"
    if named_proxy:
        return f"proxy error ({_last_words(chain)})"
    text = " ".join(str(item) for item in chain).lower()
    if "name or service not known" in text or "nodename nor servname" in text:
        return "DNS lookup failed (no such host, or no network)"
    if "connection refused" in text:
        where = "the proxy refused the connection" if proxy else "connection refused"
        return f"{where} (nothing listens at that address and port)"
    return _last_words(chain)


def without_queries(text: str) -> str:
    """``text`` with every URL query cut to ``?…``: library messages quote the URL, and the
    current plugin's stream GET carries the nonce in its query.

    Example::

        >>> without_queries("Max retries exceeded with url: /ajax.php?action=x&_ajax_nonce=1a2b")
        'Max retries exceeded with url: /ajax.php?…'
    """
    return _QUERY.sub("?…", text)


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    todo = [exc]
    while todo and len(seen) < _MAX_DEPTH:
        item = todo.pop(0)
        if id(item) in seen:
            continue
        seen.add(id(item))
        yield item
        todo.extend(arg for arg in item.args if isinstance(arg, BaseException))
        for linked in (item.__cause__, item.__context__, getattr(item, "reason", None)):
            if isinstance(linked, BaseException):
                todo.append(linked)


def _last_words(chain: list[BaseException]) -> str:
    deepest = chain[-1]
    words = without_queries(str(deepest).strip()) or type(deepest).__name__
    return words if len(words) <= 160 else words[:160] + "…"
