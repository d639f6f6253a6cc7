"""The stand-in site variants the suites run on: every wpaicg era, streaming where it can."""

from __future__ import annotations

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
