"""The current plugin (AI Puffer 2.3 → 2.4.71) end to end, on both clients.

What is particular to it: the two-request send, the nonce refresh action, the guest
session id, the server-held thread, several bots on one page.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

import chatgpt4o
from chatgpt4o.testing import LocalSite

from ._runner import CLIENT_DEFAULTS, MakeSite, Runner, rotate_nonce

SETTINGS: dict[str, Any] = dict(CLIENT_DEFAULTS)


@pytest.fixture
def multi_bot_site() -> Iterator[LocalSite]:
    with LocalSite("2.4.71", bots=(5, 9)) as site:
        yield site


def test_a_message_goes_out_as_the_browser_sends_it(runner: Runner, make_site: MakeSite) -> None:
    site = make_site("2.4.71")

    assert runner.run(site, "hello", "again") == ["Echo: hello", "Echo: again"]

    caches, streams = site.cache_posts, site.stream_requests
    assert [c.fields["message"] for c in caches] == ["hello", "again"]
    # Each request's fields and their order: tests/test_aipkit.py; here, what reaches the site.
    for cache in caches:
        assert cache.method == "POST"
        assert cache.fields["_ajax_nonce"] == site.nonce
        origin = cache.headers.get("origin")
        assert origin in (None, site.url)  # never a foreign Origin
    for stream in streams:
        assert stream.method == "GET"
        assert stream.content_type == ""  # no body: every field in the query string
        assert list(stream.query)[-1] == "_ajax_nonce"
        assert stream.query["post_id"] == str(site.post_id)
        assert stream.headers["accept"] == "text/event-stream"
    # Each cache key is used once, by the stream that follows its cache POST.
    assert len({s.query["cache_key"] for s in streams}) == 2
    # One guest id per client, a fresh thread per stateless call.
    assert len({s.query["session_id"] for s in streams}) == 1
    assert len({s.query["conversation_uuid"] for s in streams}) == 2
    uuid.UUID(streams[0].query["session_id"], version=4)


def test_a_rotated_nonce_is_refreshed_by_the_refresh_action(
    runner: Runner, make_site: MakeSite
) -> None:
    site = make_site("2.4.71")

    outcomes = runner.run(site, "one", rotate_nonce, "two", "three")

    assert outcomes == ["Echo: one", "Echo: two", "Echo: three"]
    assert site.page_fetches == 1
    assert len(site.nonce_refreshes) == 1
    assert [c.fields["message"] for c in site.cache_posts] == ["one", "two", "two", "three"]
    assert sum(runner.sleeps) == 0


def test_without_the_refresh_action_the_page_is_read_again(runner: Runner) -> None:
    with LocalSite("2.4.71", refresh_action=False) as site:
        outcomes = runner.run(site, "one", rotate_nonce, "two")

        assert outcomes == ["Echo: one", "Echo: two"]
        assert len(site.nonce_refreshes) == 1  # answered 400 "0"
        assert site.page_fetches == 2


def test_a_failed_stream_caches_the_message_again(runner: Runner, make_site: MakeSite) -> None:
    site = make_site("2.4.71")
    site.inject("drop", on="stream")

    assert runner.one(site, "hello") == "Echo: hello"

    assert len(site.cache_posts) == 2
    assert len(site.stream_requests) == 2
    keys = [s.query["cache_key"] for s in site.stream_requests]
    assert keys[0] != keys[1]


def test_session_id_can_be_given_and_is_kept(runner: Runner, make_site: MakeSite) -> None:
    site = make_site("2.4.71")
    session = str(uuid.uuid4())

    runner.run(site, "one", "two", session_id=session)

    assert {s.query["session_id"] for s in site.stream_requests} == {session}


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_a_native_conversation_lets_the_server_hold_the_thread(
    kind: str, make_site: MakeSite
) -> None:
    site = make_site("2.4.71")

    replies, saved = converse(kind, site, system="Be brief.", texts=["first", "second"])

    assert replies == ["Echo: System: Be brief.\nUser: first\nAssistant:", "Echo: second"]
    assert [c.fields["message"] for c in site.cache_posts] == [
        "System: Be brief.\nUser: first\nAssistant:",
        "second",
    ]
    threads = {s.query["conversation_uuid"] for s in site.stream_requests}
    assert threads == {saved["conversation_uuid"]}
    session = site.stream_requests[0].query["session_id"]
    thread = site.thread(site.bot_id, session, saved["conversation_uuid"])
    assert [turn.role for turn in thread] == ["user", "bot", "user", "bot"]
    # The model saw the first exchange from the server's thread, not from the message.
    assert [turn.content for turn in site.upstream_calls[-1].history] == [
        "System: Be brief.\nUser: first\nAssistant:",
        "Echo: System: Be brief.\nUser: first\nAssistant:",
    ]


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_a_restored_native_conversation_continues_its_thread(
    kind: str, make_site: MakeSite
) -> None:
    site = make_site("2.4.71")
    session = str(uuid.uuid4())
    _, saved = converse(kind, site, texts=["first"], session_id=session)

    replies, again = converse(kind, site, texts=["next"], restore=saved, session_id=session)

    assert replies == ["Echo: next"]
    assert again["conversation_uuid"] == saved["conversation_uuid"]
    thread = site.thread(site.bot_id, session, saved["conversation_uuid"])
    assert [turn.content for turn in thread][::2] == ["first", "next"]


def test_the_page_picks_the_bot_bot_id_another_and_an_unknown_one_lists_them(
    runner: Runner, multi_bot_site: LocalSite
) -> None:
    site = multi_bot_site

    def ask(text: str, **call: Any) -> object:
        return Runner(runner.kind, call=call).one(site, text)

    assert ask("to the first") == "Echo: to the first"
    assert ask("to nine", bot_id=9) == "Echo: to nine"
    unknown = ask("to nobody", bot_id=3)

    assert isinstance(unknown, chatgpt4o.BotNotFoundError)
    assert unknown.bots == ["5", "9"]
    assert "5, 9" in str(unknown)
    assert [c.fields["bot_id"] for c in site.cache_posts] == ["5", "9"]


@pytest.fixture
def chat_completions_site() -> Iterator[LocalSite]:
    with LocalSite("2.4.71", api_mode="chat_completions") as site:
        yield site


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_the_chat_completions_api_mode_streams_and_holds_threads(
    kind: str, chat_completions_site: LocalSite
) -> None:
    # 2.4.68+'s admin setting: no status events, no openai_response_id, deltas merged.
    site = chat_completions_site
    prompt = "count to three"
    if kind == "sync":
        with chatgpt4o.Client(site.url, **SETTINGS) as client:
            pieces = list(client.stream(None, prompt))
            whole = client.create(None, prompt)
    else:

        async def main() -> tuple[list[str], str]:
            async with chatgpt4o.AsyncClient(site.url, **SETTINGS) as client:
                async with client.stream(None, prompt) as stream:
                    streamed = [piece async for piece in stream]
                return streamed, await client.create(None, prompt)

        pieces, whole = asyncio.run(main())

    assert pieces == ["Echo: count", " to three"]
    assert whole == "Echo: count to three"
    replies, saved = converse(kind, site, texts=["first", "second"])
    assert replies == ["Echo: first", "Echo: second"]
    session = site.stream_requests[-1].query["session_id"]
    thread = site.thread(site.bot_id, session, saved["conversation_uuid"])
    assert [turn.role for turn in thread] == ["user", "bot", "user", "bot"]


def test_the_api_mode_is_checked() -> None:
    with pytest.raises(ValueError, match="api_mode"):
        LocalSite("2.4.71", api_mode="completions")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"2\.4\.68"):
        LocalSite("2.4.0", api_mode="chat_completions")


def converse(
    kind: str,
    site: LocalSite,
    *,
    texts: list[str],
    system: str | None = None,
    restore: dict[str, Any] | None = None,
    session_id: str | None = None,
) -> tuple[list[str], dict[str, Any]]:
    """Send ``texts`` in one native conversation; return the replies and its saved state."""
    settings: dict[str, Any] = {**CLIENT_DEFAULTS, "session_id": session_id}
    options: dict[str, Any] = restore or {"system": system, "history": "native"}
    if kind == "sync":
        with chatgpt4o.Client(site.url, **settings) as client:
            chat = client.conversation(**options)
            return [chat.send(text) for text in texts], chat.to_dict()

    async def main() -> tuple[list[str], dict[str, Any]]:
        async with chatgpt4o.AsyncClient(site.url, **settings) as client:
            chat = client.conversation(**options)
            return [await chat.send(text) for text in texts], chat.to_dict()

    return asyncio.run(main())
