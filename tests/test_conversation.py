"""Conversations (prompt and native history), with_options, and the provider's streaming."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable
from typing import Any, Callable

import pytest

import chatgpt4o
from chatgpt4o import Chatgpt4o, InvalidRequestError, InvalidRequestTypeError
from chatgpt4o._conversation import ConversationState, native_history
from chatgpt4o._provider_pool import ClientPools
from chatgpt4o.testing import LocalSite

KINDS = ["sync", "async"]
SESSION = "0b7c2d4e-5f60-4a1b-8c9d-0e1f2a3b4c5d"


def php_history(field: str) -> list[dict[str, Any]]:
    """What the plugin does with the field: delete every backslash, then json_decode."""
    decoded = json.loads(field.replace("\\", ""))
    assert isinstance(decoded, list)
    return decoded


def test_native_history_survives_the_plugins_backslash_stripping() -> None:
    turns = [
        {"role": "system", "content": "Be brief"},
        {"role": "user", "content": 'He said "hi"\\n and left\nthen é'},
        {"role": "assistant", "content": "C:\\path\ttab"},
    ]
    field = native_history(turns)
    assert php_history(field) == [
        {"id": 1, "text": "Human: Be brief"},
        {"id": 2, "text": "Human: He said 'hi'/n and left then é"},
        {"id": 3, "text": "AI: C:/path tab"},
    ]
    assert "é" in field, "non-ASCII is sent literally, never as a \\u escape"


def test_state_requests_in_both_modes() -> None:
    state = ConversationState.create(None, "Terse.", "prompt", None, client_session_id=SESSION)
    state.record("Hi", "Hello")
    call = state.prepare("Again")
    assert call.native is None
    assert call.prompt == "System: Terse.\nUser: Hi\nAssistant: Hello\nUser: Again\nAssistant:"
    native = ConversationState.create(None, None, "native", state.turns, client_session_id=SESSION)
    turn = native.prepare("Again").native
    assert turn is not None
    assert turn.wpaicg_message == "Again"
    assert php_history(turn.wpaicg_history) == [
        {"id": 1, "text": "Human: Hi"},
        {"id": 2, "text": "AI: Hello"},
    ]
    # Restored turns under a new thread id: the server holds nothing yet, so they go along.
    assert turn.aipkit_message == "User: Hi\nAssistant: Hello\nUser: Again\nAssistant:"
    restored = ConversationState.create(
        None,
        None,
        "native",
        state.turns,
        conversation_uuid=turn.conversation_uuid,
        client_session_id=SESSION,
    )
    again = restored.prepare("Again").native
    assert again is not None
    assert again.aipkit_message == "Again"
    assert again.conversation_uuid == turn.conversation_uuid


@pytest.mark.parametrize(
    ("kwargs", "error", "field"),
    [
        ({"history": "server"}, InvalidRequestError, "history"),
        ({"system": 3}, InvalidRequestTypeError, "system"),
        ({"model": "gpt-9"}, InvalidRequestError, "model"),
        ({"turns": [{"role": "system", "content": "x"}]}, InvalidRequestError, "turns"),
        ({"turns": [{"role": "user"}]}, InvalidRequestError, "turns[0].content"),
        ({"turns": 5}, InvalidRequestTypeError, "turns"),
        ({"turns": "hi"}, InvalidRequestTypeError, "turns"),
        ({"session_id": "abc"}, InvalidRequestError, "session_id"),
        ({"history": "native", "session_id": "Not Shaped"}, InvalidRequestError, "session_id"),
        ({"history": "native", "session_id": 5}, InvalidRequestTypeError, "session_id"),
        ({"conversation_uuid": "abc"}, InvalidRequestError, "conversation_uuid"),
    ],
)
def test_bad_conversation_arguments(kwargs: dict[str, Any], error: type, field: str) -> None:
    with pytest.raises(error) as info:
        ConversationState.create(
            kwargs.get("model"),
            kwargs.get("system"),
            kwargs.get("history", "prompt"),
            kwargs.get("turns"),
            kwargs.get("bot_id"),
            kwargs.get("conversation_uuid"),
            kwargs.get("session_id"),
            client_session_id=SESSION,
        )
    assert str(info.value).startswith(field)


def chat(
    kind: str,
    site: LocalSite,
    sync: Callable[[Any], Any],
    asynchronous: Callable[[Any], Awaitable[Any]],
    **conversation: Any,
) -> Any:
    """Run ``sync(conversation)`` or ``await asynchronous(conversation)`` on a fresh client."""
    if kind == "sync":
        with chatgpt4o.Client(site.url) as client:
            return sync(client.conversation(**conversation))

    async def main() -> Any:
        async with chatgpt4o.AsyncClient(site.url) as client:
            return await asynchronous(client.conversation(**conversation))

    return asyncio.run(main())


def two_turns(c: Any) -> Any:
    return c.send("first"), c.send("second"), c.to_dict()


async def two_turns_async(c: Any) -> Any:
    return await c.send("first"), await c.send("second"), c.to_dict()


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("stream", [False, True])
def test_prompt_mode_sends_the_whole_conversation(kind: str, stream: bool) -> None:
    with LocalSite("1.9.18", stream=stream) as site:
        first, second, saved = chat(kind, site, two_turns, two_turns_async, system="Be brief")
        opening = "System: Be brief\nUser: first\nAssistant:"
        assert first == f"Echo: {opening}"
        assert site.posts[1].fields["message"] == (
            f"System: Be brief\nUser: first\nAssistant: Echo: {opening}\nUser: second\nAssistant:"
        )
        assert site.posts[1].fields["wpaicg_chat_history"] == "[]"
        assert saved["turns"] == [
            {"role": "user", "content": "first"},
            {"role": "assistant", "content": first},
            {"role": "user", "content": "second"},
            {"role": "assistant", "content": second},
        ]
        assert json.loads(json.dumps(saved)) == saved


@pytest.mark.parametrize("kind", KINDS)
def test_native_mode_sends_earlier_turns_in_the_history_field(kind: str) -> None:
    with LocalSite("1.9.18") as site:
        first, second, saved = chat(kind, site, two_turns, two_turns_async, history="native")
        assert (first, second) == ("Echo: first", "Echo: second")
        fields = site.posts[1].fields
        assert fields["message"] == "second"
        assert php_history(fields["wpaicg_chat_history"]) == [
            {"id": 1, "text": "Human: first"},
            {"id": 2, "text": "AI: Echo: first"},
        ]
        assert saved["history"] == "native"


@pytest.mark.parametrize("kind", KINDS)
def test_a_saved_conversation_restores(kind: str) -> None:
    saved = {
        "model": "gpt-4o-mini",
        "system": None,
        "history": "prompt",
        "turns": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}],
    }

    def script(c: Any) -> Any:
        return c.send("c"), c.turns

    async def script_async(c: Any) -> Any:
        return await c.send("c"), c.turns

    with LocalSite("1.9.18") as site:
        reply, turns = chat(kind, site, script, script_async, **saved)
        assert site.posts[0].fields["message"] == "User: a\nAssistant: b\nUser: c\nAssistant:"
    assert len(turns) == 4
    assert turns[-1] == {"role": "assistant", "content": reply}


@pytest.mark.parametrize("kind", KINDS)
def test_conversation_stream_keeps_the_turn_once_it_ends(kind: str) -> None:
    def script(c: Any) -> Any:
        with c.stream("hello there") as stream:
            pieces = list(stream)
        return pieces, c.turns

    async def script_async(c: Any) -> Any:
        async with c.stream("hello there") as stream:
            pieces = [piece async for piece in stream]
        return pieces, c.turns

    with LocalSite("1.8.79", stream=True) as site:
        pieces, turns = chat(kind, site, script, script_async)
    assert len(pieces) > 1
    assert turns == [
        {"role": "user", "content": "hello there"},
        {"role": "assistant", "content": "".join(pieces)},
    ]


@pytest.mark.parametrize("kind", KINDS)
def test_a_failed_send_keeps_no_turn(kind: str) -> None:
    def script(c: Any) -> Any:
        with pytest.raises(chatgpt4o.APIError):
            c.send("boom")
        return c.turns

    async def script_async(c: Any) -> Any:
        with pytest.raises(chatgpt4o.APIError):
            await c.send("boom")
        return c.turns

    with LocalSite("1.9.18") as site:
        site.inject("upstream_error", msg="model overloaded")
        assert chat(kind, site, script, script_async) == []


def test_with_options_shares_pool_and_nonce_cache_and_validates() -> None:
    with LocalSite("1.9.18") as site, chatgpt4o.Client(site.url) as client:
        patient = client.with_options(timeout=30, max_retries=0)
        assert (patient.settings.timeout, patient.settings.max_retries) == (30.0, 0)
        assert (client.settings.timeout, client.settings.max_retries) == (120.0, 2)
        assert client.ask("one") == "Echo: one"
        assert patient.ask("two") == "Echo: two"
        assert site.page_fetches == 1, "the copy reused the original's tokens"
        assert patient._http is client._http
        assert patient.chat is not client.chat
        patient.close()  # does not close the shared pool
        assert client.ask("three") == "Echo: three"
        with pytest.raises(InvalidRequestError, match="timeout"):
            client.with_options(timeout=-1)


def test_async_with_options_shares_pool_and_nonce_cache() -> None:
    async def main() -> None:
        with LocalSite("1.9.18") as site:
            async with chatgpt4o.AsyncClient(site.url) as client:
                fast = client.with_options(max_retries=1)
                assert isinstance(fast, chatgpt4o.AsyncClient)
                assert await client.ask("one") == "Echo: one"
                assert await fast.ask("two") == "Echo: two"
                await fast.aclose()
                assert await client.ask("three") == "Echo: three"
                assert site.page_fetches == 1

    asyncio.run(main())


@pytest.fixture
def provider_site(monkeypatch: pytest.MonkeyPatch) -> Any:
    with LocalSite("1.8.79", stream=True) as site:
        monkeypatch.setattr(Chatgpt4o, "url", site.url)
        monkeypatch.setattr("chatgpt4o._provider._POOLS", ClientPools())
        yield site


def test_provider_streams_with_create_async_generator(provider_site: LocalSite) -> None:
    async def main() -> list[str]:
        messages = [{"role": "user", "content": "stream these words"}]
        return [piece async for piece in Chatgpt4o.create_async_generator("", messages)]

    pieces = asyncio.run(main())
    assert Chatgpt4o.supports_stream is True
    assert len(pieces) > 1
    assert "".join(pieces) == "Echo: stream these words"


def test_provider_create_completion_streams_from_sync_code(provider_site: LocalSite) -> None:
    messages = [{"role": "user", "content": "sync words"}]
    pieces = list(Chatgpt4o.create_completion("", messages, stream=True))
    assert len(pieces) > 1
    assert "".join(pieces) == "Echo: sync words"
    assert list(Chatgpt4o.create_completion("", messages)) == ["Echo: sync words"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("profile", ["2.4.71", "2.4.0"])
def test_a_restored_server_held_thread_continues_in_another_client(kind: str, profile: str) -> None:
    # The plugin finds a guest's thread by bot, conversation_uuid AND session_id: a second
    # client (another default session_id) must send the saved conversation's session_id.
    def first_client(c: Any) -> Any:
        return c.send("first"), c.to_dict()

    async def first_client_async(c: Any) -> Any:
        return await c.send("first"), c.to_dict()

    with LocalSite(profile) as site:
        reply, saved = chat(kind, site, first_client, first_client_async, history="native")
        assert set(saved) >= {"conversation_uuid", "session_id"}
        saved = json.loads(json.dumps(saved))

        if kind == "sync":
            with chatgpt4o.Client(site.url) as client:
                assert client.session_id != saved["session_id"]
                restored = client.conversation(**saved)
                restored.send("second")
                client.ask("stateless")
                own, kept = client.session_id, restored.to_dict()
        else:

            async def main() -> tuple[str, dict[str, Any]]:
                async with chatgpt4o.AsyncClient(site.url) as client:
                    assert client.session_id != saved["session_id"]
                    restored = client.conversation(**saved)
                    await restored.send("second")
                    await client.ask("stateless")
                    return client.session_id, restored.to_dict()

            own, kept = asyncio.run(main())
        resumed, stateless = site.upstream_calls[-2:]
        assert resumed.session_id == saved["session_id"]
        assert resumed.conversation_uuid == saved["conversation_uuid"]
        seen = [(turn.role, turn.content) for turn in resumed.history]
        assert seen[:2] == [("user", "first"), ("bot", reply)], "the model saw the earlier turns"
        assert resumed.message == "second"
        assert kept["session_id"] == saved["session_id"]
        # The conversation's session is its own: the client's other calls keep the client's.
        assert stateless.session_id == own != saved["session_id"]
