"""recorded_sleeps(): make the clients' retry waits instant, and tell what they would have been."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

__all__ = ["recorded_sleeps"]


@contextlib.contextmanager
def recorded_sleeps() -> Iterator[list[float]]:
    """Within the block, every client's retry wait is recorded instead of slept.

    For tests of code that uses chatgpt4o: retries stay real (same attempts, same order), they
    just do not take time. Applies to every Client and AsyncClient in the process.

    Example::

        with LocalSite() as site, recorded_sleeps() as sleeps:
            site.inject("rate_limit", retry_after="3")
            chatgpt4o.Client(site.url).ask("Hi")
        assert sleeps == [3.0]
    """
    from chatgpt4o import _retry  # the one client hook the stand-in knows; loaded on use

    sleeps: list[float] = []
    previous = _retry.set_sleep(sleeps.append)
    try:
        yield sleeps
    finally:
        _retry.set_sleep(previous)
