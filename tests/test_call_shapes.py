"""Call shapes: typed per-call options, closed clients, result dumps, provider settings."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any, ClassVar

import httpx
import pytest
import requests

import chatgpt4o
from chatgpt4o import Chatgpt4o
from chatgpt4o._provider_pool import ClientPools
from chatgpt4o.testing import LocalSite
from tests.sites import chat_sends

SETTINGS: dict[str, Any] = {"timeout": 5, "verify": False}


@pytest.fixture(params=["1.9.18", "2.4.71"])
def site(request: pytest.FixtureRequest) -> Iterator[LocalSite]:
    with LocalSite(request.param) as running:
        yield running


def run(kind: str, site: LocalSite, call: Any, **settings: Any) -> Any:
    """``call(client)`` on a fresh client of ``kind``; awaited for the async client."""
    if kind == "sync":
        with chatgpt4o.Client(site.url, **{**SETTINGS, **settings}) as client:
            return call(client)

    async def main() -> Any:
        async with chatgpt4o.AsyncClient(site.url, **{**SETTINGS, **settings}) as client:
            return await call(client)

    return asyncio.run(main())


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_extra_headers_reach_the_site_on_every_request_of_the_call(
    kind: str, site: LocalSite
) -> None:
    reply = run(kind, site, lambda c: c.ask("hi", extra_headers={"X-Trace": "abc"}))

    assert reply == "Echo: hi"
    ajax = site.posts
    assert ajax
    assert all(r.headers.get("x-trace") == "abc" for r in ajax)


THEIR_HEADERS = {"User-Agent": "their-agent/1.0", "X-Theirs": "kept"}


def ask_hi(client: Any) -> Any:
    """``client.ask("hi")``: a str, or an awaitable of one for the async client."""
    return client.ask("hi")


def ask_through_their_session(kind: str, site: LocalSite, **settings: Any) -> str:
    """``ask("hi")`` on a client given a session of the user's own, with headers of its own."""
    if kind == "sync":
        with requests.Session() as session:
            session.headers.update(THEIR_HEADERS)
            reply: str = run(kind, site, ask_hi, http_client=session, **settings)
            return reply

    async def main() -> str:
        async with (
            httpx.AsyncClient(headers=THEIR_HEADERS) as http,
            chatgpt4o.AsyncClient(site.url, http_client=http, **SETTINGS, **settings) as client,
        ):
            return await client.ask("hi")

    return asyncio.run(main())


@pytest.mark.parametrize("passed_in", [False, True], ids=["own session", "session passed in"])
@pytest.mark.parametrize("kind", ["sync", "async"])
def test_the_clients_headers_reach_the_site_on_every_request(
    kind: str, site: LocalSite, passed_in: bool
) -> None:
    settings: dict[str, Any] = {"headers": {"Accept-Language": "fr-FR"}}
    if passed_in:
        reply = ask_through_their_session(kind, site, **settings)
    else:
        reply = run(kind, site, ask_hi, **settings)

    assert reply == "Echo: hi"
    received = site.requests
    assert {r.method for r in received} >= {"GET", "POST"}
    for request in received:
        assert request.headers.get("user-agent", "").startswith("Mozilla/5.0"), request
        assert request.headers.get("referer") == site.url + "/"
        assert request.headers.get("accept-language") == "fr-FR"
        assert request.headers.get("x-theirs") == ("kept" if passed_in else None)
        # A browser sends Origin with a POST, not with a same-origin GET.
        expected_origin = site.url if request.method == "POST" else None
        assert request.headers.get("origin") == expected_origin, request


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_an_origin_in_the_clients_headers_replaces_the_pages(kind: str, site: LocalSite) -> None:
    origin = site.url.replace("127.0.0.1", "localhost")
    if site.profile.origin_gate:
        # The current plugin refuses a foreign Origin, and the client says so.
        with pytest.raises(chatgpt4o.AccessDeniedError):
            run(kind, site, ask_hi, headers={"origin": origin})
    else:
        assert run(kind, site, ask_hi, headers={"origin": origin}) == "Echo: hi"

    posts = [r for r in site.requests if r.method == "POST"]
    assert posts
    assert all(r.headers.get("origin") == origin for r in posts)


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_a_per_call_timeout_overrides_the_clients(kind: str, site: LocalSite) -> None:
    site.inject("slow", delay=1.0)
    with pytest.raises(chatgpt4o.APITimeoutError) as caught:
        run(kind, site, lambda c: c.ask("hi", timeout=0.2), max_retries=0)
    assert "0.2 s" in str(caught.value)
    assert caught.value.method == "POST"


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_a_closed_client_says_so(kind: str, site: LocalSite) -> None:
    if kind == "sync":
        client = chatgpt4o.Client(site.url, **SETTINGS)
        client.close()
        with pytest.raises(chatgpt4o.ClientClosedError, match="closed"):
            client.ask("hi")
        with pytest.raises(chatgpt4o.ClientClosedError):
            client.stream(None, "hi")
    else:

        async def main() -> None:
            client = chatgpt4o.AsyncClient(site.url, **SETTINGS)
            await client.aclose()
            with pytest.raises(chatgpt4o.ClientClosedError, match="closed"):
                await client.ask("hi")

        asyncio.run(main())
    assert site.requests == []


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_a_lone_surrogate_is_bad_input_before_any_request(kind: str, site: LocalSite) -> None:
    with pytest.raises(chatgpt4o.InvalidRequestError, match="messages"):
        run(kind, site, lambda c: c.ask("bad \ud800 text"))
    assert site.requests == []


