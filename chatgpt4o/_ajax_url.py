"""Where a chat's requests go: the AJAX URL a page names or implies, kept on the page's origin.

The nonce and the prompt only ever go to the host the user pointed the client at, whatever URL
the page names: a page served through a mirror or a cache, or tampered with, can name another.
"""

from __future__ import annotations

import re
from typing import Optional, Tuple
from urllib.parse import urljoin, urlsplit, urlunsplit

from ._constants import AJAX_PATH

__all__ = ["REST_API_REL", "ajax_url", "origin", "rest_url_from_link_header"]

REST_API_REL = "https://api.w.org/"
_LINK_HEADER_ITEM = re.compile(r"<([^>]*)>([^<]*)")
_LINK_REL = re.compile(r"""\brel\s*=\s*(?:"([^"]*)"|([^\s;,"]*))""", re.IGNORECASE)


def ajax_url(page_url: str, *, named: str = "", rest_url: Optional[str] = None) -> str:
    """The ``admin-ajax.php`` URL to post to, always on ``page_url``'s origin.

    ``named`` is the URL the page names (``wpaicgParams.ajax_url``, the config's ``ajaxUrl``);
    without one, the WordPress root that ``rest_url`` (the REST API root) implies; else the site
    root. A foreign host keeps only its path; a malformed URL gives WordPress's default path.

    Example::

        >>> ajax_url("https://site.example/chat/", named="https://other.example/x/admin-ajax.php")
        'https://site.example/x/admin-ajax.php'
        >>> ajax_url("https://site.example/blog/chat", rest_url="/blog/wp-json/")
        'https://site.example/blog/wp-admin/admin-ajax.php'
    """
    named = named.strip()
    try:
        if named:
            return _on_page_origin(named, page_url)
        root = _site_root(urljoin(page_url, rest_url)) if rest_url else ""
        return _on_page_origin(root + AJAX_PATH, page_url)
    except ValueError:
        # A malformed URL on the page (e.g. "http://[oops/"): use WordPress's default path.
        return _on_page_origin(AJAX_PATH, page_url)


def rest_url_from_link_header(link_header: Optional[str]) -> Optional[str]:
    """The REST API root a ``Link`` response header names (``rel="https://api.w.org/"``).

    Example::

        >>> rest_url_from_link_header('<https://site.example/wp-json/>; rel="https://api.w.org/"')
        'https://site.example/wp-json/'
    """
    for item in _LINK_HEADER_ITEM.finditer(link_header or ""):
        for rel in _LINK_REL.finditer(item.group(2)):
            if REST_API_REL in (rel.group(1) or rel.group(2) or "").split():
                return item.group(1).strip()
    return None


def _site_root(rest_url: str) -> str:
    """The WordPress root of a REST API URL: ``https://x/blog/wp-json/`` -> ``https://x/blog``."""
    parts = urlsplit(rest_url)
    path = parts.path
    for suffix in ("/wp-json/", "/wp-json", "/index.php"):
        if path.endswith(suffix):
            path = path[: -len(suffix)]
            break
    return urlunsplit((parts.scheme, parts.netloc, path.rstrip("/"), "", ""))


def origin(url: str) -> Tuple[str, str, Optional[int]]:
    """A URL's scheme, host and port, lower case and with the scheme's default port filled in.

    Example::

        >>> origin("HTTPS://Site.example/chat")
        ('https', 'site.example', 443)
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    return scheme, (parts.hostname or "").lower(), port or {"http": 80, "https": 443}.get(scheme)


def _on_page_origin(candidate: str, page_url: str) -> str:
    """``candidate`` resolved against the page URL and kept on the page's origin."""
    absolute = (
        candidate if candidate.startswith(("http://", "https://")) else urljoin(page_url, candidate)
    )
    if origin(absolute) == origin(page_url):
        return absolute
    # The nonce and the prompt go only to the host the user configured: keep just the path.
    target, page = urlsplit(absolute), urlsplit(page_url)
    return urlunsplit((page.scheme, page.netloc, target.path or AJAX_PATH, target.query, ""))
