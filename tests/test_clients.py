"""Client and AsyncClient through mocked transports, from one table of cases."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Optional, Union

import pytest

from chatgpt4o import (
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    BadReplyError,
    BlockedError,
    ChatPageError,
    EndpointGoneError,
    InvalidRequestError,
    ModelError,
    NonceError,
    RateLimitError,
    TokenLimitError,
)
from tests.fakesite import HTML, JSON, PAGE, FakeSite, Runner, Step, success

KINDS = ["sync", "async"]
NONCE_18 = Step(200, b'{"status":"error","msg":"Nonce verification failed"}')
NONCE_19 = Step(403, b"The link you followed has expired.", dict(HTML))
UNAVAILABLE = Step(503, b"<h1>Service Unavailable</h1>", dict(HTML))
CHALLENGE = Step(
    403,
    b"<html><title>Just a moment...</title><div id='cf-please-wait'></div></html>",
    {**HTML, "cf-mitigated": "challenge", "Server": "cloudflare"},
)


@dataclass(frozen=True)
class Case:
    name: str
    posts: list[Step]
    expect: Union[str, type[Exception]]
    page_fetches: int
    pages: list[Optional[Step]] = field(default_factory=list)
    sleeps: Optional[list[float]] = None
    max_retries: int = 2


CASES = [
    Case("success", [Step(body=success("Hello there"))], "Hello there", 1, sleeps=[]),
    Case(
        "nonce rejected (1.8 JSON) then re-scraped",
        [NONCE_18, Step(body=success("ok"))],
        "ok",
        2,
        sleeps=[0.0],
    ),
    Case(
        "nonce rejected (1.9 403 HTML) then re-scraped",
        [NONCE_19, Step(body=success("ok"))],
        "ok",
        2,
        sleeps=[0.0],
    ),
    Case(
        "nonce re-scraped even with no retries",
        [NONCE_18, Step(body=success("ok"))],
        "ok",
        2,
        max_retries=0,
    ),
    Case("fresh nonce rejected too", [NONCE_18, NONCE_19], NonceError, 2),
    Case(
        "429 with Retry-After then success",
        [Step(429, b"slow down", {**HTML, "Retry-After": "3"}), Step(body=success("ok"))],
        "ok",
        1,
        sleeps=[3.0],
    ),
    Case(
        "429 asking for an hour is not waited for",
        [Step(429, b"", {**HTML, "Retry-After": "3600"})],
        RateLimitError,
        1,
        sleeps=[],
    ),
    Case("503 then success", [UNAVAILABLE, Step(body=success("ok"))], "ok", 1),
    Case(
        "connection error then success", [Step(error="connect"), Step(body=success("ok"))], "ok", 1
    ),
    Case("timeout then success", [Step(error="timeout"), Step(body=success("ok"))], "ok", 1),
    Case("503 until retries are exhausted", [UNAVAILABLE] * 3, APIStatusError, 1),
    Case(
        "connection errors until retries are exhausted",
        [Step(error="connect")] * 3,
        APIConnectionError,
        1,
    ),
    Case(
        "timeouts until retries are exhausted",
        [Step(error="timeout")] * 2,
        APITimeoutError,
        1,
        max_retries=1,
    ),
    Case("no retries at all", [UNAVAILABLE], APIStatusError, 1, max_retries=0, sleeps=[]),
    Case(
        "API error is not retried",
        [Step(body=b'{"status":"error","msg":"Missing API Setting"}')],
        APIError,
        1,
        sleeps=[],
    ),
    Case(
        "token limit",
        [Step(body=b'{"msg":"limit","tokenLimitReached":true}')],
        TokenLimitError,
        1,
        sleeps=[],
    ),
    Case("endpoint gone", [Step(400, b"0", dict(HTML))], EndpointGoneError, 1, sleeps=[]),
    Case("cloudflare on the POST", [CHALLENGE], BlockedError, 1, sleeps=[]),
    Case(
        "empty data",
        [Step(body=b'{"status":"success","msg":"m","data":"","log":false}')],
        BadReplyError,
        1,
        sleeps=[],
    ),
    Case(
        "PHP warning before the JSON",
        [Step(body=b"<br />\n<b>Warning</b>: x<br />\n" + success("fine"), headers=dict(HTML))],
        "fine",
        1,
    ),
    Case("cloudflare on the page", [], BlockedError, 1, pages=[CHALLENGE], sleeps=[]),
    Case(
        "page without tokens",
        [],
        ChatPageError,
        1,
        pages=[Step(200, "<html><body>no chat</body></html>", dict(HTML))],
        sleeps=[],
    ),
    Case("page 503 then page ok", [Step(body=success("ok"))], "ok", 2, pages=[UNAVAILABLE, PAGE]),
    Case(
        "page connection error then ok",
        [Step(body=success("ok"))],
        "ok",
        2,
        pages=[Step(error="connect"), PAGE],
    ),
]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_case_table(kind: str, case: Case) -> None:
    site = FakeSite(pages=list(case.pages), posts=list(case.posts))
    runner = Runner(kind, site, max_retries=case.max_retries)
    if isinstance(case.expect, str):
        assert runner.run(lambda client: client.ask("Hi")) == case.expect
    else:
        with pytest.raises(case.expect):
            runner.run(lambda client: client.ask("Hi"))
    assert site.posts == [], "every scripted POST reply was used"
    assert site.page_fetches == case.page_fetches
    if case.sleeps is not None:
        assert runner.sleeps == case.sleeps
    # Every POST carried the nonce of the page fetched last before it.
    for form in site.forms:
        assert form["_wpnonce"] in site.nonces_served


@pytest.mark.parametrize("kind", KINDS)
def test_backoff_sleeps_grow_and_stay_in_jitter_bounds(kind: str) -> None:
    site = FakeSite(posts=[UNAVAILABLE, UNAVAILABLE, UNAVAILABLE, Step(body=success("ok"))])
    runner = Runner(kind, site, max_retries=3)
    assert runner.run(lambda client: client.ask("Hi")) == "ok"
    first, second, third = runner.sleeps
    assert 0.25 <= first <= 0.5
    assert 0.5 <= second <= 1.0
    assert 1.0 <= third <= 2.0


@pytest.mark.parametrize("kind", KINDS)
def test_the_form_sent(kind: str) -> None:
    site = FakeSite(posts=[Step(body=success("ok"))])
    messages = [{"role": "system", "content": "Be brief"}, {"role": "user", "content": "Hi"}]
    Runner(kind, site).run(lambda client: client.create("gpt-4o-mini", messages))
    (form,) = site.forms
    assert form["_wpnonce"] == site.nonces_served[0]
    assert form["post_id"] == "4"
    assert form["bot_id"] == "0"
    assert form["url"] == "http://127.0.0.1:8088"
    assert form["action"] == "wpaicg_chat_shortcode_message"
    assert form["message"] == "System: Be brief\nUser: Hi\nAssistant:"
    assert form["chatbot_identity"] == "shortcode"
    assert len(form["wpaicg_chat_client_id"]) == 10
    assert form["wpaicg_chat_history"] == "[]"


def ask_twice(kind: str) -> Callable[[Any], Any]:
    """A call that asks "1" then "2" on either kind of client."""

    def sync(client: Any) -> list[str]:
        return [client.ask("1"), client.ask("2")]

    async def both(client: Any) -> list[str]:
        return [await client.ask("1"), await client.ask("2")]

    return sync if kind == "sync" else both


@pytest.mark.parametrize("kind", KINDS)
def test_tokens_are_cached_and_the_client_id_is_stable(kind: str) -> None:
    site = FakeSite(posts=[Step(body=success("a")), Step(body=success("b"))])

    assert Runner(kind, site).run(ask_twice(kind)) == ["a", "b"]
    assert site.page_fetches == 1
    assert site.forms[0]["wpaicg_chat_client_id"] == site.forms[1]["wpaicg_chat_client_id"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    ("model", "messages", "options", "error"),
    [
        ("gpt-5", "Hi", {}, ModelError),
        (None, [], {}, InvalidRequestError),
        (None, [{"role": "robot", "content": "x"}], {}, InvalidRequestError),
        (None, "Hi", {"temperature": 0.2}, TypeError),
        (None, "Hi", {"bot_id": -1}, InvalidRequestError),
    ],
)
def test_bad_input_fails_before_any_request(
    kind: str, model: Optional[str], messages: object, options: dict[str, object], error: type
) -> None:
    site = FakeSite()
    with pytest.raises(error):
        Runner(kind, site).run(lambda client: client.create(model, messages, **options))
    assert site.page_fetches == 0
    assert site.forms == []


def test_json_content_type_constant_is_what_the_plugin_sends() -> None:
    assert JSON["Content-Type"] == "application/json; charset=UTF-8"


def test_threads_sharing_a_client_fetch_the_page_once() -> None:
    import threading

    count = 16
    site = FakeSite(posts=[Step(body=success("ok"))] * count, page_delay=0.05)
    barrier = threading.Barrier(count)
    results: list[str] = []

    def call(client: object) -> list[str]:
        def worker() -> None:
            barrier.wait()
            results.append(client.ask("Hi"))  # type: ignore[attr-defined]

        threads = [threading.Thread(target=worker) for _ in range(count)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return results

    assert Runner("sync", site).run(call) == ["ok"] * count
    assert site.page_fetches == 1


def test_concurrent_async_cold_calls_fetch_the_page_once() -> None:
    import asyncio

    count = 50
    site = FakeSite(posts=[Step(body=success("ok"))] * count, page_delay=0.02)

    async def call(client: object) -> list[str]:
        return list(await asyncio.gather(*(client.ask("Hi") for _ in range(count))))  # type: ignore[attr-defined]

    assert Runner("async", site).run(call) == ["ok"] * count
    assert site.page_fetches == 1


@pytest.mark.parametrize("kind", KINDS)
def test_a_rejected_nonce_drops_the_cached_tokens(kind: str) -> None:
    # Two calls are made one after another; the second's nonce failure drops the cached tokens,
    # and the next page fetch asks past page caches.
    site = FakeSite(posts=[Step(body=success("a")), NONCE_18, Step(body=success("b"))])

    assert Runner(kind, site).run(ask_twice(kind)) == ["a", "b"]
    assert site.page_fetches == 2
    assert [form["_wpnonce"] for form in site.forms] == [
        site.nonces_served[0],
        site.nonces_served[0],
        site.nonces_served[1],
    ]
