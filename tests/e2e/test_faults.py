"""Every fault the stand-in can play, on both clients: the outcome and what the site saw."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from email.utils import formatdate
from typing import Any, Callable, Optional, Union

import pytest

from chatgpt4o import (
    AccessDeniedError,
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    BadReplyError,
    BlockedError,
    Chatgpt4oError,
    ChatPageError,
    ContentFlaggedError,
    NonceError,
    PluginError,
    RateLimitError,
    TokenLimitError,
    UpstreamError,
)
from chatgpt4o.testing import FAULTS

from ._runner import BACKOFF_1, BACKOFF_2, Between, MakeSite, Runner

MESSAGE = "hello there"
ECHO = f"Echo: {MESSAGE}"
UPSTREAM = "Incorrect API key provided: 'sk-****AbCd' & \"org\" <none>. See the docs."
QUOTED = 'Invalid value for "model": gpt-x\\y'
ERROR_MODE = "The server had an error while processing your request. Sorry about that!"
LIMITED = "cURL error 28: Operation timed out after 120001 milliseconds"
TOKEN_LIMIT = "You have reached your token limit."
IP_BANNED = "You are not allowed to access this feature."
BANNED_WORD = "Your message contains prohibited words. Please modify your message and try again."
NO_API_KEY = "Unable to initialize the AI instance. Please make sure the API key is valid."

Check = Callable[[Any], None]


@dataclass(frozen=True)
class Case:
    """A fault, the outcome it must give (reply text or error type), and the traffic it causes.

    ``waits`` are the retry waits the client must ask for, in order (a nonce refresh retries
    without waiting, so zero-second sleeps are left out). ``params`` go to ``site.inject``; a
    callable one is called at injection time. ``check`` looks further at the error raised.
    """

    id: str
    fault: str
    expect: Union[str, type[Chatgpt4oError]]
    pages: int
    posts: int
    waits: list[Any]
    times: int = 1
    on: Optional[str] = None
    params: dict[str, Any] = field(default_factory=dict)
    profile: str = "1.9.18"
    stream: bool = False
    client: dict[str, Any] = field(default_factory=dict)
    check: Optional[Check] = None


def code(expected: str) -> Check:
    def check(exc: Any) -> None:
        assert exc.code == expected

    return check


def quota_notice(exc: Any) -> None:
    assert exc.msg == "You have reached your quota for this period."
    assert exc.details["quota_notice"]["type"] == "quota_notice"


def status(code: int) -> Check:
    def check(exc: Any) -> None:
        assert exc.status_code == code

    return check


def msg(text: str, exact: Optional[type[Exception]] = None) -> Check:
    """The error carries the site's message, decoded, and shows it; optionally its exact type."""

    def check(exc: Any) -> None:
        assert exc.msg == text
        assert text in str(exc)
        if exact is not None:
            assert type(exc) is exact

    return check


def retry_after(seconds: float) -> Check:
    def check(exc: Any) -> None:
        assert exc.status_code == 429
        assert exc.retry_after == seconds

    return check


def http_date(seconds_ahead: float) -> Callable[[], str]:
    return lambda: formatdate(time.time() + seconds_ahead, usegmt=True)


FAST_TIMEOUT = {"timeout": 0.3, "max_retries": 0}
SSE_SITES = ("1.8.79", "1.9.18")

