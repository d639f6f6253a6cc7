"""Suite-wide: no test ever sleeps for a client retry (the waits are recorded instead), and
hypothesis runs the same modest set of examples on every run, with no deadline to miss on a
loaded machine."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import settings

from chatgpt4o.testing import recorded_sleeps

# Derandomized: the same examples every run, so a failure reproduces and a pass stays a pass.
settings.register_profile(
    "chatgpt4o", max_examples=100, deadline=None, derandomize=True, database=None
)
settings.load_profile("chatgpt4o")


@pytest.fixture(autouse=True)
def retry_sleeps() -> Iterator[list[float]]:
    """The retry waits the clients asked for during the test (none are slept)."""
    with recorded_sleeps() as sleeps:
        yield sleeps
