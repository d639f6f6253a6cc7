"""Fixtures for the server's tests: stand-in sites per profile and real uvicorn servers.

A stand-in site per profile and a server in front of it are started once per session and handed
to each test emptied (no queued faults, no recorded requests), one per streaming switch;
the server's client never retries, so a fault reaches the test at once. The tests that need the
``serve`` extra or the ``openai`` package skip without them; the pure mapping tests do not.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from ._served import Running, Serve, Served


@pytest.fixture(scope="session")
def _running() -> Iterator[Running]:
    from ._served import Running

    running = Running()
    try:
        yield running
    finally:
        running.close()


@pytest.fixture
def serve(_running: Running) -> Iterator[Serve]:
    """``serve(profile="1.9.18", *, stream=False)``: a running server (key ``API_KEY``) in front
    of a stand-in site whose faults and log are emptied; OpenAI clients made from it are closed
    after the test."""
    from ._served import Served

    made: list[Served] = []

    def make(profile: str = "1.9.18", *, stream: bool = False) -> Served:
        site = _running.site((profile, stream))
        site.clear_faults()
        site.clear_log()
        served = Served(_running.server((profile, stream)), site)
        made.append(served)
        return served

    try:
        yield make
    finally:
        for served in made:
            served.close()