# fmt: off
EDGE_CASES = [
    # 429 from the host: Retry-After honoured (seconds or HTTP-date), up to a cap
    Case("rate_limit Retry-After seconds", "rate_limit", ECHO, 1, 2, [3.0],
         params={"retry_after": "3"}),
    Case("rate_limit Retry-After HTTP-date", "rate_limit", ECHO, 1, 2, [Between(3.5, 5.0)],
         params={"retry_after": http_date(5)}),
    Case("rate_limit without Retry-After", "rate_limit", ECHO, 1, 2, [BACKOFF_1],
         params={"retry_after": None}),
    Case("rate_limit asking too long is not waited for", "rate_limit", RateLimitError, 1, 1, [],
         params={"retry_after": "3600"}, check=retry_after(3600.0)),
    Case("rate_limit beyond the retry budget", "rate_limit", RateLimitError, 1, 3, [1.0, 1.0],
         times=3, params={"retry_after": "1"}, check=retry_after(1.0)),
    Case("rate_limit on the page", "rate_limit", ECHO, 2, 1, [2.0],
         on="page", params={"retry_after": "2"}),
    # 5xx from the host or a proxy
    *(
        Case(f"server_error {code} once", "server_error", ECHO, 1, 2, [BACKOFF_1],
             params={"status": code})
        for code in (500, 502, 503, 504)
    ),
    Case("server_error 503 with Retry-After", "server_error", ECHO, 1, 2, [2.0],
         params={"status": 503, "retry_after": "2"}),
    Case("server_error beyond the retry budget", "server_error", APIStatusError, 1, 3,
         [BACKOFF_1, BACKOFF_2], times=3, params={"status": 502}, check=status(502)),
    Case("server_error without retries", "server_error", APIStatusError, 1, 1, [],
         params={"status": 504}, client={"max_retries": 0}, check=status(504)),
    Case("server_error on the page", "server_error", ECHO, 2, 1, [BACKOFF_1], on="page"),
    Case("server_error on the page beyond the retry budget", "server_error", APIStatusError,
         3, 0, [BACKOFF_1, BACKOFF_2], times=3, on="page", check=status(503)),
    # the connection closes with no reply
    Case("drop once", "drop", ECHO, 1, 2, [BACKOFF_1]),
    Case("drop beyond the retry budget", "drop", APIConnectionError, 1, 3,
         [BACKOFF_1, BACKOFF_2], times=3),
    Case("drop on the page", "drop", ECHO, 2, 1, [BACKOFF_1], on="page"),
    # slower than the client's timeout
    Case("slow post", "slow", APITimeoutError, 1, 1, [],
         params={"delay": 2.0}, client=FAST_TIMEOUT),
    Case("slow page", "slow", APITimeoutError, 1, 0, [],
         on="page", params={"delay": 2.0}, client=FAST_TIMEOUT),
    Case("slow post once, then answered", "slow", ECHO, 1, 2, [BACKOFF_1],
         params={"delay": 2.0}, client={"timeout": 0.3, "max_retries": 1}),
    Case("slow but within the timeout", "slow", ECHO, 1, 1, [],
         params={"delay": 0.1}, client={"timeout": 2.0}),
    # Cloudflare: blocked, at once, never retried
    *(
        Case(f"cloudflare {code} on the {on}", "cloudflare", BlockedError, 1,
             1 if on == "post" else 0, [], on=on, params={"status": code}, check=status(code))
        for on in ("post", "page")
        for code in (403, 503, 429)
    ),
    # WordPress's critical-error page where JSON (or the chat page) was expected
    Case("html instead of JSON", "html", BadReplyError, 1, 1, []),
    Case("html 500 instead of JSON", "html", ECHO, 1, 2, [BACKOFF_1], params={"status": 500}),
    Case("html instead of the chat page", "html", ChatPageError, 1, 0, [], on="page"),
]

REPLY_CASES = [
    Case("truncated_json", "truncated_json", BadReplyError, 1, 1, []),
    Case("empty_data", "empty_data", BadReplyError, 1, 1, []),
    Case("php_warning", "php_warning", ECHO, 1, 1, []),
    Case("php_warning 1.8.79", "php_warning", ECHO, 1, 1, [], profile="1.8.79"),
    Case("php_warning before SSE", "php_warning", ECHO, 1, 1, [], stream=True),
    Case("upstream_error", "upstream_error", PluginError, 1, 1, [],
         params={"msg": UPSTREAM}, check=msg(UPSTREAM, exact=PluginError)),
    Case("upstream_error with streaming on", "upstream_error", PluginError, 1, 1, [],
         params={"msg": UPSTREAM}, profile="1.8.79", stream=True,
         check=msg(UPSTREAM, exact=PluginError)),
    *(
        Case(f"token_limit {profile}{' sse' if stream else ''}", "token_limit", TokenLimitError,
             1, 1, [], profile=profile, stream=stream, check=msg(TOKEN_LIMIT))
        for profile, stream in (
            ("1.7", False), ("1.8.79", False), ("1.8.79", True), ("1.9.18", False),
            ("1.9.18", True), ("widget", False),
        )
    ),
    *(
        Case(f"{name}{' sse' if stream else ''}", name, ContentFlaggedError, 1, 1, [],
             stream=stream, check=msg(text))
        for name, text in (("banned_ip", IP_BANNED), ("banned_word", BANNED_WORD))
        for stream in (False, True)
    ),
    Case("no_api_key 1.7 (before the nonce check)", "no_api_key", PluginError, 1, 1, [],
         profile="1.7", check=msg("Missing API Setting", exact=PluginError)),
    Case("no_api_key 1.8.79", "no_api_key", PluginError, 1, 1, [],
         profile="1.8.79", check=msg(NO_API_KEY, exact=PluginError)),
    Case("no_api_key 1.9.18", "no_api_key", PluginError, 1, 1, [],
         check=msg(NO_API_KEY, exact=PluginError)),
    *(
        Case(f"nonce_expired {profile}", "nonce_expired", ECHO, 2, 2, [], profile=profile)
        for profile in ("1.7", "1.8.79", "1.9.18", "widget")
    ),
    Case("nonce_expired twice", "nonce_expired", NonceError, 2, 2, [], times=2),
    Case("stale_page", "stale_page", ECHO, 2, 2, []),
    Case("stale_page twice", "stale_page", NonceError, 2, 2, [], times=2),
]

