"""Bad input is refused before any I/O, by both clients, with an error that names the field.

Every case runs on ``Client`` and on ``AsyncClient`` aimed at a running stand-in site, and the
site must not have seen a single request afterwards.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Callable, Optional, Union

import httpx
import pytest
import requests

import chatgpt4o
from chatgpt4o import InvalidRequestError
from chatgpt4o._constants import MAX_PROMPT_CHARS
from chatgpt4o.testing import LocalSite

Settings = Union[Mapping[str, Any], Callable[[str], Mapping[str, Any]]]
Call = Callable[[Any], Any]

HI = [{"role": "user", "content": "hi"}]
MODEL = "gpt-4o-mini"


@dataclass(frozen=True)
class Bad:
    """One invalid input: client arguments, or a call on a well-made client.

    Attributes:
        id: the test id.
        names: the error message must name one of these (the field, or the variable).
        error: ``ValueError`` or ``TypeError``.
        settings: client arguments (merged over a good ``base_url``); a callable gets the
            client kind (``"sync"`` or ``"async"``).
        call: what to do with the client; may return an awaitable, which is awaited.
        env: environment variables to set.
    """

    id: str
    names: tuple[str, ...]
    error: type[Exception]
    settings: Settings = field(default_factory=dict)
    call: Optional[Call] = None
    env: Mapping[str, str] = field(default_factory=dict)


def other_library(kind: str) -> Mapping[str, Any]:
    """The other client's HTTP library: an AsyncClient pool given to Client, and vice versa."""
    return {"http_client": httpx.AsyncClient() if kind == "sync" else requests.Session()}


def create(messages: Any, model: Any = None, **options: Any) -> Call:
    return lambda client: client.create(model, messages, **options)


def completions(**params: Any) -> Call:
    arguments = {"model": MODEL, "messages": HI, **params}
    return lambda client: client.chat.completions.create(**arguments)


def V(id: str, name: str, **kwargs: Any) -> Bad:
    return Bad(id, (name,), ValueError, **kwargs)


def T(id: str, name: str, **kwargs: Any) -> Bad:
    return Bad(id, (name,), TypeError, **kwargs)


