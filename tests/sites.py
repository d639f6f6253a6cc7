"""The stand-in site variants the suites run on: every plugin era, streaming where it can."""

from __future__ import annotations

from chatgpt4o.testing import LocalSite, RecordedRequest

# (profile, the site's streaming switch)
SITES = [
    ("1.7", False),
    ("1.8.79", False),
    ("1.8.79", True),
    ("1.9.18", False),
    ("1.9.18", True),
    ("widget", False),
    ("widget", True),
]
SITE_IDS = [f"{profile}-{'sse' if stream else 'json'}" for profile, stream in SITES]
"""The old plugin (wpaicg): what the wire-level suites cover."""

AIPKIT_SITES = [
    # The current plugin: 2.4.71 always streams (cache POST, then the event stream); 2.4.0
    # follows its bot's stream switch (off: one JSON POST); 2.3.20 has no nonce refresh action.
    ("2.3.20", False),
    ("2.4.0", False),
    ("2.4.0", True),
    ("2.4.71", True),
]
AIPKIT_IDS = [f"{profile}-{'sse' if stream else 'json'}" for profile, stream in AIPKIT_SITES]

ALL_SITES = SITES + AIPKIT_SITES
ALL_IDS = SITE_IDS + AIPKIT_IDS
"""Both plugin generations: what the behaviour suites cover."""


def chat_sends(site: LocalSite) -> list[RecordedRequest]:
    """The requests that handed the site a message, whichever protocol the site speaks.

    The old plugin's chat POSTs; the current plugin's cache POSTs and JSON-path POSTs (its
    stream GETs carry no message, and its nonce refreshes none either).
    """
    if site.profile.era != "aipkit":
        return site.posts
    return [r for r in site.posts if r.action in ("aipkit_cache_sse_message", JSON_ACTION)]


def sent_messages(site: LocalSite) -> list[str]:
    """The ``message`` field of every chat send, oldest first."""
    return [request.fields["message"] for request in chat_sends(site)]


JSON_ACTION = "aipkit_frontend_chat_message"