STREAM_CASES = [
    *(
        Case(f"stream_cut after {after} {profile}", "stream_cut", BadReplyError, 1, 1, [],
             params={"after": after}, profile=profile, stream=True)
        for profile in SSE_SITES
        for after in (0, 3)
    ),
    *(
        Case(f"error_mode{' doubled' if doubled else ''} {profile}", "error_mode", UpstreamError,
             1, 1, [], params={"doubled": doubled}, profile=profile, stream=True,
             check=msg(ERROR_MODE, exact=UpstreamError))
        for profile in SSE_SITES
        for doubled in (False, True)
    ),
    Case("error_mode with a quote in a word (invalid JSON)", "error_mode", UpstreamError, 1, 1, [],
         params={"msg": QUOTED}, stream=True, check=msg(QUOTED, exact=UpstreamError)),
    Case("error_mode with the site's streaming off", "error_mode", UpstreamError, 1, 1, [],
         profile="1.8.79", check=msg(ERROR_MODE, exact=UpstreamError)),
    *(
        Case(f"limited {profile}", "limited", UpstreamError, 1, 1, [], profile=profile, stream=True,
             check=msg(LIMITED, exact=UpstreamError))
        for profile in SSE_SITES
    ),
    *(
        Case(f"flag {kind}{' then the stream' if then else ''}", "flag", error, 1, 1, [],
             params={"kind": kind, "msg": f"refused: {kind}", "continue_stream": then},
             stream=True, check=msg(f"refused: {kind}", exact=error))
        for kind, error in (
            ("tokenLimitReached", TokenLimitError),
            ("ipBanned", ContentFlaggedError),
            ("messageFlagged", ContentFlaggedError),
            ("pineconeError", UpstreamError),
        )
        for then in (False, True)
    ),
    Case("slow_stream", "slow_stream", ECHO, 1, 1, [],
         params={"chunk_delay": 0.02}, stream=True),
    Case("slow_stream with the site's streaming off", "slow_stream", ECHO, 1, 1, [],
         params={"chunk_delay": 0.02}, profile="1.8.79"),
    Case("slow_stream stalls past the read timeout", "slow_stream", APITimeoutError, 1, 1, [],
         params={"chunk_delay": 1.0}, stream=True, client=FAST_TIMEOUT),
]
# fmt: on

