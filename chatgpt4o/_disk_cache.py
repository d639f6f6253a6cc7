"""DiskNonceCache: a site's nonce and ids kept in a file of the user's cache directory.

The command line uses it so that a second ``chatgpt4o "…"`` skips the page fetch. The file
(mode 0600, never cookies) is ignored, costing one page fetch, when it is missing, corrupt, of
another site, too old, or one the user may not have written: owned or writable by others, not
a regular file, over ``MAX_NONCE_FILE_BYTES``, or naming an AJAX URL off its page's origin.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import stat
import sys
import tempfile
import time
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any, Callable, Optional, Union
from urllib.parse import urlsplit, urlunsplit

from ._ajax_url import ajax_url, origin
from ._constants import MAX_NONCE_FILE_BYTES, NONCE_MAX_AGE
from ._nonce_cache import NonceCache, NonceCacheState
from ._page import Page, PageChat

__all__ = ["DiskNonceCache", "cache_dir", "site_key"]

log = logging.getLogger("chatgpt4o")

_FORMAT = 1
_GENERATIONS = ("wpaicg", "aipkit")
_CHAT_TYPES = ("shortcode", "widget", "aipkit")
_STR_FIELDS = ("nonce", "post_id", "bot_id", "page_url", "ajax_url")


def cache_dir(env: Optional[dict[str, str]] = None, platform: Optional[str] = None) -> Path:
    """The user's cache directory for chatgpt4o, by the platform's convention.

    Example::

        >>> cache_dir({"XDG_CACHE_HOME": "/tmp/c"}, "linux").as_posix()
        '/tmp/c/chatgpt4o'
    """
    env = dict(os.environ) if env is None else env
    platform = sys.platform if platform is None else platform
    if platform == "win32":
        base = env.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        return Path(base) / "chatgpt4o" / "Cache"
    if platform == "darwin":
        return Path.home() / "Library" / "Caches" / "chatgpt4o"
    xdg = env.get("XDG_CACHE_HOME", "")
    base_dir = Path(xdg) if os.path.isabs(xdg) else Path.home() / ".cache"
    return base_dir / "chatgpt4o"


def site_key(base_url: str) -> str:
    """The site's chat page as the cache keys it: scheme and host lower case, no slash at the end.

    Example::

        >>> site_key("HTTPS://ChatGPT4o.one/")
        'https://chatgpt4o.one'
    """
    parts = urlsplit(base_url.strip())
    netloc = parts.netloc.lower()
    return urlunsplit((parts.scheme.lower(), netloc, parts.path.rstrip("/"), parts.query, ""))


class DiskNonceCache(NonceCache):
    """A ``NonceCache`` whose nonces and ids also live in a file, so that they outlive the process.

    One file per site (the name is a hash of the site's URL); it holds every chat (bot) the
    page offers, each with its nonce. A page is trusted for ``max_age`` seconds from when the
    page was read, by the wall clock; a nonce the site rejects is renewed as with any
    ``NonceCache`` and the file rewritten. Cookies are never written.

    Example::

        url = "https://chatgpt4o.one"
        with chatgpt4o.Client(url, nonce_cache=chatgpt4o.DiskNonceCache(url)) as client:
            client.ask("Hi")  # reads the page only when the file has no young nonce

    Args:
        base_url: the site's chat page (the client's ``base_url``).
        path: the file; default ``cache_dir() / "nonces-<hash>.json"``.
        max_age: seconds a page's nonce and ids are trusted.
        clock: wall-clock seconds since the epoch (tests pass a fake).

    Attributes:
        path: the file.
        site: the site as keyed (``site_key(base_url)``).
    """

    def __init__(
        self,
        base_url: str,
        path: Union[str, os.PathLike[str], None] = None,
        *,
        max_age: float = NONCE_MAX_AGE,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(max_age, clock)
        self.site = site_key(base_url)
        digest = hashlib.sha256(self.site.encode("utf-8")).hexdigest()[:24]
        self.path = Path(path) if path is not None else cache_dir() / f"nonces-{digest}.json"
        self._load()

    def _load(self) -> None:
        try:
            text = _read_own_file(self.path)
        except FileNotFoundError:
            return
        except (OSError, ValueError) as exc:
            log.debug("nonce cache %s: not read, ignored (%s)", self.path, exc)
            return
        try:
            self.restore(_decode(json.loads(text), self.site))
        except (ValueError, TypeError, KeyError, RecursionError) as exc:
            log.debug("nonce cache %s: not a valid cache file, ignored (%s)", self.path, exc)

    def persist(self, state: Optional[NonceCacheState]) -> None:
        """Write the cached page to the file; remove the file after ``clear()``."""
        try:
            if state is None:
                self.path.unlink(missing_ok=True)
            else:
                data = {"format": _FORMAT, "site": self.site, **asdict(state)}
                _write_private(self.path, json.dumps(data, indent=1) + "\n")
        except OSError as exc:
            log.debug("nonce cache %s: not written (%s)", self.path, exc)


def _decode(data: Any, site: str) -> NonceCacheState:
    if not isinstance(data, dict) or data.get("format") != _FORMAT:
        raise ValueError("unknown format")
    if data.get("site") != site:
        raise ValueError(f"the file is for {data.get('site')!r}, not {site!r}")
    fetched_at, rejected = data["fetched_at"], data["rejected"]
    refresh = data["refresh_supported"]
    if isinstance(fetched_at, bool) or not isinstance(fetched_at, (int, float)):
        raise ValueError("fetched_at is not a number")
    if not isinstance(rejected, bool) or not isinstance(refresh, bool):
        raise ValueError("rejected/refresh_supported are not booleans")
    page = data["page"]
    if not isinstance(page, dict) or not isinstance(page["url"], str):
        raise ValueError("page is not an object with a url")
    if not _on_site(page["url"], site):
        raise ValueError(f"the page {page['url']!r} is not on {site!r}")
    chats = page["chats"]
    if not isinstance(chats, list):
        raise ValueError("chats is not a list")
    return NonceCacheState(
        Page(page["url"], tuple(_chat(item, page["url"]) for item in chats)),
        fetched_at,
        rejected,
        refresh,
    )


def _on_site(page_url: str, site: str) -> bool:
    """Whether ``page_url`` is on ``site``'s origin (or the https one of an http site)."""
    page, home = origin(page_url), origin(site)
    return page == home or (home[:2] == ("http", page[1]) and page == ("https", page[1], 443))


