"""pytest fixtures that run the local stand-in AI Power site for a test.

Registered through the ``pytest11`` entry point ``chatgpt4o``, so installing the package makes
the fixtures available everywhere::

    def test_chat(chatgpt4o_site):
        assert chatgpt4o_site.url.startswith("http://127.0.0.1:")

    def test_old_site(chatgpt4o_site_factory):
        site = chatgpt4o_site_factory("1.7")
        ...

    def test_current_plugin(chatgpt4o_site_factory):
        site = chatgpt4o_site_factory("2.4.71", bots=(5, 9))
        ...

    @pytest.mark.chatgpt4o_site(profile="1.8.79", stream=True)
    def test_streaming(chatgpt4o_site):
        ...
"""

from __future__ import annotations

from typing import Any, Callable, Iterator

import pytest

from chatgpt4o.testing._site import DEFAULT_PROFILE, LocalSite

__all__ = ["SiteFactory", "chatgpt4o_site", "chatgpt4o_site_factory"]


SiteFactory = Callable[..., LocalSite]
"""The type of ``chatgpt4o_site_factory``: call it like ``LocalSite`` to get a running site."""


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``chatgpt4o_site`` marker (``LocalSite`` arguments for the fixture)."""
    config.addinivalue_line(
        "markers",
        "chatgpt4o_site(profile='1.9.18', **kwargs): LocalSite arguments for chatgpt4o_site",
    )


@pytest.fixture
def chatgpt4o_site_factory() -> Iterator[SiteFactory]:
    """Make running ``LocalSite`` objects; every one is stopped when the test ends.

    Example:
        >>> def test_stream(chatgpt4o_site_factory):  # doctest: +SKIP
        ...     site = chatgpt4o_site_factory("1.8.79", stream=True)
    """
    sites: list[LocalSite] = []

    def make(profile: str = DEFAULT_PROFILE, **kwargs: Any) -> LocalSite:
        site = LocalSite(profile, **kwargs)
        site.start()
        sites.append(site)
        return site

    try:
        yield make
    finally:
        for site in reversed(sites):
            site.stop()


@pytest.fixture
def chatgpt4o_site(request: pytest.FixtureRequest) -> Iterator[LocalSite]:
    """A running ``LocalSite`` (profile ``"1.9.18"``, JSON replies), stopped after the test.

    ``@pytest.mark.chatgpt4o_site(profile=..., stream=..., ...)`` changes its arguments.

    Example:
        >>> def test_page(chatgpt4o_site):  # doctest: +SKIP
        ...     assert chatgpt4o_site.page_fetches == 0
    """
    marker = request.node.get_closest_marker("chatgpt4o_site")
    args: tuple[Any, ...] = marker.args if marker is not None else ()
    kwargs: dict[str, Any] = dict(marker.kwargs) if marker is not None else {}
    with LocalSite(*args, **kwargs) as site:
        yield site
