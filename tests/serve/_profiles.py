"""The stand-in site variants the server is tested on, including the current plugin's.

The current plugin's profiles (``"2.4.71"``, ``"2.4.0"``) are listed already; their cases skip
while ``chatgpt4o.testing.PROFILES`` lacks them, and run as soon as the stand-in plays them.
"""

from __future__ import annotations

from typing import Any

import pytest

from chatgpt4o.testing import PROFILES

API_KEY = "test-key-not-secret"
CLIENT_TIMEOUT = 10.0  # the server's site timeout: a guard against a hang, never reached

# (profile, the site's streaming switch)
_SITES = [
    ("1.7", False),
    ("1.8.79", False),
    ("1.8.79", True),
    ("1.9.18", False),
    ("1.9.18", True),
    ("2.4.0", False),
    ("2.4.0", True),
    ("2.4.71", False),
    ("2.4.71", True),
]


def _param(profile: str, stream: bool) -> Any:
    missing = profile not in PROFILES
    return pytest.param(
        profile,
        stream,
        id=f"{profile}-{'sse' if stream else 'json'}",
        marks=pytest.mark.skipif(missing, reason=f"the stand-in has no {profile} profile yet"),
    )


SITES = [_param(profile, stream) for profile, stream in _SITES]
"""``@pytest.mark.parametrize(("profile", "stream"), SITES)``: every plugin generation."""
