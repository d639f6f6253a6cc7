"""The API-key check: an ``Authorization: Bearer KEY`` header against the server's key (pure)."""

from __future__ import annotations

import hmac
from typing import Optional

from ._errors import ErrorReply, invalid_api_key, missing_api_key

__all__ = ["authorize"]

_SCHEME = b"bearer"


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