# fmt: off
BAD = [
    # messages
    T("messages None", "messages", call=create(None)),
    T("messages int", "messages", call=create(42)),
    T("messages bytes", "messages", call=create(b"hi")),
    T("messages a dict, not a list", "messages", call=create({"role": "user", "content": "hi"})),
    V("messages empty list", "messages", call=create([])),
    T("message a str in a list", "messages[0]", call=create(["hi"])),
    V("message without role", "messages[0].role", call=create([{"content": "hi"}])),
    V("message without content", "messages[0].content", call=create([{"role": "user"}])),
    V("message unknown role", "messages[0].role",
      call=create([{"role": "robot", "content": "hi"}])),
    T("message role None", "messages[0].role", call=create([{"role": None, "content": "hi"}])),
    T("message content int", "messages[1].content",
      call=create([{"role": "system", "content": "be brief"}, {"role": "user", "content": 7}])),
    T("message content None", "messages[0].content",
      call=create([{"role": "user", "content": None}])),
    T("message content part not a mapping", "messages[0].content[0]",
      call=create([{"role": "user", "content": [42]}])),
    V("prompt blank", "messages", call=create("   \n\t")),
    V("prompt over MAX_PROMPT_CHARS", "messages", call=create("x" * (MAX_PROMPT_CHARS + 1))),
    V("conversation over MAX_PROMPT_CHARS", "messages",
      call=create([{"role": "user", "content": "y" * 40_000}] * 3)),
    Bad("ask() with an int", ("prompt", "messages"), TypeError,
        call=lambda client: client.ask(123)),
    T("stream() with None, at once", "messages", call=lambda client: client.stream(None, None)),
    # model and options
    V("unknown model", "model", call=create("hi", model="gpt-5-ultra")),
    T("model not a str", "model", call=create("hi", model=4)),
    V("bot_id negative", "bot_id", call=create("hi", bot_id=-1)),
    V("bot_id a str", "bot_id", call=create("hi", bot_id="7")),
    V("bot_id a bool", "bot_id", call=create("hi", bot_id=True)),
    # settings
    V("base_url ftp", "base_url", settings={"base_url": "ftp://127.0.0.1/"}),
    V("base_url without scheme", "base_url", settings={"base_url": "127.0.0.1:8080"}),
    T("base_url not a str", "base_url", settings={"base_url": 8080}),
    V("base_url bad port", "base_url", settings={"base_url": "http://127.0.0.1:99999"}),
    V("base_url with a password", "base_url",
      settings={"base_url": "http://user:pw@127.0.0.1/"}),
    V("proxy ftp", "proxy", settings={"proxy": "ftp://127.0.0.1:21"}),
    V("proxy without scheme", "proxy", settings={"proxy": "127.0.0.1:3128"}),
    V("proxy bad port", "proxy", settings={"proxy": "http://127.0.0.1:port"}),
    V("proxy bad port, with a password", "proxy",
      settings={"proxy": "http://user:pw@127.0.0.1:port"}),
    T("proxy not a str", "proxy", settings={"proxy": 3128}),
    V("timeout negative", "timeout", settings={"timeout": -1}),
    V("timeout zero", "timeout", settings={"timeout": 0}),
    V("timeout NaN", "timeout", settings={"timeout": float("nan")}),
    V("timeout infinite", "timeout", settings={"timeout": float("inf")}),
    V("timeout words", "timeout", settings={"timeout": "soon"}),
    T("timeout a bool", "timeout", settings={"timeout": True}),
    V("max_retries negative", "max_retries", settings={"max_retries": -1}),
    V("max_retries over 10", "max_retries", settings={"max_retries": 11}),
    T("max_retries a float", "max_retries", settings={"max_retries": 1.5}),
    T("cookies a list", "cookies", settings={"cookies": ["session=1"]}),
    T("cookie value an int", "cookies", settings={"cookies": {"session": 1}}),
    T("cookie name an int", "cookies", settings={"cookies": {1: "session"}}),
    T("headers a str", "headers", settings={"headers": "X-Test: 1"}),
    T("header value None", "headers", settings={"headers": {"X-Test": None}}),
    T("verify a str", "verify", settings={"verify": "no"}),
    V("max_image_bytes zero", "max_image_bytes", settings={"max_image_bytes": 0}),
    T("max_image_bytes a str", "max_image_bytes", settings={"max_image_bytes": "5000000"}),
    T("http_client a str", "http_client", settings={"http_client": "session"}),
    T("http_client of the other library", "http_client", settings=other_library),
    V("$CHATGPT4O_TIMEOUT words", "CHATGPT4O_TIMEOUT", env={"CHATGPT4O_TIMEOUT": "soon"}),
    V("$CHATGPT4O_MAX_RETRIES too many", "CHATGPT4O_MAX_RETRIES",
      env={"CHATGPT4O_MAX_RETRIES": "99"}),
    V("$CHATGPT4O_PROXY gopher", "CHATGPT4O_PROXY", env={"CHATGPT4O_PROXY": "gopher://h:70"}),
    V("$CHATGPT4O_BASE_URL not a URL", "CHATGPT4O_BASE_URL", settings={"base_url": None},
      env={"CHATGPT4O_BASE_URL": "chatgpt4o.one"}),
    V("with_options timeout", "timeout", call=lambda client: client.with_options(timeout=-5)),
    V("with_options max_retries", "max_retries",
      call=lambda client: client.with_options(max_retries=99)),
    # conversations
    V("conversation history mode", "history",
      call=lambda client: client.conversation(history="memory")),
    T("conversation system not a str", "system",
      call=lambda client: client.conversation(system=5)),
    V("conversation turns with a system turn", "turns",
      call=lambda client: client.conversation(turns=[{"role": "system", "content": "x"}])),
    T("conversation turns not a list", "turns", call=lambda client: client.conversation(turns=5)),
    V("conversation turn without content", "turns",
      call=lambda client: client.conversation(turns=[{"role": "user"}])),
    V("conversation unknown model", "model",
      call=lambda client: client.conversation(model="gpt-5-ultra")),
    T("conversation send an int", "text", call=lambda client: client.conversation().send(5)),
    T("conversation stream an int", "text",
      call=lambda client: client.conversation().stream(None)),
    # chat.completions
    V("completions temperature", "temperature", call=completions(temperature=0.2)),
    V("completions max_tokens", "max_tokens", call=completions(max_tokens=10)),
    V("completions tools", "tools", call=completions(tools=[{"type": "function"}])),
    V("completions n=2", "n", call=completions(n=2)),
    T("completions stream a str", "stream", call=completions(stream="yes")),
    T("completions unknown argument", "frobnicate", call=completions(frobnicate=1)),
    V("completions unknown model", "model", call=completions(model="gpt-5-ultra")),
    V("completions image part not a data URL", "messages[0].content[0].image_url.url",
      call=completions(messages=[{"role": "user", "content": [
          {"type": "image_url", "image_url": {"url": "data:,"}}]}])),
    V("completions message name", "messages[0].name",
      call=completions(messages=[{"role": "user", "content": "hi", "name": "bob"}])),
    V("completions no messages", "messages", call=completions(messages=[])),
]
# fmt: on


