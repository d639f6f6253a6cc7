"""The fault table: every failure the stand-in site can serve, met by both clients and streams.

This is the suite's one table of fault scenarios: what a client makes of each failure is
asserted here, once per scenario (other tests inject faults only to reach what they look at, and
the unit tier in ``tests/test_clients.py`` keeps what mocked transports alone can show, each
HTTP library's network errors). Each case is a row:
a fault (or a warm-up script: rotated nonces, a plugin upgrade, an unreachable socket), the
outcome both ``Client`` and ``AsyncClient`` must reach (and their ``stream()`` for
``streamed`` rows), the page fetches and AJAX requests the site must record, the retry waits
asked for, and optionally a ``check`` on the error's fields. ``CASES`` covers every name in
``chatgpt4o.testing.FAULTS``.

Every row runs one script (optional warm-up steps, then one call) on a fresh client against the
stand-in site, through the end-to-end tests' ``Runner``. Retry sleeps are recorded, never slept,
so a row takes only what its fault needs (a timeout waits for real). A row shows what the call
ended with, what the site recorded (page fetches and posts, warm-up included) and how long it
took. ``test_fault_matrix.py`` asserts each row; ``python -m tests.reliability.fault_matrix``
prints them all as a Markdown table.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from email.utils import formatdate
from typing import Any, Callable, Optional, Union
from urllib.parse import urlsplit

import chatgpt4o
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
    EndpointGoneError,
    NonceError,
    PluginError,
    RateLimitError,
    TokenLimitError,
    UpstreamError,
)
from chatgpt4o.testing import Fault, LocalSite
from tests.e2e._runner import (
    BACKOFF_1,
    BACKOFF_2,
    Between,
    Outcome,
    Runner,
    Step,
    rotate_nonce,
)
from tests.sites import chat_sends

__all__ = [
    "CASES",
    "CLIENTS",
    "ROWS",
    "WARM_UP",
    "Case",
    "Check",
    "Inject",
    "Result",
    "SitePool",
    "main",
    "run_row",
]

MESSAGE = "matrix call"
NEW = "2.4.71"
ECHO = f"Echo: {MESSAGE}"
WARM_UP = "warm-up"
# What a row's timeout faults use: short, so the real wait they need stays small.
SHORT_TIMEOUT = 0.25

CLIENTS = ("Client.create", "AsyncClient.create", "Client.stream", "AsyncClient.stream")
"""How a row calls the site: the client class and its method."""


# -- steps the scripts use between calls ---------------------------------------------------


def age_nonce(site: LocalSite) -> None:
    """Move the site's clock half a nonce life on: the nonce is one tick old, still valid."""
    site.advance_clock(site.nonce_life / 2)


@dataclass
class UpgradeToAipkit:
    """Step: the site's plugin is upgraded to AI Power 2.3+ at the same address.

    The old site stops and an ``aipkit`` site takes its port, so a client holding cached
    tokens posts the old action to a site that answers every ``wpaicg_*`` request with 400 0.
    """

    sites: list[LocalSite] = field(default_factory=list)

    def __call__(self, site: LocalSite) -> None:
        port = urlsplit(site.url).port
        site.stop()
        self.sites.append(LocalSite("2.4.71", port=port or 0).start())


class Unreachable(LocalSite):
    """A site that never answers: its URL is a listening socket whose backlog is full.

    Connecting to it hangs (the kernel drops the SYNs), which makes a connect timeout on
    127.0.0.1. It is never started, so it records no requests.
    """

    def __init__(self) -> None:
        super().__init__()
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(0)
        port = self._listener.getsockname()[1]
        self._fillers: list[socket.socket] = []
        # Linux queues backlog + 1 connections; a few more make sure the queue stays full.
        for _ in range(4):
            filler = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            filler.setblocking(False)
            filler.connect_ex(("127.0.0.1", port))
            self._fillers.append(filler)
        self._url = f"http://127.0.0.1:{port}"

    @property
    def url(self) -> str:
        return self._url

    def close(self) -> None:
        for sock in (*self._fillers, self._listener):
            sock.close()


# -- the runner for stream() -----------------------------------------------------------------


