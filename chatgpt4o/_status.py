"""HTTP statuses that are not chat replies, turned into typed errors; both dialects use it."""

from __future__ import annotations

from ._cloudflare import is_cloudflare_page
from ._exceptions import (
    APIStatusError,
    BlockedError,
    EndpointGoneError,
    RateLimitError,
    body_preview,
)
from ._http import Reply, parse_retry_after

__all__ = ["BLOCK_HINT", "raise_for_status"]

BLOCK_HINT = (
    "the site is blocking automated clients; try again later, from another network, "
    "or through a proxy"
)
_BLOCKED_STATUSES = (403, 429, 503)


def raise_for_status(reply: Reply, *, action: str) -> None:
    """Raise the typed error for a reply whose status (or block page) is not a chat reply.

    Lets through 2xx replies, and 4xx/5xx ones a dialect reads itself: none here; the dialects
    call this after their own checks (the plugin's JSON errors come with 4xx statuses).

    Args:
        reply: the whole reply.
        action: the AJAX action that was asked for, named when the site does not know it.

    Raises:
        BlockedError: a Cloudflare challenge or block page.
        RateLimitError: 429.
        EndpointGoneError: WordPress's 400 ``0`` (no such action).
        APIStatusError: a redirect or any other status >= 400.
    """
    status = reply.status_code
    if 300 <= status < 400:
        location = reply.headers.get("location", "(no Location header)")
        raise APIStatusError(
            f"HTTP {status} from {reply.url}: the site redirects the chat request to "
            f"{location}; not followed, so the nonce and the message stay with the configured "
            "site. Set base_url to the site's final address.",
            status_code=status,
            body=reply.text,
            url=reply.url,
            method=reply.method,
        )
    if status < 400 and not is_cloudflare_page("", reply.headers):
        return
    text = reply.text
    if is_cloudflare_page(text, reply.headers) and (status in _BLOCKED_STATUSES or status < 400):
        raise BlockedError(
            f"HTTP {status} from {reply.url}: a Cloudflare challenge; {BLOCK_HINT}",
            status_code=status,
            url=reply.url,
            method=reply.method,
            body=text,
        )
    retry_after = parse_retry_after(reply.headers.get("retry-after"), now=reply.now)
    if status == 429:
        raise RateLimitError(
            f"HTTP 429 from {reply.url}: rate limited"
            + (f"; the site asks to wait {retry_after:g} s" if retry_after is not None else ""),
            status_code=status,
            body=text,
            url=reply.url,
            method=reply.method,
            retry_after=retry_after,
        )
    if status == 400 and text.strip() == "0":
        raise EndpointGoneError(
            f"HTTP 400 '0' from {reply.url}: the site does not handle the {action} action "
            "(the chat plugin is missing, disabled, or of another version)",
            status_code=status,
            body=text,
            url=reply.url,
            method=reply.method,
        )
    if status >= 400:
        raise APIStatusError(
            f"HTTP {status} from {reply.url}: {_describe(text)}",
            status_code=status,
            body=text,
            url=reply.url,
            method=reply.method,
            retry_after=retry_after,
        )


def _describe(text: str) -> str:
    # A person reads this message: an HTML page is named, not pasted.
    stripped = text.lstrip()
    if not stripped:
        return "an empty body"
    if stripped.startswith("<"):
        return "an HTML page, not a chat reply"
    return body_preview(stripped)