@pytest.fixture(scope="module")
def module_site() -> Iterator[LocalSite]:
    with LocalSite() as running:
        yield running


@pytest.fixture
def site(module_site: LocalSite, monkeypatch: pytest.MonkeyPatch) -> LocalSite:
    for name in ("CHATGPT4O_BASE_URL", "CHATGPT4O_TIMEOUT", "CHATGPT4O_MAX_RETRIES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("CHATGPT4O_PROXY", raising=False)
    module_site.clear_log()
    return module_site


def _settings(bad: Bad, kind: str, site: LocalSite) -> dict[str, Any]:
    settings = bad.settings(kind) if callable(bad.settings) else bad.settings
    return {"base_url": site.url, **settings}


def attempt_sync(bad: Bad, site: LocalSite) -> None:
    with chatgpt4o.Client(**_settings(bad, "sync", site)) as client:
        if bad.call is not None:
            bad.call(client)


async def attempt_async(bad: Bad, site: LocalSite) -> None:
    async with chatgpt4o.AsyncClient(**_settings(bad, "async", site)) as client:
        if bad.call is not None:
            result = bad.call(client)
            if inspect.isawaitable(result):
                await result


def attempt(kind: str, bad: Bad, site: LocalSite) -> None:
    if kind == "sync":
        attempt_sync(bad, site)
    else:
        asyncio.run(attempt_async(bad, site))


def test_the_table_is_large_and_covers_both_error_kinds() -> None:
    assert len(BAD) >= 30
    assert len({bad.id for bad in BAD}) == len(BAD)
    assert {bad.error for bad in BAD} == {ValueError, TypeError}


@pytest.mark.parametrize("kind", ["sync", "async"])
@pytest.mark.parametrize("bad", BAD, ids=[bad.id for bad in BAD])
def test_bad_input_is_refused_before_any_request(
    site: LocalSite, monkeypatch: pytest.MonkeyPatch, bad: Bad, kind: str
) -> None:
    for name, value in bad.env.items():
        monkeypatch.setenv(name, value)

    with pytest.raises(bad.error) as caught:
        attempt(kind, bad, site)

    assert isinstance(caught.value, InvalidRequestError), repr(caught.value)
    message = str(caught.value)
    assert any(name in message for name in bad.names), message
    assert site.requests == []


def test_an_unknown_keyword_is_a_type_error_that_names_it() -> None:
    # create() has a typed keyword-only signature, so Python itself refuses the typo, before
    # any request; chat.completions.create() takes OpenAI's names to refuse each by name.
    messages = [{"role": "user", "content": "hi"}]
    with chatgpt4o.Client("http://127.0.0.1:9") as client:
        with pytest.raises(TypeError, match="temperature"):
            client.create(None, "hi", temperature=0.2)  # type: ignore[call-arg]
        with pytest.raises(chatgpt4o.InvalidRequestTypeError, match="temprature"):
            client.chat.completions.create(model="gpt-4o-mini", messages=messages, temprature=0.2)

    async def main() -> None:
        async with chatgpt4o.AsyncClient("http://127.0.0.1:9") as client:
            with pytest.raises(TypeError, match="temperature"):
                await client.create(None, "hi", temperature=0.2)  # type: ignore[call-arg]
            with pytest.raises(chatgpt4o.InvalidRequestTypeError, match="temprature"):
                await client.chat.completions.create(
                    model="gpt-4o-mini", messages=messages, temprature=0.2
                )

    asyncio.run(main())