@dataclass
class StreamRunner(Runner):
    """A ``Runner`` whose calls go through ``stream()``: the pieces joined, or the error.

    ``pieces`` records, per call, how many pieces arrived before it ended.
    """

    pieces: list[int] = field(default_factory=list)

    def _call_sync(self, client: chatgpt4o.Client, message: Any) -> Outcome:
        received: list[str] = []
        try:
            with client.stream(None, message, **self.call) as stream:
                received.extend(stream)
        finally:
            self.pieces.append(len(received))
        return "".join(received)

    async def _call_async(self, client: chatgpt4o.AsyncClient, message: Any) -> Outcome:
        received: list[str] = []
        try:
            async with client.stream(None, message, **self.call) as stream:
                async for piece in stream:
                    received.append(piece)
        finally:
            self.pieces.append(len(received))
        return "".join(received)


# -- the cases -------------------------------------------------------------------------------

Check = Callable[[Any], None]
"""Looks further at a row's outcome (the error raised): its ``msg``, ``status_code``..."""


@dataclass(frozen=True)
class Inject:
    """A fault for ``site.inject``; a callable parameter is called at injection time."""

    name: str
    times: int = 1
    on: Optional[str] = None
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Case:
    """A fault, the outcome every client must reach, and the traffic the site must record.

    Attributes:
        fault: the row's label.
        expect: the reply text (recovered), or the exact type of the error raised.
        pages, posts: page fetches and AJAX requests the site records, warm-up calls included.
        waits: the retry waits asked for, in order (a nonce refresh's zero wait left out).
        profile, stream: the plugin era and the site's streaming switch.
        inject: faults queued before the script runs.
        before: steps ahead of the measured call (warm-up calls, rotations); a callable
            makes them afresh for each run.
        client: extra client arguments.
        call: extra arguments of each call (a call's ``timeout`` is its AJAX requests' only).
        streamed: also run through ``stream()``.
        pieces: for ``stream()`` rows, the pieces that must arrive before the error.
        unreachable: aim at a socket that never accepts instead of a site.
        check: looks further at the outcome (the error's message, status, code, details).
    """

    fault: str
    expect: Union[str, type[Chatgpt4oError]]
    pages: int
    posts: int
    waits: tuple[Any, ...] = ()
    profile: str = "1.9.18"
    stream: bool = False
    inject: tuple[Inject, ...] = ()
    before: Union[tuple[Step, ...], Callable[[], tuple[Step, ...]]] = ()
    client: dict[str, Any] = field(default_factory=dict)
    call: dict[str, Any] = field(default_factory=dict)
    streamed: bool = False
    unreachable: bool = False
    pieces: Optional[int] = None
    check: Optional[Check] = None

    @property
    def clients(self) -> tuple[str, ...]:
        return CLIENTS if self.streamed else CLIENTS[:2]

    def steps(self) -> tuple[Step, ...]:
        return self.before() if callable(self.before) else self.before


def http_date(seconds_ahead: float) -> Callable[[], str]:
    """A ``Retry-After`` HTTP-date this far ahead, made when the fault is injected."""
    return lambda: formatdate(time.time() + seconds_ahead, usegmt=True)


def upgrade_script() -> tuple[Step, ...]:
    return (WARM_UP, UpgradeToAipkit())


# -- checks on the error raised --------------------------------------------------------------


def msg(text: str) -> Check:
    """The error carries the site's message, decoded, and shows it."""

    def check(exc: Any) -> None:
        assert exc.msg == text
        assert text in str(exc)

    return check


def status(code: int) -> Check:
    def check(exc: Any) -> None:
        assert exc.status_code == code

    return check


def retry_after(seconds: float) -> Check:
    def check(exc: Any) -> None:
        assert exc.status_code == 429
        assert exc.retry_after == seconds

    return check


def code(expected: str) -> Check:
    def check(exc: Any) -> None:
        assert exc.code == expected

    return check


def quota_notice(exc: Any) -> None:
    assert exc.msg == "You have reached your quota for this period."
    assert exc.details["quota_notice"]["type"] == "quota_notice"


# -- the site's words ------------------------------------------------------------------------

