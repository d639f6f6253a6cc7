"""The pytest fixtures the package installs, used the way a user's test suite would use them."""

from __future__ import annotations

import asyncio

import pytest

import chatgpt4o
from chatgpt4o.testing import LocalSite, recorded_sleeps
from chatgpt4o.testing.pytest_plugin import SiteFactory


def test_chatgpt4o_site_with_client(chatgpt4o_site: LocalSite) -> None:
    with chatgpt4o.Client(chatgpt4o_site.url) as client:
        assert client.ask("Hello!") == "Echo: Hello!"

    assert chatgpt4o_site.profile.name == "1.9.18"
    assert chatgpt4o_site.page_fetches == 1
    assert chatgpt4o_site.posts[-1].fields["message"] == "Hello!"


@pytest.mark.chatgpt4o_site("1.8.79", stream=True)
def test_chatgpt4o_site_marker_with_async_client(chatgpt4o_site: LocalSite) -> None:
    async def main() -> str:
        async with chatgpt4o.AsyncClient(chatgpt4o_site.url) as client:
            return await client.ask('Say "hi"')

    assert asyncio.run(main()) == 'Echo: Say \\"hi\\"'  # 1.8.79 keeps magic quotes
    assert chatgpt4o_site.streams


def test_chatgpt4o_site_faults_reach_the_client(chatgpt4o_site: LocalSite) -> None:
    chatgpt4o_site.inject("rate_limit", retry_after="7")
    with recorded_sleeps() as waits, chatgpt4o.Client(chatgpt4o_site.url) as client:
        assert client.ask("again") == "Echo: again"

    assert waits == [7.0]
    assert len(chatgpt4o_site.posts) == 2


def test_chatgpt4o_site_factory_makes_several_sites(chatgpt4o_site_factory: SiteFactory) -> None:
    old = chatgpt4o_site_factory("1.7")
    new = chatgpt4o_site_factory("widget", stream=True)

    with chatgpt4o.Client(old.url) as first, chatgpt4o.Client(new.url) as second:
        assert first.ask("a") == "Echo: a"
        assert second.ask("b") == "Echo: b"

    assert old.url != new.url
    assert old.posts[0].fields["action"] == "wpaicg_chat_shortcode_message"
    assert new.posts[0].fields["action"] == "wpaicg_chatbox_message"
