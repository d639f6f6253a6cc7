"""Client settings: explicit argument, then environment variable, then default; all validated."""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Optional, Union
from urllib.parse import urlsplit, urlunsplit

from ._constants import (
    DEFAULT_BASE_URL,
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
    ENV_BASE_URL,
    ENV_MAX_RETRIES,
    ENV_PROXY,
    ENV_TIMEOUT,
    MAX_RETRIES_LIMIT,
)
from ._exceptions import InvalidRequestError, InvalidRequestTypeError
from ._images import DEFAULT_MAX_IMAGE_BYTES, check_max_image_bytes

__all__ = ["Settings", "check_seconds", "is_loopback", "redact_url", "resolve_settings"]

_PROXY_SCHEMES = ("http", "https", "socks5", "socks5h")


@dataclass(frozen=True)
class Settings:
    """A client's validated configuration.

    Attributes:
        base_url: the chat page of the site, without a trailing slash.
        timeout: seconds each request may take, its whole reply included.
        max_retries: retries after the first attempt for transient failures.
        proxy: a proxy URL, or None.
        verify: whether TLS certificates are verified.
        max_image_bytes: the largest picture a call sends, in bytes.
    """

    base_url: str
    timeout: float
    max_retries: int
    proxy: Optional[str]
    verify: bool = True
    max_image_bytes: int = DEFAULT_MAX_IMAGE_BYTES

    def with_options(
        self,
        *,
        timeout: Union[float, int, None] = None,
        max_retries: Optional[int] = None,
        max_image_bytes: Optional[int] = None,
    ) -> Settings:
        """A copy with other values for those given (None keeps the current one)."""
        return replace(
            self,
            timeout=self.timeout if timeout is None else _timeout(timeout, ""),
            max_retries=self.max_retries if max_retries is None else _max_retries(max_retries, ""),
            max_image_bytes=self.max_image_bytes
            if max_image_bytes is None
            else check_max_image_bytes(max_image_bytes),
        )

    def __repr__(self) -> str:
        proxy = redact_url(self.proxy) if self.proxy else None
        return (
            f"Settings(base_url={self.base_url!r}, timeout={self.timeout!r}, "
            f"max_retries={self.max_retries!r}, proxy={proxy!r}, verify={self.verify!r}, "
            f"max_image_bytes={self.max_image_bytes!r})"
        )


def redact_url(url: str) -> str:
    """Return ``url`` with any password replaced by ``***`` (for logs, reprs and errors).

    Works on malformed URLs too (a bad port, say), since those end up in error messages.
    """
    scheme, sep, rest = url.partition("://")
    if not sep:
        scheme, rest = "", url
    authority, slash, tail = rest.partition("/")
    userinfo, at, host = authority.rpartition("@")
    if not at or ":" not in userinfo:
        return url
    user = userinfo.split(":", 1)[0]
    return f"{scheme}{sep}{user}:***@{host}{slash}{tail}"


def is_loopback(url: str) -> bool:
    """Whether ``url``'s host is this machine (``localhost``, ``*.localhost``, 127.0.0.0/8, ::1).

    The command line and ``serve`` reach such a site without the environment's proxies, which
    cannot reach this machine's own addresses.

    Example::

        is_loopback("http://127.0.0.1:8000/chat")  # True
    """
    host = urlsplit(url).hostname or ""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _pick(explicit: object, env: Mapping[str, str], name: str) -> tuple[object, str]:
    if explicit is not None:
        return explicit, ""
    raw = env.get(name)
    if raw is not None and raw.strip() != "":
        return raw.strip(), f" (from ${name})"
    return None, ""


def _base_url(value: object, source: str) -> str:
    if value is None:
        return DEFAULT_BASE_URL
    if not isinstance(value, str):
        raise InvalidRequestTypeError(f"base_url: expected a str, got {type(value).__name__}")
    shown = redact_url(value)
    try:
        parts = urlsplit(value.strip())
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        raise InvalidRequestError(f"base_url{source}: malformed URL {shown!r}") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidRequestError(
            f"base_url{source}: expected an http(s) URL such as {DEFAULT_BASE_URL!r}, got {shown!r}"
        )
    if parts.username is not None or parts.password is not None:
        raise InvalidRequestError(f"base_url{source}: expected no user or password in the URL")
    return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), parts.query, ""))


def _timeout(value: object, source: str) -> float:
    if value is None:
        return DEFAULT_TIMEOUT
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            raise InvalidRequestError(
                f"timeout{source}: expected a number of seconds, got {value!r}"
            ) from None
    return check_seconds(value, f"timeout{source}")


def check_seconds(value: object, name: str) -> float:
    """A timeout in seconds: a positive, finite number (``name`` is the field, for errors)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidRequestTypeError(
            f"{name}: expected a number of seconds, got {type(value).__name__}"
        )
    if not math.isfinite(value) or value <= 0:
        raise InvalidRequestError(
            f"{name}: expected a positive, finite number of seconds, got {value!r}"
        )
    return float(value)


def _max_retries(value: object, source: str) -> int:
    if value is None:
        return DEFAULT_MAX_RETRIES
    if isinstance(value, str):
        try:
            value = int(value)
        except ValueError:
            raise InvalidRequestError(
                f"max_retries{source}: expected a whole number, got {value!r}"
            ) from None
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidRequestTypeError(f"max_retries: expected an int, got {type(value).__name__}")
    if not 0 <= value <= MAX_RETRIES_LIMIT:
        raise InvalidRequestError(
            f"max_retries{source}: expected 0 to {MAX_RETRIES_LIMIT}, got {value}"
        )
    return value


def _proxy(value: object, source: str) -> Optional[str]:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidRequestTypeError(f"proxy: expected a URL str, got {type(value).__name__}")
    try:
        parts = urlsplit(value.strip())
        port = parts.port
    except ValueError:
        parts, port = urlsplit(""), -1
    if parts.scheme not in _PROXY_SCHEMES or not parts.hostname or port == -1:
        raise InvalidRequestError(
            f"proxy{source}: expected a URL like 'http://host:8080' or 'socks5://host:1080' "
            f"(schemes: {', '.join(_PROXY_SCHEMES)}), got {redact_url(value)!r}"
        )
    return value.strip()


def resolve_settings(
    *,
    base_url: Optional[str] = None,
    timeout: Union[float, int, None] = None,
    max_retries: Optional[int] = None,
    proxy: Optional[str] = None,
    verify: bool = True,
    max_image_bytes: Optional[int] = None,
    env: Mapping[str, str],
) -> Settings:
    """Validate the arguments, fill the gaps from ``env`` (``CHATGPT4O_*``), then defaults.

    Example::

        settings = resolve_settings(timeout=30, env=os.environ)

    Raises:
        InvalidRequestError, InvalidRequestTypeError: a bad value; the message names the
            argument (and the environment variable when the value came from there).
    """
    if not isinstance(verify, bool):
        raise InvalidRequestTypeError(f"verify: expected a bool, got {type(verify).__name__}")
    return Settings(
        base_url=_base_url(*_pick(base_url, env, ENV_BASE_URL)),
        timeout=_timeout(*_pick(timeout, env, ENV_TIMEOUT)),
        max_retries=_max_retries(*_pick(max_retries, env, ENV_MAX_RETRIES)),
        proxy=_proxy(*_pick(proxy, env, ENV_PROXY)),
        verify=verify,
        max_image_bytes=DEFAULT_MAX_IMAGE_BYTES
        if max_image_bytes is None
        else check_max_image_bytes(max_image_bytes),
    )