UPSTREAM = "Incorrect API key provided: 'sk-****AbCd' & \"org\" <none>. See the docs."
QUOTED = 'Invalid value for "model": gpt-x\\y'
ERROR_MODE = "The server had an error while processing your request. Sorry about that!"
LIMITED = "cURL error 28: Operation timed out after 120001 milliseconds"
TOKEN_LIMIT = "You have reached your token limit."
IP_BANNED = "You are not allowed to access this feature."
BANNED_WORD = "Your message contains prohibited words. Please modify your message and try again."
NO_API_KEY = "Unable to initialize the AI instance. Please make sure the API key is valid."
MODERATED = "Your message was flagged by the moderation system and could not be sent."
INCOMPLETE = " (Incomplete: max_output_tokens)"

SSE_SITES = ("1.8.79", "1.9.18")
NO_RETRY = {"max_retries": 0}
SHORT = {"timeout": SHORT_TIMEOUT}
JSON_PATH = "2.4.0"

# fmt: off
CASES: tuple[Case, ...] = (
    # Nonces: a rejected one is re-scraped once (every era, on create(): tests/e2e/test_nonce.py);
    # here through stream() too.
    Case("nonce rotated (1.9.18 SSE, 403 HTML)", ECHO, 2, 3, stream=True,
         before=(WARM_UP, rotate_nonce), streamed=True),
    Case("nonce 12 h old (previous tick, still valid)", ECHO, 1, 2, before=(WARM_UP, age_nonce)),
    # 429 from the host or a CDN
    Case("429, Retry-After: 2 (seconds)", ECHO, 1, 2, (2.0,),
         inject=(Inject("rate_limit", params={"retry_after": "2"}),), streamed=True),
    # The wait is the date less the client's clock: anything past the backoff's 0.5 s and up
    # to 30 s shows the date was read, however long a loaded machine takes to get there.
    Case("429, Retry-After: HTTP-date (+30 s)", ECHO, 1, 2, (Between(1.0, 30.0),),
         inject=(Inject("rate_limit", params={"retry_after": http_date(30)}),)),
    Case("429 without Retry-After: the backoff", ECHO, 1, 2, (BACKOFF_1,),
         inject=(Inject("rate_limit", params={"retry_after": None}),)),
    Case("429, Retry-After: 3600 (over the 60 s cap)", RateLimitError, 1, 1,
         inject=(Inject("rate_limit", params={"retry_after": "3600"}),),
         check=retry_after(3600.0)),
    Case("429 x3, longer than the retry budget", RateLimitError, 1, 3, (1.0, 1.0),
         inject=(Inject("rate_limit", times=3, params={"retry_after": "1"}),),
         check=retry_after(1.0)),
    Case("429 on the page fetch", ECHO, 2, 1, (2.0,),
         inject=(Inject("rate_limit", on="page", params={"retry_after": "2"}),)),
    # 5xx bursts against the default budget of 2 retries (which statuses are retried:
    # tests/test_retry.py)
    Case("503 x2, within the retry budget", ECHO, 1, 3, (BACKOFF_1, BACKOFF_2),
         inject=(Inject("server_error", times=2, params={"status": 503}),), streamed=True),
    Case("502 x3, longer than the retry budget", APIStatusError, 1, 3, (BACKOFF_1, BACKOFF_2),
         inject=(Inject("server_error", times=3, params={"status": 502}),), streamed=True,
         check=status(502)),
    Case("503 with Retry-After: 2", ECHO, 1, 2, (2.0,),
         inject=(Inject("server_error", params={"status": 503, "retry_after": "2"}),)),
    Case("504 with no retries (max_retries=0)", APIStatusError, 1, 1,
         inject=(Inject("server_error", params={"status": 504}),), client={"max_retries": 0},
         check=status(504)),
    Case("503 x3 within 3 retries: the backoff doubles", ECHO, 1, 4,
         (BACKOFF_1, BACKOFF_2, Between(1.0, 2.0)), inject=(Inject("server_error", times=3),),
         client={"max_retries": 3}),
    Case("503 x2 on the page fetch", ECHO, 3, 1, (BACKOFF_1, BACKOFF_2),
         inject=(Inject("server_error", times=2, on="page"),)),
    Case("503 x3 on the page fetch, longer than the retry budget", APIStatusError, 3, 0,
         (BACKOFF_1, BACKOFF_2), inject=(Inject("server_error", times=3, on="page"),),
         check=status(503)),
    # the connection closes with no reply
    Case("dropped connection", ECHO, 1, 2, (BACKOFF_1,), inject=(Inject("drop"),),
         streamed=True),
    Case("dropped connection x3", APIConnectionError, 1, 3, (BACKOFF_1, BACKOFF_2),
         inject=(Inject("drop", times=3),)),
    Case("dropped connection on the page fetch", ECHO, 2, 1, (BACKOFF_1,),
         inject=(Inject("drop", on="page"),)),
    # Timeouts wait for real, SHORT_TIMEOUT per attempt, and only the requests meant to time
    # out get it (a call's timeout= is its AJAX requests'; the page fetch keeps the client's).
    # That a timed-out request is retried: tests/test_clients.py.
    Case("connect timeout (backlog full)", APITimeoutError, 0, 0, (BACKOFF_1,),
         client={"timeout": SHORT_TIMEOUT, "max_retries": 1}, unreachable=True),
    Case("read timeout on the POST", APITimeoutError, 1, 1,
         inject=(Inject("slow", params={"delay": 1.0}),), client=NO_RETRY, call=SHORT,
         streamed=True),
    Case("read timeout on the page fetch", APITimeoutError, 1, 0,
         inject=(Inject("slow", on="page", params={"delay": 1.0}),),
         client={"timeout": SHORT_TIMEOUT, "max_retries": 0}),
    Case("slow POST within the timeout", ECHO, 1, 1,
         inject=(Inject("slow", params={"delay": 0.1}),), client={"timeout": 2.0}),
    # bodies that are not a chat reply
    Case("truncated JSON", BadReplyError, 1, 1, inject=(Inject("truncated_json"),),
         streamed=True),
    Case("HTML where JSON was expected", BadReplyError, 1, 1, inject=(Inject("html"),)),
    Case("HTML 500 where JSON was expected: retried", ECHO, 1, 2, (BACKOFF_1,),
         inject=(Inject("html", params={"status": 500}),)),
    Case("HTML where the chat page was expected", ChatPageError, 1, 0,
         inject=(Inject("html", on="page"),)),
    # Cloudflare: blocked, at once, never retried (whatever the status: tests/test_retry.py)
    Case("Cloudflare challenge on the page fetch (503)", BlockedError, 1, 0,
         inject=(Inject("cloudflare", on="page", params={"status": 503}),), check=status(503)),
    Case("Cloudflare challenge on the POST (403)", BlockedError, 1, 1,
         inject=(Inject("cloudflare", on="post", params={"status": 403}),), streamed=True,
         check=status(403)),
    Case("400 0: upgraded to AI Power 2.3+ under a cached nonce", EndpointGoneError, 1, 2,
         before=upgrade_script),
    Case("AI Puffer 2.4.71 page: the stream pair", ECHO, 1, 2, profile="2.4.71"),
    # the plugin's own answers (old plugin)
    Case("empty data", BadReplyError, 1, 1, inject=(Inject("empty_data"),)),
    Case("upstream error (status: error)", PluginError, 1, 1,
         inject=(Inject("upstream_error", params={"msg": UPSTREAM}),), check=msg(UPSTREAM)),
    Case("upstream error with streaming on (1.8.79)", PluginError, 1, 1, profile="1.8.79",
         stream=True, inject=(Inject("upstream_error", params={"msg": UPSTREAM}),),
         streamed=True, pieces=0, check=msg(UPSTREAM)),
    *(
        Case(f"token limit ({label})", TokenLimitError, 1, 1, profile=profile, stream=stream,
             inject=(Inject("token_limit"),), streamed=stream, pieces=0, check=msg(TOKEN_LIMIT))
        for profile, stream, label in (
            ("1.7", False, "1.7, JSON"),
            ("1.8.79", True, "1.8.79, SSE flag line"),
        )
    ),
    *(
        Case(f"{label} ({'SSE' if stream else 'JSON'})", ContentFlaggedError, 1, 1,
             stream=stream, inject=(Inject(name),), streamed=stream, pieces=0, check=msg(text))
        for name, label, text in (
            ("banned_ip", "banned IP", IP_BANNED),
            ("banned_word", "banned word", BANNED_WORD),
        )
        for stream in (False, True)
    ),
    Case("no API key on the site (1.7, before the nonce check)", PluginError, 1, 1,
         profile="1.7", inject=(Inject("no_api_key"),), check=msg("Missing API Setting")),
    *(
        Case(f"no API key on the site ({profile})", PluginError, 1, 1, profile=profile,
             inject=(Inject("no_api_key"),), check=msg(NO_API_KEY))
        for profile in ("1.8.79", "1.9.18")
    ),
    Case("PHP warning before the JSON", ECHO, 1, 1, inject=(Inject("php_warning"),)),
    Case("PHP warning before the JSON (1.8.79)", ECHO, 1, 1, profile="1.8.79",
         inject=(Inject("php_warning"),)),
    Case("PHP warning before the SSE", ECHO, 1, 1, stream=True,
         inject=(Inject("php_warning"),), streamed=True),
    # the old plugin's event stream
    *(
        case
        for profile in SSE_SITES
        for case in (
            Case(f"stream cut after 3 events ({profile})", BadReplyError, 1, 1, profile=profile,
                 stream=True, inject=(Inject("stream_cut", params={"after": 3}),),
                 streamed=True, pieces=2),
            Case(f"stream cut before any event ({profile})", BadReplyError, 1, 1,
                 profile=profile, stream=True,
                 inject=(Inject("stream_cut", params={"after": 0}),), streamed=True, pieces=0),
        )
    ),
    *(
        Case(f"error mode{' doubled' if doubled else ''} ({profile})", UpstreamError, 1, 1,
             profile=profile, stream=True,
             inject=(Inject("error_mode", params={"doubled": doubled}),), streamed=True,
             pieces=0, check=msg(ERROR_MODE))
        for profile in SSE_SITES
        for doubled in (False, True)
    ),
    Case("error mode with a quote in a word (invalid JSON)", UpstreamError, 1, 1, stream=True,
         inject=(Inject("error_mode", params={"msg": QUOTED}),), streamed=True, pieces=0,
         check=msg(QUOTED)),
    Case("error mode with the site's streaming off (1.8.79)", UpstreamError, 1, 1,
         profile="1.8.79", inject=(Inject("error_mode"),), check=msg(ERROR_MODE)),
    *(
        Case(f"[LIMITED] ({profile})", UpstreamError, 1, 1, profile=profile, stream=True,
             inject=(Inject("limited"),), streamed=True, pieces=0, check=msg(LIMITED))
        for profile in SSE_SITES
    ),
    *(
        Case(f"flag {kind}{' then the stream' if then else ''}", error, 1, 1, stream=True,
             inject=(Inject("flag", params={"kind": kind, "msg": f"refused: {kind}",
                                            "continue_stream": then}),),
             streamed=True, pieces=0, check=msg(f"refused: {kind}"))
        for kind, error, then in (
            ("tokenLimitReached", TokenLimitError, True),
            ("ipBanned", ContentFlaggedError, False),
            ("messageFlagged", ContentFlaggedError, False),
            ("pineconeError", UpstreamError, False),
        )
    ),
    Case("slow stream", ECHO, 1, 1, stream=True,
         inject=(Inject("slow_stream", params={"chunk_delay": 0.02}),), streamed=True),
    Case("slow stream with the site's streaming off (1.8.79)", ECHO, 1, 1, profile="1.8.79",
         inject=(Inject("slow_stream", params={"chunk_delay": 0.02}),)),
    Case("slow stream stalls past the read timeout", APITimeoutError, 1, 1, stream=True,
         inject=(Inject("slow_stream", params={"chunk_delay": 1.0}),), client=NO_RETRY,
         call=SHORT, streamed=True, pieces=0),
    # The current plugin (2.4.71): a call is a cache POST and a stream GET, so 2 AJAX requests.
    # A rotated nonce, with and without the refresh action: tests/e2e/test_aipkit.py.
    Case("2.4.71 stale cached page: refresh action", ECHO, 1, 4, profile=NEW,
         inject=(Inject("stale_page"),)),
    Case("2.4.71 nonce rejected in the stream", ECHO, 1, 5, profile=NEW,
         inject=(Inject("nonce_expired", on="stream"),), streamed=True),
    Case("2.4.71 nonce rejected after a refresh too", NonceError, 1, 3, profile=NEW,
         inject=(Inject("nonce_expired", times=2, on="cache"),)),
    Case("2.4.71 429 on the cache POST", ECHO, 1, 3, (1.0,), profile=NEW,
         inject=(Inject("rate_limit"),), streamed=True),
    Case("2.4.71 429 on the stream: cached again", ECHO, 1, 4, (1.0,), profile=NEW,
         inject=(Inject("rate_limit", on="stream"),)),
    Case("2.4.71 503 on the cache POST", ECHO, 1, 3, (BACKOFF_1,), profile=NEW,
         inject=(Inject("server_error"),)),
    Case("2.4.71 503 x2 on the stream: cached again each time", ECHO, 1, 6,
         (BACKOFF_1, BACKOFF_2), profile=NEW,
         inject=(Inject("server_error", times=2, on="stream"),), streamed=True),
    Case("2.4.71 dropped cache POST", ECHO, 1, 3, (BACKOFF_1,), profile=NEW,
         inject=(Inject("drop"),)),
    Case("2.4.71 dropped stream x3", APIConnectionError, 1, 6, (BACKOFF_1, BACKOFF_2),
         profile=NEW, inject=(Inject("drop", times=3, on="stream"),)),
    Case("2.4.71 read timeout on the cache POST", APITimeoutError, 1, 1, profile=NEW,
         inject=(Inject("slow", params={"delay": 1.0}),), client=NO_RETRY, call=SHORT),
    Case("2.4.71 Cloudflare on the cache POST", BlockedError, 1, 1, profile=NEW,
         inject=(Inject("cloudflare"),), streamed=True, check=status(403)),
    Case("2.4.71 HTML where the cache JSON was expected", BadReplyError, 1, 1, profile=NEW,
         inject=(Inject("html"),)),
    Case("2.4.71 cross-origin refusal", AccessDeniedError, 1, 1, profile=NEW,
         inject=(Inject("cross_origin"),),
         check=msg("Embed feature is not available with your current plan.")),
    Case("2.4.71 guests disabled", AccessDeniedError, 1, 2, profile=NEW,
         inject=(Inject("guests_disabled"),), streamed=True,
         check=msg("Access disabled for guests.")),
    Case("2.4.71 quota reached", TokenLimitError, 1, 2, profile=NEW,
         inject=(Inject("quota"),), streamed=True, check=quota_notice),
    Case("2.4.71 banned word", ContentFlaggedError, 1, 2, profile=NEW,
         inject=(Inject("banned_word"),),
         check=msg("Sorry, your message could not be sent as it contains prohibited words.")),
    Case("2.4.71 banned IP", ContentFlaggedError, 1, 2, profile=NEW,
         inject=(Inject("banned_ip"),),
         check=msg("Access from your IP address has been blocked.")),
    Case("2.4.71 moderation", ContentFlaggedError, 1, 2, profile=NEW,
         inject=(Inject("moderation"),), check=msg(MODERATED)),
    Case("2.4.71 unknown bot", PluginError, 1, 2, profile=NEW, inject=(Inject("unknown_bot"),),
         check=msg("Invalid chatbot specified.")),
    Case("2.4.71 no API key on the site", PluginError, 1, 2, profile=NEW,
         inject=(Inject("no_api_key"),), check=msg("API key missing for OpenAI.")),
    Case("2.4.71 upstream 500: re-sent on a fresh thread", ECHO, 1, 4, (BACKOFF_1,),
         profile=NEW, streamed=True,
         inject=(Inject("api_error", params={"status": 500, "msg": "boom", "code": "500"}),)),
    Case("2.4.71 upstream 401 (bad key)", UpstreamError, 1, 2, profile=NEW,
         inject=(Inject("api_error"),), streamed=True, check=code("upstream_refused")),
    Case("2.4.71 upstream response failed: re-sent", ECHO, 1, 4, (BACKOFF_1,), profile=NEW,
         inject=(Inject("response_failed"),)),
    Case("2.4.71 upstream connection error: re-sent", ECHO, 1, 4, (BACKOFF_1,), profile=NEW,
         inject=(Inject("connection_error"),)),
    # Transient before any piece, so re-sent above; after pieces, the model has run: raised.
    Case("2.4.71 upstream connection error after 2 pieces: not re-sent", UpstreamError, 1, 2,
         profile=NEW, inject=(Inject("connection_error", params={"after": 2}),), streamed=True,
         pieces=2, check=code("upstream")),
    Case("2.4.71 upstream connection error x3", UpstreamError, 1, 6, (BACKOFF_1, BACKOFF_2),
         profile=NEW, inject=(Inject("connection_error", times=3),)),
    Case("2.4.71 no data from the model", ECHO, 1, 4, (BACKOFF_1,), profile=NEW,
         inject=(Inject("no_data"),)),
    Case("2.4.71 no data from the model x3", UpstreamError, 1, 6, (BACKOFF_1, BACKOFF_2),
         profile=NEW, inject=(Inject("no_data", times=3),), check=code("upstream")),
    Case("2.4.71 incomplete reply: the warning appended as the page shows it",
         f"{ECHO}\n\n*{INCOMPLETE}*", 1, 2, profile=NEW, inject=(Inject("warning"),)),
    Case("2.4.71 stream cut after 3 pieces", BadReplyError, 1, 2, profile=NEW,
         inject=(Inject("stream_cut", params={"after": 3}),), streamed=True, pieces=3),
    Case("2.4.71 slow stream", ECHO, 1, 2, profile=NEW,
         inject=(Inject("slow_stream", params={"chunk_delay": 0.02}),)),
    Case("2.4.71 truncated cache JSON", BadReplyError, 1, 1, profile=NEW,
         inject=(Inject("truncated_json"),)),
    Case("2.4.71 PHP warning before the cache JSON", ECHO, 1, 2, profile=NEW,
         inject=(Inject("php_warning"),)),
    # 2.4.0 with its bot's stream switch off: one JSON POST
    Case("2.4.0 JSON path nonce rejected: refresh action", ECHO, 1, 3, profile=JSON_PATH,
         inject=(Inject("nonce_expired"),), streamed=True),
    Case("2.4.0 JSON path 429", ECHO, 1, 2, (1.0,), profile=JSON_PATH,
         inject=(Inject("rate_limit"),)),
    Case("2.4.0 JSON path quota (429)", TokenLimitError, 1, 1, profile=JSON_PATH,
         inject=(Inject("quota"),), check=status(429)),
    Case("2.4.0 JSON path guests disabled (429)", AccessDeniedError, 1, 1, profile=JSON_PATH,
         inject=(Inject("guests_disabled"),), check=status(429)),
    Case("2.4.0 JSON path upstream 401 (bad key)", UpstreamError, 1, 1, profile=JSON_PATH,
         inject=(Inject("api_error"),), check=code("upstream_refused")),
    Case("2.4.0 JSON path upstream connection error: re-sent", ECHO, 1, 2, (BACKOFF_1,),
         profile=JSON_PATH,
         inject=(Inject("connection_error"),), streamed=True),
    Case("2.4.0 JSON path incomplete reply: the warning appended", f"{ECHO}{INCOMPLETE}", 1, 1,
         profile=JSON_PATH, inject=(Inject("warning"),)),
)
# fmt: on