# The current plugin. A call is a cache POST and a stream GET (2 AJAX requests) on 2.4.71,
# one JSON POST on 2.4.0 with the stream switch off. Refusals keep the site's words.
NEW = "2.4.71"
MODERATED = "Your message was flagged by the moderation system and could not be sent."
JSON_PATH = "2.4.0"
# fmt: off
AIPKIT_CASES = [
    Case("aipkit rate_limit", "rate_limit", ECHO, 1, 3, [1.0], profile=NEW),
    Case("aipkit rate_limit on the stream", "rate_limit", ECHO, 1, 4, [1.0], on="stream",
         profile=NEW),
    Case("aipkit server_error", "server_error", ECHO, 1, 3, [BACKOFF_1], profile=NEW),
    Case("aipkit server_error on the stream re-caches", "server_error", ECHO, 1, 4, [BACKOFF_1],
         on="stream", profile=NEW),
    Case("aipkit drop", "drop", ECHO, 1, 3, [BACKOFF_1], profile=NEW),
    Case("aipkit drop on the stream re-caches", "drop", ECHO, 1, 4, [BACKOFF_1], on="stream",
         profile=NEW),
    Case("aipkit slow", "slow", APITimeoutError, 1, 1, [], params={"delay": 1.0},
         profile=NEW, client=FAST_TIMEOUT),
    Case("aipkit cloudflare", "cloudflare", BlockedError, 1, 1, [], profile=NEW,
         check=status(403)),
    Case("aipkit html", "html", BadReplyError, 1, 1, [], profile=NEW),
    Case("aipkit stale_page: refresh action", "stale_page", ECHO, 1, 4, [], profile=NEW),
    Case("aipkit nonce_expired: refresh action", "nonce_expired", ECHO, 1, 4, [], profile=NEW),
    Case("aipkit nonce_expired on the stream", "nonce_expired", ECHO, 1, 5, [], on="stream",
         profile=NEW),
    Case("aipkit truncated_json", "truncated_json", BadReplyError, 1, 1, [], profile=NEW),
    Case("aipkit php_warning", "php_warning", ECHO, 1, 2, [], profile=NEW),
    Case("aipkit no_api_key", "no_api_key", PluginError, 1, 2, [], profile=NEW,
         check=msg("API key missing for OpenAI.", exact=PluginError)),
    Case("aipkit banned_ip", "banned_ip", ContentFlaggedError, 1, 2, [], profile=NEW,
         check=msg("Access from your IP address has been blocked.")),
    Case("aipkit banned_word", "banned_word", ContentFlaggedError, 1, 2, [], profile=NEW,
         check=msg("Sorry, your message could not be sent as it contains prohibited words.")),
    Case("aipkit moderation", "moderation", ContentFlaggedError, 1, 2, [], profile=NEW,
         check=msg(MODERATED)),
    Case("aipkit guests_disabled", "guests_disabled", AccessDeniedError, 1, 2, [], profile=NEW,
         check=msg("Access disabled for guests.")),
    Case("aipkit cross_origin", "cross_origin", AccessDeniedError, 1, 1, [], profile=NEW,
         check=msg("Embed feature is not available with your current plan.")),
    Case("aipkit quota", "quota", TokenLimitError, 1, 2, [], profile=NEW,
         check=quota_notice),
    Case("aipkit unknown_bot", "unknown_bot", PluginError, 1, 2, [], profile=NEW,
         check=msg("Invalid chatbot specified.", exact=PluginError)),
    Case("aipkit api_error 401 is not retried", "api_error", UpstreamError, 1, 2, [],
         profile=NEW, check=code("upstream_refused")),
    Case("aipkit api_error 500 is retried", "api_error", ECHO, 1, 4, [BACKOFF_1],
         params={"status": 500, "msg": "boom", "code": "500"}, profile=NEW),
    Case("aipkit response_failed is retried", "response_failed", ECHO, 1, 4, [BACKOFF_1],
         profile=NEW),
    Case("aipkit connection_error is retried", "connection_error", ECHO, 1, 4, [BACKOFF_1],
         profile=NEW),
    Case("aipkit no_data is retried", "no_data", ECHO, 1, 4, [BACKOFF_1], profile=NEW),
    Case("aipkit upstream failure every time", "no_data", UpstreamError, 1, 6,
         [BACKOFF_1, BACKOFF_2], times=3, profile=NEW, check=code("upstream")),
    Case("aipkit warning is appended as the page shows it", "warning",
         f"{ECHO}\n\n* (Incomplete: max_output_tokens)*", 1, 2, [], profile=NEW),
    Case("aipkit stream_cut", "stream_cut", BadReplyError, 1, 2, [], profile=NEW),
    Case("aipkit slow_stream", "slow_stream", ECHO, 1, 2, [],
         params={"chunk_delay": 0.02}, profile=NEW),
    Case("aipkit json path rate_limit", "rate_limit", ECHO, 1, 2, [1.0], profile=JSON_PATH),
    Case("aipkit json path nonce_expired", "nonce_expired", ECHO, 1, 3, [], profile=JSON_PATH),
    Case("aipkit json path quota", "quota", TokenLimitError, 1, 1, [], profile=JSON_PATH,
         check=status(429)),
    Case("aipkit json path guests_disabled", "guests_disabled", AccessDeniedError, 1, 1, [],
         profile=JSON_PATH, check=status(429)),
    Case("aipkit json path api_error 401", "api_error", UpstreamError, 1, 1, [],
         profile=JSON_PATH, check=code("upstream_refused")),
    Case("aipkit json path connection_error is retried", "connection_error", ECHO, 1, 2,
         [BACKOFF_1], profile=JSON_PATH),
    Case("aipkit json path warning", "warning", f"{ECHO} (Incomplete: max_output_tokens)", 1,
         1, [], profile=JSON_PATH),
]
# fmt: on

CASES = EDGE_CASES + REPLY_CASES + STREAM_CASES + AIPKIT_CASES


def test_every_fault_is_covered() -> None:
    assert {case.fault for case in CASES} == set(FAULTS)
    assert len({case.id for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_fault(runner: Runner, make_site: MakeSite, case: Case) -> None:
    site = make_site(case.profile, stream=case.stream)
    params = {key: value() if callable(value) else value for key, value in case.params.items()}
    site.inject(case.fault, times=case.times, on=case.on, **params)

    outcome = runner.one(site, MESSAGE, **case.client)

    if isinstance(case.expect, str):
        assert outcome == case.expect
    else:
        assert isinstance(outcome, case.expect), repr(outcome)
        if case.check is not None:
            case.check(outcome)
    assert site.page_fetches == case.pages
    assert len(site.posts) == case.posts
    assert [s for s in runner.sleeps if s > 0] == case.waits
    assert site.pending_faults == []  # the fault met the requests it was meant for
    assert site.errors == []
