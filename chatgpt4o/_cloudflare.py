"""Recognise a Cloudflare challenge or block page, which no retry gets past.

Read by the page reader, the reply classifiers and ``chatgpt4o doctor``; a plain text search,
so it needs no HTML parser.
"""

from __future__ import annotations

import re
from typing import Mapping, Optional

__all__ = ["is_cloudflare_page"]

_MARKERS = re.compile(
    r"<title>\s*Just a moment\.\.\.\s*</title>"
    r"|<title>\s*Attention Required! \| Cloudflare\s*</title>"
    r"""|\bid\s*=\s*["']?(?:cf-please-wait|cf-cloudflare-status)\b"""
    r"|cf-spinner-please-wait"
    r"|window\._cf_chl_opt\b"
    # Bot Management injects .../challenge-platform/scripts/jsd/... into ordinary pages too.
    r"|/cdn-cgi/challenge-platform/(?!(?:h/\w+/)?scripts/jsd/)",
    re.IGNORECASE,
)


def is_cloudflare_page(html: str, headers: Optional[Mapping[str, str]] = None) -> bool:
    """Tell whether a reply is a Cloudflare challenge or block page.

    A ``cf-mitigated: challenge`` header or a challenge/block page marker in the body counts;
    the scripts Cloudflare adds to ordinary pages (email protection, bot detection) do not.

    Example::

        if is_cloudflare_page(response.text, response.headers):
            ...  # a BlockedError: retrying at once will not help

    Args:
        html: the reply body.
        headers: the reply headers, any mapping; names match case-insensitively.
    """
    if headers:
        for name, value in headers.items():
            if name.lower() == "cf-mitigated" and value.strip().lower() == "challenge":
                return True
    return _MARKERS.search(html) is not None