ROWS: tuple[tuple[Case, str], ...] = tuple(
    (case, client) for case in CASES for client in case.clients
)
"""Every (case, client) pair the matrix runs."""


# -- running ---------------------------------------------------------------------------------


class SitePool:
    """Running stand-in sites, one per profile, handed out emptied (as in tests/e2e).

    A site that a case stops or replaces is started afresh, never pooled.
    """

    def __init__(self) -> None:
        self._sites: dict[str, LocalSite] = {}
        self._others: list[LocalSite] = []

    def get(self, profile: str, *, stream: bool) -> LocalSite:
        site = self._sites.get(profile)
        if site is None:
            site = self._sites[profile] = LocalSite(profile).start()
        site.clear_faults()
        site.clear_log()
        site.stream = stream
        return site

    def fresh(self, profile: str, *, stream: bool) -> LocalSite:
        site = LocalSite(profile, stream=stream).start()
        self._others.append(site)
        return site

    def adopt(self, sites: Sequence[LocalSite]) -> None:
        self._others.extend(sites)

    def close(self) -> None:
        for site in (*self._sites.values(), *self._others):
            site.stop()
        self._sites.clear()
        self._others.clear()

    def __enter__(self) -> SitePool:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


@dataclass(frozen=True)
class Result:
    """What one row did.

    Attributes:
        outcome: the measured call's reply text or error.
        earlier: the outcomes of the warm-up calls.
        pages, posts: what the site (or sites) recorded.
        sends: the requests among ``posts`` that handed the site a message.
        waits: the retry waits the client asked for, zero waits left out.
        pieces: for a stream, the pieces that arrived before the call ended.
        pending: faults the site still had queued afterwards.
        site_errors: exceptions the site's model raised.
    """

    case: Case
    client: str
    outcome: Outcome
    earlier: list[Outcome]
    pages: int
    posts: int
    sends: int
    waits: list[float]
    pieces: Optional[int]
    pending: list[Fault]
    site_errors: list[BaseException]


