"""Suite-wide: no test ever sleeps for a client retry; the waits are recorded instead."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from chatgpt4o.testing import recorded_sleeps


@pytest.fixture(autouse=True)
def retry_sleeps() -> Iterator[list[float]]:
    """The retry waits the clients asked for during the test (none are slept)."""
    with recorded_sleeps() as sleeps:
        yield sleeps
