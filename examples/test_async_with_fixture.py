"""Test async code with pytest and the shipped ``chatgpt4o_site`` fixture (no plugin needed).

Installing chatgpt4o registers the fixtures. Each ``asyncio.run`` makes its own event loop, so
the ``AsyncClient`` is made inside it: a client belongs to the loop it first ran in. Run it with
``pytest examples/test_async_with_fixture.py``, or as a script.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import sys

import pytest

import chatgpt4o
from chatgpt4o.testing import LocalSite


async def shout(client: chatgpt4o.AsyncClient, text: str) -> str:
    """The code under test: it uses the SDK like any application would."""
    return (await client.ask(text)).upper()


def test_shout(chatgpt4o_site: LocalSite) -> None:
    async def scenario() -> str:
        async with chatgpt4o.AsyncClient(chatgpt4o_site.url) as client:
            return await shout(client, "hi")

    assert asyncio.run(scenario()) == "ECHO: HI"
    assert chatgpt4o_site.posts[-1].fields["message"] == "hi"


@pytest.mark.chatgpt4o_site(profile="2.4.71")
def test_shout_on_the_current_plugin(chatgpt4o_site: LocalSite) -> None:
    async def scenario() -> list[str]:
        async with chatgpt4o.AsyncClient(chatgpt4o_site.url) as client:
            return list(await asyncio.gather(shout(client, "a"), shout(client, "b")))

    assert asyncio.run(scenario()) == ["ECHO: A", "ECHO: B"]


if __name__ == "__main__":
    report = io.StringIO()
    with contextlib.redirect_stdout(report):
        # Run as a script, this file imported chatgpt4o before pytest could rewrite its plugin.
        quiet = ["-W", "ignore::pytest.PytestAssertRewriteWarning"]
        code = pytest.main([__file__, "-q", "-p", "no:cacheprovider", *quiet])
    print("ok: the async tests passed" if code == 0 else report.getvalue())
    sys.exit(int(code))