def _site_for(case: Case, pool: SitePool) -> LocalSite:
    if case.unreachable:
        return Unreachable()
    if callable(case.before):  # a site of its own: never share it
        return pool.fresh(case.profile, stream=case.stream)
    return pool.get(case.profile, stream=case.stream)


def run_row(case: Case, client: str, pool: SitePool) -> Result:
    """Run ``case`` once through ``client`` (one of ``CLIENTS``) and report what happened."""
    kind = "sync" if client.startswith("Client") else "async"
    runner = (StreamRunner if client.endswith("stream") else Runner)(kind, call=case.call)
    site = _site_for(case, pool)
    steps = case.steps()
    try:
        for fault in case.inject:
            params = {k: v() if callable(v) else v for k, v in fault.params.items()}
            site.inject(fault.name, times=fault.times, on=fault.on, **params)
        outcomes = runner.run(site, *steps, MESSAGE, **case.client)
    finally:
        if isinstance(site, Unreachable):
            site.close()
    sites = [site, *(s for step in steps for s in getattr(step, "sites", []))]
    pool.adopt(sites[1:])
    return Result(
        case=case,
        client=client,
        outcome=outcomes[-1],
        earlier=outcomes[:-1],
        pages=sum(s.page_fetches for s in sites),
        posts=sum(len(s.posts) for s in sites),
        sends=sum(len(chat_sends(s)) for s in sites),
        waits=[s for s in runner.sleeps if s > 0],
        pieces=runner.pieces[-1] if isinstance(runner, StreamRunner) else None,
        pending=[f for s in sites for f in s.pending_faults],
        site_errors=[e for s in sites for e in s.errors],
    )


