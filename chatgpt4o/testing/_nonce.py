"""WordPress nonces: wp_create_nonce() and wp_verify_nonce() for anonymous visitors."""

from __future__ import annotations

import hashlib
import hmac
import math

CHAT_ACTION = "wpaicg-chatbox"
IMG_ACTION = "wpaicg-img-nonce"
AIPKIT_ACTION = "aipkit_frontend_chat_nonce"
REST_ACTION = "wp_rest"
DEFAULT_LIFE = 86400.0


def nonce_tick(now: float, life: float = DEFAULT_LIFE) -> int:
    """Return WordPress's nonce tick: ``ceil(now / (life / 2))``.

    Example:
        >>> nonce_tick(1_700_000_000.0)
        39352

    Args:
        now: Unix time in seconds.
        life: the nonce life (``nonce_life`` filter), 86400 s by default.
    """
    if life <= 0:
        raise ValueError(f"nonce life must be positive, got {life!r}")
    return math.ceil(now / (life / 2))


def _hash(secret: bytes | str, tick: int, action: str, uid: int, token: str) -> str:
    key = secret.encode() if isinstance(secret, str) else secret
    message = f"{tick}|{action}|{uid}|{token}".encode()
    return hmac.new(key, message, hashlib.md5).hexdigest()[-12:-2]


def create_nonce(
    secret: bytes | str,
    action: str = CHAT_ACTION,
    *,
    now: float,
    life: float = DEFAULT_LIFE,
    uid: int = 0,
    token: str = "",
) -> str:
    """Make the 10-hex nonce WordPress would print for ``action`` at time ``now``.

    ``substr(hash_hmac('md5', "$tick|$action|$uid|$token", $key), -12, 10)``, where the key is
    ``NONCE_KEY . NONCE_SALT`` on a real site and ``secret`` here.

    Example:
        >>> create_nonce("put your unique phrase here", now=1_700_000_000.0)
        'b9afe1f0ff'

    Args:
        secret: the site's nonce key and salt.
        action: the nonce action; ``"wpaicg-chatbox"`` for AI Power's chat.
        now: Unix time in seconds.
        life: the nonce life in seconds.
        uid: the user ID, 0 for anonymous visitors.
        token: the session token, empty for anonymous visitors.
    """
    return _hash(secret, nonce_tick(now, life), action, uid, token)


def verify_nonce(
    nonce: str,
    secret: bytes | str,
    action: str = CHAT_ACTION,
    *,
    now: float,
    life: float = DEFAULT_LIFE,
    uid: int = 0,
    token: str = "",
) -> int:
    """Check a nonce like ``wp_verify_nonce()``: 1 if from this tick, 2 if from the last, else 0.

    The comparison is constant-time; an empty nonce always fails.

    Example:
        >>> verify_nonce("b9afe1f0ff", "put your unique phrase here", now=1_700_000_000.0)
        1

    Args:
        nonce: the nonce a client sent.
        secret: the site's nonce key and salt.
        action: the nonce action it must have been made for.
        now: Unix time in seconds.
        life: the nonce life in seconds.
        uid: the user ID, 0 for anonymous visitors.
        token: the session token, empty for anonymous visitors.
    """
    if not nonce:
        return 0
    tick = nonce_tick(now, life)
    for age, candidate_tick in ((1, tick), (2, tick - 1)):
        expected = _hash(secret, candidate_tick, action, uid, token)
        if hmac.compare_digest(expected.encode(), nonce.encode("utf-8", "replace")):
            return age
    return 0