def _chat(item: Any, page_url: str) -> PageChat:
    # A file from before a PageChat field existed lacks it: stale, like any other mismatch.
    if not isinstance(item, dict) or set(item) != {field.name for field in fields(PageChat)}:
        raise ValueError("a chat has other fields than PageChat")
    if item["generation"] not in _GENERATIONS or item["chat_type"] not in _CHAT_TYPES:
        raise ValueError("unknown generation or chat type")
    if not all(isinstance(item[name], str) for name in _STR_FIELDS):
        raise ValueError("a nonce or id is not a string")
    if not isinstance(item["streams"], bool) or not isinstance(item["image_upload"], bool):
        raise ValueError("streams or image_upload is not a boolean")
    if item["plugin_version"] is not None and not isinstance(item["plugin_version"], str):
        raise ValueError("plugin_version is neither a string nor null")
    # Chats are written only after ajax_url() kept them on the page's origin: another host
    # here means someone else wrote the file, to receive the next prompt and nonce.
    if ajax_url(page_url, named=item["ajax_url"]) != item["ajax_url"]:
        raise ValueError(f"the AJAX URL {item['ajax_url']!r} is not on the page's origin")
    return PageChat(**item)


def _read_own_file(path: Path) -> str:
    """The text of ``path`` if it is a small regular file the user alone can have written
    (no symlink followed, no FIFO waited on); ValueError for one not to trust."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    with os.fdopen(os.open(path, flags | getattr(os, "O_BINARY", 0)), "rb") as file:
        info = os.fstat(file.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise ValueError("not a regular file")
        _check_owner(info, "the file")
        _check_owner(os.stat(path.parent), "its directory")
        data = file.read(MAX_NONCE_FILE_BYTES + 1)
    if len(data) > MAX_NONCE_FILE_BYTES:
        raise ValueError(f"larger than {MAX_NONCE_FILE_BYTES} bytes")
    return data.decode("utf-8")


def _check_owner(info: os.stat_result, what: str) -> None:
    if not hasattr(os, "geteuid"):  # Windows: no POSIX owners or mode bits
        return
    if info.st_uid != os.geteuid():
        raise ValueError(f"{what} belongs to user id {info.st_uid}, not to this user")
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise ValueError(f"others can write {what}")


def _write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically, readable and writable by its owner only."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=".nonces-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(text)
        os.chmod(temp, 0o600)
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