@pytest.mark.parametrize("value", ["Not-A-Key!", "x" * 65, ""])
def test_a_bad_session_id_names_the_field(value: str) -> None:
    with pytest.raises(chatgpt4o.InvalidRequestError, match="session_id"):
        chatgpt4o.Client("http://127.0.0.1:9", session_id=value)


def test_completions_dump_as_openai_python_does(site: LocalSite) -> None:
    messages = [{"role": "user", "content": "hi"}]
    with chatgpt4o.Client(site.url, **SETTINGS) as client:
        completion = client.chat.completions.create(model="gpt-4o-mini", messages=messages)
        chunks = list(
            client.chat.completions.create(model="gpt-4o-mini", messages=messages, stream=True)
        )

    assert completion.model_dump() == completion.to_dict()
    assert json.loads(completion.to_json())["choices"][0]["message"]["content"] == "Echo: hi"
    assert all(json.loads(chunk.to_json(indent=None))["id"] == chunks[0].id for chunk in chunks)


def test_with_options_shares_the_pool_and_nonce_cache_but_has_its_own_chat(site: LocalSite) -> None:
    with chatgpt4o.Client(site.url, **SETTINGS) as client:
        patient = client.with_options(timeout=30, max_retries=5)
        assert client.ask("one") == "Echo: one"
        assert patient.ask("two") == "Echo: two"
        assert patient.chat is not client.chat
        assert patient.chat is patient.chat
        patient.close()  # the copy does not close the shared pool
        assert client.ask("three") == "Echo: three"
    assert site.page_fetches == 1


class _Provider(Chatgpt4o):
    default_model: ClassVar[str] = "house-model"
    models: ClassVar[list[str]] = ["house-model"]
    model_aliases: ClassVar[dict[str, str]] = {"house": "house-model"}


def test_get_model_honours_a_subclass() -> None:
    assert _Provider.get_model("") == "house-model"
    assert _Provider.get_model("house") == "house-model"
    with pytest.raises(chatgpt4o.ModelError):
        _Provider.get_model("gpt-4o-mini")


def test_the_provider_reads_the_environment_and_pools_one_client_per_loop(
    site: LocalSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("chatgpt4o._provider._POOLS", ClientPools())
    monkeypatch.setenv("CHATGPT4O_BASE_URL", site.url)
    monkeypatch.setenv("CHATGPT4O_TIMEOUT", "7")
    messages = [{"role": "user", "content": "hi"}]

    async def main() -> list[Any]:
        replies = [await Chatgpt4o.create_async("", messages) for _ in range(3)]
        pooled = chatgpt4o._provider._POOLS.client(None, None, None)
        return [replies, pooled.settings.timeout, pooled.base_url]

    replies, timeout, base_url = asyncio.run(main())

    assert replies == ["Echo: hi"] * 3
    assert (timeout, base_url) == (7.0, site.url)
    assert site.page_fetches == 1
    assert len(chat_sends(site)) == 3


def test_the_provider_follows_a_change_of_the_base_url_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("chatgpt4o._provider._POOLS", ClientPools())
    messages = [{"role": "user", "content": "hi"}]

    async def ask(*sites: LocalSite) -> list[str]:
        replies = []
        for site in sites:
            monkeypatch.setenv("CHATGPT4O_BASE_URL", site.url)
            replies.append(await Chatgpt4o.create_async("", messages))
        return replies

    with LocalSite() as first, LocalSite() as second:
        assert asyncio.run(ask(first, second)) == ["Echo: hi"] * 2  # one loop: pooled clients
        assert asyncio.run(ask(second)) == ["Echo: hi"]  # a new loop: shared page tokens
        assert (len(chat_sends(first)), len(chat_sends(second))) == (1, 2)
