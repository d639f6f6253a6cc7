"""The gpt4free-style Chatgpt4o provider against the stand-in site, in every plugin era."""

from __future__ import annotations

import asyncio
from typing import Callable, Union

import pytest

from chatgpt4o import Chatgpt4o, InvalidRequestError, ModelError, NonceError
from chatgpt4o._provider_pool import ClientPools
from chatgpt4o.testing import LocalSite
from tests.sites import ALL_IDS, ALL_SITES, chat_sends, sent_messages

from ._expect import CONVERSATION, FLAT, FLAT_SEEN, MESSAGE, SEEN
from ._runner import DEFAULT_TIMEOUT, MakeSite, expire_nonce, page_gets

MODEL = "gpt-4o-mini"

Point = Callable[[LocalSite], None]


@pytest.fixture
def point(monkeypatch: pytest.MonkeyPatch) -> Point:
    """``point(site)`` aims Chatgpt4o at ``site``; the provider's token cache starts empty."""
    monkeypatch.setattr("chatgpt4o._provider._POOLS", ClientPools())

    def aim(site: LocalSite) -> None:
        monkeypatch.setattr(Chatgpt4o, "url", site.url)

    return aim


def ask(messages: Union[str, list[dict[str, str]]], model: str = MODEL) -> str:
    return asyncio.run(Chatgpt4o.create_async(model, messages, timeout=DEFAULT_TIMEOUT))


@pytest.mark.parametrize(("profile", "stream"), ALL_SITES, ids=ALL_IDS)
def test_create_async_and_create_completion(
    make_site: MakeSite, point: Point, profile: str, stream: bool
) -> None:
    site = make_site(profile, stream=stream)
    point(site)

    reply = ask([{"role": "user", "content": MESSAGE}])
    completion = list(Chatgpt4o.create_completion(MODEL, CONVERSATION, timeout=DEFAULT_TIMEOUT))

    assert reply == f"Echo: {SEEN[profile]}"
    assert completion == [f"Echo: {FLAT_SEEN[profile]}"]
    # The tokens are cached per site across calls (and event loops), not fetched per call.
    assert site.page_fetches == 1
    assert sent_messages(site) == [MESSAGE, FLAT]


def test_concurrent_cold_calls_fetch_the_page_once(make_site: MakeSite, point: Point) -> None:
    site = make_site("1.8.79", stream=True)
    site.inject("slow", on="page", delay=0.2)
    point(site)
    # Each call builds its own AsyncClient (and TLS context): 16 is plenty to overlap.
    messages = [f"provider call {i}" for i in range(16)]

    async def main() -> list[str]:
        calls = (Chatgpt4o.create_async(MODEL, m, timeout=DEFAULT_TIMEOUT) for m in messages)
        return await asyncio.gather(*calls)

    replies = asyncio.run(main())

    assert replies == [f"Echo: {m}" for m in messages]
    assert site.page_fetches == 1
    assert len(chat_sends(site)) == len(messages)


def test_cached_nonce_is_refreshed_when_rejected(make_site: MakeSite, point: Point) -> None:
    # gpt4free's provider kept one nonce for the life of the process. Every era's rejection is
    # recognised by the clients (tests/e2e/test_nonce.py); this shows the provider's shared
    # token cache is renewed.
    site = make_site("1.8.79")
    point(site)

    assert ask("one") == "Echo: one"
    expire_nonce(site)
    assert ask("two") == "Echo: two"
    assert ask("three") == "Echo: three"

    assert site.page_fetches == 2
    assert len(chat_sends(site)) == 4
    assert site.posts[-1].fields["_wpnonce"] == site.nonce


def test_a_nonce_rejected_after_a_fresh_scrape_raises_typed(
    make_site: MakeSite, point: Point
) -> None:
    site = make_site("1.8.79")
    site.inject("stale_page", times=2)
    point(site)

    with pytest.raises(NonceError) as caught:
        ask("hello")

    assert isinstance(caught.value, RuntimeError)  # what gpt4free's callers catch
    first, second = page_gets(site)
    assert "nocache" not in first.query
    assert "nocache" in second.query
    assert len(chat_sends(site)) == 2


def test_bad_input_fails_before_any_request(make_site: MakeSite, point: Point) -> None:
    site = make_site()
    point(site)

    with pytest.raises(ModelError):
        ask("hello", model="gpt-5-turbo-ultra")
    with pytest.raises(InvalidRequestError):
        ask([{"role": "user"}])

    async def in_a_running_loop() -> None:
        list(Chatgpt4o.create_completion(MODEL, "hello"))

    with pytest.raises(RuntimeError, match=r"await Chatgpt4o\.create_async"):
        asyncio.run(in_a_running_loop())
    assert site.requests == []
    assert ask("hello", model="") == "Echo: hello"  # "" is the default model