def run_all(rows: Sequence[tuple[Case, str]] = ROWS) -> Iterator[tuple[Result, float]]:
    """Run ``rows`` against one pool of sites, yielding each result and its wall time (s).

    The time is for the printed table only: the tests never look at it.
    """
    with SitePool() as pool:
        for case, client in rows:
            started = time.perf_counter()
            result = run_row(case, client, pool)
            yield result, time.perf_counter() - started


# -- printing --------------------------------------------------------------------------------


def describe(result: Result) -> str:
    """The outcome column: "reply" or "recovered" (after a retry or re-scrape), or the error;
    a reply other than the echo the row expects is quoted."""
    outcome = result.outcome
    if isinstance(outcome, str):
        calls = len(result.earlier) + 1
        retried = result.sends > calls or result.pages > 1
        text = "recovered" if retried else "reply"
        if outcome == result.case.expect:
            return text if outcome == ECHO else f"{text} {outcome!r}"
        return f"wrong reply {outcome!r}"
    text = type(outcome).__name__
    if result.pieces:
        text += f" after {result.pieces} pieces"
    return text


def _waits(result: Result) -> str:
    return ", ".join(f"{w:.2g}" for w in result.waits) or "-"


def table(results: Sequence[tuple[Result, float]]) -> str:
    """The results, each with its wall time, as a Markdown table."""
    lines = [
        "| fault | client | outcome | page fetches | posts | retry waits (s, faked) | time ms |",
        "|---|---|---|---:|---:|---|---:|",
    ]
    for r, seconds in results:
        lines.append(
            f"| {r.case.fault} | {r.client} | {describe(r)} | {r.pages} | {r.posts} "
            f"| {_waits(r)} | {seconds * 1000:.0f} |"
        )
    return "\n".join(lines)


def main() -> None:
    """Run every row and print the matrix as a Markdown table."""
    results = list(run_all())
    print(table(results))
    slowest, seconds = max(results, key=lambda timed: timed[1])
    faults = {fault.name for case in CASES for fault in case.inject}
    print(
        f"\n{len(results)} rows, {len(CASES)} cases over {len(faults)} faults; slowest "
        f"{seconds * 1000:.0f} ms ({slowest.case.fault}, {slowest.client})."
    )


if __name__ == "__main__":
    main()
