"""Fixtures for the end-to-end tests: a runner per client kind, and reusable stand-in sites.

Stopping a LocalSite takes about 50 ms (its server's poll interval), more than most of these
tests, so ``make_site`` keeps one running site per profile for the whole session and hands it to
each test emptied: no queued faults, no recorded requests, the asked-for streaming switch.
Tests of the fixtures themselves use the plugin's ``chatgpt4o_site`` as a user would.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from chatgpt4o.testing import LocalSite

from ._runner import KINDS, MakeSite, Runner


@pytest.fixture(params=KINDS)
def runner(request: pytest.FixtureRequest) -> Runner:
    """A Runner for the sync and then the async client: every test using it runs twice."""
    return Runner(request.param)


@pytest.fixture(scope="session")
def _running_sites() -> Iterator[dict[str, LocalSite]]:
    sites: dict[str, LocalSite] = {}
    try:
        yield sites
    finally:
        for site in sites.values():
            site.stop()


@pytest.fixture
def make_site(_running_sites: dict[str, LocalSite]) -> MakeSite:
    """``make_site(profile="1.9.18", *, stream=False)``: a running site with an empty log."""

    def make(profile: str = "1.9.18", *, stream: bool = False) -> LocalSite:
        site = _running_sites.get(profile)
        if site is None:
            site = _running_sites[profile] = LocalSite(profile).start()
        site.clear_faults()
        site.clear_log()
        site.stream = stream
        return site

    return make
