"""LocalSite: the stand-in AI Power site, an HTTP/1.1 server on a background thread."""

from __future__ import annotations

import contextlib
import secrets
import socket
import sys
import threading
import time
from dataclasses import replace
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Callable, Collection, Iterable, Literal, Sequence
from urllib.parse import urlsplit

from chatgpt4o.testing._aipkit import ACTION_TARGETS, AipkitPlugin
from chatgpt4o.testing._aipkit_page import AipkitPage, render_aipkit_page
from chatgpt4o.testing._aipkit_store import Turn, UpstreamCall
from chatgpt4o.testing._aipkit_wire import (
    CACHE_ACTION,
    HISTORY_ACTION,
    JSON_ACTION,
    REFRESH_ACTION,
    STREAM_ACTION,
)
from chatgpt4o.testing._faults import (
    AIPKIT_TARGETS,
    STREAM_FAULTS,
    Fault,
    FaultQueue,
    Target,
    fault_eras,
    make_fault,
)
from chatgpt4o.testing._nonce import (
    AIPKIT_ACTION,
    CHAT_ACTION,
    DEFAULT_LIFE,
    IMG_ACTION,
    REST_ACTION,
    create_nonce,
    verify_nonce,
)
from chatgpt4o.testing._pages import SITE_TITLE, PageTokens, render_page
from chatgpt4o.testing._php import addslashes, php_json, sanitize_key, sanitize_text_field
from chatgpt4o.testing._profiles import Profile, get_profile
from chatgpt4o.testing._recording import (
    RecordedRequest,
    header_dict,
    parse_cookies,
    parse_form,
    parse_query,
)
from chatgpt4o.testing._replies import (
    BANNED_WORD,
    FLAG_MESSAGES,
    IP_BANNED,
    NO_API_KEY,
    NO_API_KEY_17,
    NOTHING_INPUTTED,
    PHP_WARNING,
    Reply,
    ajax_zero,
    cloudflare_reply,
    completion_events,
    critical_error_page,
    edge_error,
    error_mode_events,
    error_payload,
    flag_event,
    greeting,
    html_reply,
    json_reply,
    limited_events,
    nonce_failure,
    not_found_page,
    rest_index,
    sse_reply,
    stream_end,
    success_payload,
    token_limit_payload,
    upstream_error_payload,
)

CHAT_ACTIONS = frozenset({"wpaicg_chat_shortcode_message", "wpaicg_chatbox_message"})
DEFAULT_PROFILE = "1.9.18"
MAX_BODY = 16 * 1024 * 1024
_POST_IDS = {"1.7": 2, "1.8.79": 4, "1.9.18": 12, "widget": 123, "2.3.20": 6, "2.4.0": 9}
_POST_IDS["2.4.71"] = 6
_BOT_IDS = {"2.3.20": 5, "2.4.0": 8, "2.4.71": 5}  # as on the recorded sites


def echo(message: str) -> str:
    """The default model: ``"Echo: <message>"``, so each reply shows which request it answers.

    Example:
        >>> echo("hi")
        'Echo: hi'

    Args:
        message: the message as the plugin passed it to the model.
    """
    return f"Echo: {message}"


def _bot_ids(bots: Iterable[int] | None, drafts: Iterable[int], default: int) -> tuple[int, ...]:
    if default == 0:
        return ()
    ids: list[int] = []
    for bot in [*(bots if bots is not None else (default,)), *drafts]:
        if isinstance(bot, bool) or not isinstance(bot, int) or bot < 1:
            raise ValueError(f"bot ids must be positive ints, got {bot!r}")
        if bot not in ids:  # a bot renders once per page
            ids.append(bot)
    return tuple(ids)


class LocalSite:
    """A local stand-in for a WordPress site running the AI Power chat plugin.

    It serves the chat page at ``/`` and the plugin's AJAX endpoint, makes and checks real
    WordPress nonces, replies with each plugin era's exact bytes (JSON or SSE), records every
    request and plays queued faults (rate limits, Cloudflare, dropped connections, ...).

    Example:
        >>> with LocalSite("1.8.79", stream=True) as site:  # doctest: +SKIP
        ...     html = urllib.request.urlopen(site.url).read()
        ...     site.inject("rate_limit", retry_after="3")

    Args:
        profile: the plugin era, a key of ``PROFILES`` (``"1.7"``, ``"1.8.79"``, ``"1.9.18"``,
            ``"widget"``; AIPKit: ``"2.3.20"``, ``"2.4.0"``, ``"2.4.71"``).
        stream: the plugin's server-side streaming switch (SSE replies); 1.7 ignores it. On
            AIPKit 2.3 .. 2.4.0 it is the bots' ``streamEnabled`` (both paths answer anyway);
            2.4.71 always streams.
        host: the address to listen on.
        port: the port; 0 picks a free one.
        nonce_life: WordPress's ``nonce_life`` in seconds (a nonce lives 1/2 to 1 of it).
        clock: returns the Unix time; ``time.time`` by default.
        answer: the model: maps the message the plugin sees to the reply text (``echo`` by
            default, on every profile).
        ajax_path: the AJAX endpoint's path (security plugins rename it, e.g. ``"/rizq"``).
        minified: serve the chat element minified (unquoted values, single spaces; wpaicg
            pages only).
        model: AIPKit: a richer model that gets the whole ``UpstreamCall`` (system prompt,
            replayed history, current message); overrides ``answer``.
        bots: AIPKit: the published chatbots on the page, in page order (default: the
            recorded site's, 5 on 2.4.71 and 2.3.20, 8 on 2.4.0).
        draft_bots: AIPKit: bots on the page whose post is a draft: the page renders them but
            the chat refuses them ("Invalid chatbot specified.").
        popup: AIPKit: render bots as popups (``div.aipkit_popup_wrapper[data-config]`` in the
            footer): ``True`` for all, or the IDs of those that are.
        refresh_action: AIPKit: whether ``aipkit_get_frontend_chat_nonce`` exists (``None``:
            as the profile; ``False`` answers ``400 0`` as 2.3.20 .. 2.3.40 did).
        guest_limit: AIPKit: the bots' guest token limit per ``session_id`` (``None``
            unlimited, ``0`` guests disabled); tokens are words of the model's input plus
            output, so ``1`` lets exactly one message through, as on the recorded site.
        banned_words: AIPKit: the global banned words (whole words, any case).
        banned_ips: AIPKit: the global banned IPs (exact ``REMOTE_ADDR`` match).
        api_mode: AIPKit 2.4.68+: the admin's OpenAI API mode, ``"responses"`` (the default)
            or ``"chat_completions"``: then the stream has no ``status`` events and no
            ``openai_response_id``, and the model's text comes in two deltas (its first two
            words, then the rest), as recorded.

    Attributes:
        stream, minified, host, ajax_path: as given (``stream`` and ``minified`` may be changed
            while running).
        post_id: the page's post ID (4 on ``"1.8.79"`` as in the real fixture, 123 on
            ``"widget"``; 6 on 2.4.71 and 2.3.20, 9 on 2.4.0, as recorded); a wpaicg post
            naming it gets ``Current context: "<title>"``.
        title: the site and page title, ``"AI Power harness"``.
        guest_limit, banned_words, banned_ips: as given; may be changed while running.
        api_mode: as given.
    """

    def __init__(
        self,
        profile: str = DEFAULT_PROFILE,
        *,
        stream: bool = False,
        host: str = "127.0.0.1",
        port: int = 0,
        nonce_life: float = DEFAULT_LIFE,
        clock: Callable[[], float] | None = None,
        answer: Callable[[str], str] | None = None,
        ajax_path: str = "/wp-admin/admin-ajax.php",
        minified: bool = False,
        model: Callable[[UpstreamCall], str] | None = None,
        bots: Sequence[int] | None = None,
        draft_bots: Sequence[int] = (),
        popup: bool | Collection[int] = False,
        refresh_action: bool | None = None,
        guest_limit: int | None = None,
        banned_words: Sequence[str] = (),
        banned_ips: Sequence[str] = (),
        api_mode: Literal["responses", "chat_completions"] = "responses",
    ) -> None:
        self._profile = get_profile(profile)
        aipkit = self._profile.era == "aipkit"
        if not aipkit and (
            model is not None
            or bots is not None
            or draft_bots
            or popup
            or refresh_action is not None
            or guest_limit is not None
            or banned_words
            or banned_ips
        ):
            raise ValueError(f"profile {profile!r} is not an AIPKit profile (2.3+)")
        if api_mode not in ("responses", "chat_completions"):
            raise ValueError(
                f"api_mode must be 'responses' or 'chat_completions', got {api_mode!r}"
            )
        if api_mode != "responses" and not self._profile.api_mode_setting:
            raise ValueError(f"api_mode: profile {profile!r} has no API mode setting (2.4.68+)")
        self.api_mode = api_mode
        if not ajax_path.startswith("/") or ajax_path == "/" or "?" in ajax_path:
            raise ValueError(
                f"ajax_path must be a path like '/wp-admin/admin-ajax.php', got {ajax_path!r}"
            )
        self._check_life(nonce_life)
        self.stream = stream
        self.minified = minified
        self.host = host
        self.ajax_path = ajax_path
        self.post_id = _POST_IDS[self._profile.name]
        self.title = SITE_TITLE
        self._port = port
        self._clock: Callable[[], float] = clock if clock is not None else time.time
        self._answer: Callable[[str], str] = answer if answer is not None else echo
        self._model = model
        self._bots = _bot_ids(bots, draft_bots, _BOT_IDS.get(self._profile.name, 0))
        self._drafts = frozenset(draft_bots)
        self._popup = popup
        self._refresh = self._profile.refresh_action if refresh_action is None else refresh_action
        if guest_limit is not None and (
            isinstance(guest_limit, bool) or not isinstance(guest_limit, int) or guest_limit < 0
        ):
            raise ValueError(f"guest_limit must be None or an int >= 0, got {guest_limit!r}")
        self.guest_limit = guest_limit
        self.banned_words: tuple[str, ...] = tuple(banned_words)
        self.banned_ips: tuple[str, ...] = tuple(banned_ips)
        self._upstream: list[UpstreamCall] = []
        self._aipkit = AipkitPlugin(self) if aipkit else None
        self._lock = threading.Lock()
        self._offset = 0.0
        self._life = float(nonce_life)
        self._secret = secrets.token_bytes(32)
        self._old_secret = secrets.token_bytes(32)
        self._log: list[RecordedRequest] = []
        self._errors: list[BaseException] = []
        self._faults = FaultQueue()
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> LocalSite:
        """Start serving in a daemon thread; returns the site. Starting twice is an error.

        Example:
            >>> site = LocalSite().start()  # doctest: +SKIP
            >>> site.stop()  # doctest: +SKIP
        """
        if self._server is not None:
            raise RuntimeError("LocalSite is already running")
        self._stopping.clear()
        server = _Server((self.host, self._port), self)
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"chatgpt4o-local-site-{server.server_port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving: close the listening socket and every open connection, join threads.

        Calling it again, or on a site never started, does nothing.
        """
        server, thread = self._server, self._thread
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        server.close_connections(timeout=5.0)
        server.server_close()
        if thread is not None:
            thread.join(timeout=5.0)
        self._server = None
        self._thread = None

    def __enter__(self) -> LocalSite:
        if self._server is None:
            self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = self.url if self._server is not None else "stopped"
        return f"<LocalSite profile={self._profile.name!r} stream={self.stream} {where}>"

    # -- addresses ---------------------------------------------------------------------------

    @property
    def profile(self) -> Profile:
        """The plugin era this site plays (see ``PROFILES``)."""
        return self._profile

    @property
    def running(self) -> bool:
        """Whether the server is running."""
        return self._server is not None

    @property
    def url(self) -> str:
        """The site root, e.g. ``"http://127.0.0.1:54321"`` (no trailing slash); page at ``/``."""
        server = self._server
        if server is None:
            raise RuntimeError("LocalSite is not running; call start() or use it in a with block")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{server.server_port}"

    @property
    def ajax_url(self) -> str:
        """The absolute URL of the AJAX endpoint the page advertises."""
        return self.url + self.ajax_path

    @property
    def streams(self) -> bool:
        """Whether ordinary chat replies are SSE (``stream`` on and the era can stream).

        On AIPKit it is what the page tells the browser: always on 2.4.71, ``stream`` (the
        ``streamEnabled`` flag) on 2.3 .. 2.4.0.
        """
        if self._profile.era == "aipkit" and not self._profile.json_action:
            return True
        return self.stream and self._profile.can_stream

    # -- clock and nonces --------------------------------------------------------------------

    def now(self) -> float:
        """The site's time: the clock plus every ``advance_clock`` offset."""
        with self._lock:
            offset = self._offset
        return self._clock() + offset

    def advance_clock(self, seconds: float) -> None:
        """Move the site's clock forward (or back), e.g. past a nonce's life, without sleeping.

        Example:
            >>> site.advance_clock(site.nonce_life)  # doctest: +SKIP

        Args:
            seconds: how far to move.
        """
        with self._lock:
            self._offset += seconds

    @property
    def nonce_life(self) -> float:
        """WordPress's ``nonce_life`` in seconds; settable (a nonce is valid 1/2 to 1 of it)."""
        with self._lock:
            return self._life

    @nonce_life.setter
    def nonce_life(self, value: float) -> None:
        self._check_life(value)
        with self._lock:
            self._life = float(value)

    @staticmethod
    def _check_life(value: float) -> None:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            raise ValueError(f"nonce_life must be a positive number of seconds, got {value!r}")

    @property
    def nonce(self) -> str:
        """The chat nonce a page fetched now would carry.

        Action ``wpaicg-chatbox``; on AIPKit profiles ``aipkit_frontend_chat_nonce`` (the
        ``nonce`` of every bot's ``data-config`` and of the refresh action).
        """
        return self._make_nonce(self._chat_action())

    def _chat_action(self) -> str:
        return AIPKIT_ACTION if self._profile.era == "aipkit" else CHAT_ACTION

    def rotate_nonce(self) -> str:
        """Replace the nonce secret (like changing ``NONCE_KEY``): every earlier nonce fails.

        Returns the new current nonce.
        """
        with self._lock:
            self._old_secret = self._secret
            self._secret = secrets.token_bytes(32)
        return self.nonce

    def _make_nonce(self, action: str, secret: bytes | None = None) -> str:
        now = self.now()
        with self._lock:
            key = self._secret if secret is None else secret
            life = self._life
        return create_nonce(key, action, now=now, life=life)

    def _nonce_ok(self, nonce: str, action: str = CHAT_ACTION) -> bool:
        now = self.now()
        with self._lock:
            key, life = self._secret, self._life
        return verify_nonce(nonce, key, action, now=now, life=life) > 0

    # -- faults ------------------------------------------------------------------------------

    def inject(self, name: str, *, times: int = 1, on: str | None = None, **params: Any) -> Fault:
        """Queue a fault for the next ``times`` matching requests.

        Example:
            >>> site.inject("rate_limit", times=2, retry_after="3")  # doctest: +SKIP
            >>> site.inject("cloudflare", on="page")  # doctest: +SKIP

        Args:
            name: one of ``FAULTS``; unknown names raise ``ValueError``, and so do faults of
                the other plugin generation (e.g. ``quota`` on 1.9.18, ``flag`` on 2.4.71).
            times: how many matching requests it applies to.
            on: ``"post"`` (default: the AJAX endpoint) or ``"page"`` (the chat page GET);
                ``stale_page`` defaults to and only applies to the page. On AIPKit profiles
                edge faults, ``nonce_expired``, ``cross_origin``, ``truncated_json`` and
                ``php_warning`` may name one action: ``"cache"``, ``"stream"``, ``"refresh"``,
                ``"history"`` or ``"json"``.
            params: the fault's parameters (see ``FAULTS`` in the package docstring).
        """
        fault = make_fault(name, times=times, on=on, **params)
        era = "aipkit" if self._profile.era == "aipkit" else "old"
        if era not in fault_eras(fault.name):
            other = "AIPKit (2.3+)" if era == "old" else "AI Power up to 2.2"
            raise ValueError(
                f"fault {name!r} exists only on {other} profiles, not {self._profile.name!r}"
            )
        if fault.on in AIPKIT_TARGETS and era != "aipkit":
            raise ValueError(f"fault target {fault.on!r} needs an AIPKit profile")
        if fault.name in STREAM_FAULTS and not self._profile.can_stream:
            raise ValueError(
                f"fault {name!r} needs SSE; profile {self._profile.name!r} never streams"
            )
        self._faults.add(fault)
        return fault

    @property
    def pending_faults(self) -> list[Fault]:
        """Faults still queued, each with ``times`` set to its remaining uses."""
        return self._faults.pending()

    def clear_faults(self) -> None:
        """Drop every queued fault."""
        self._faults.clear()

    # -- request log -------------------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        """A copy of every request received, oldest first (page fetches, posts, 404s)."""
        with self._lock:
            return list(self._log)

    @property
    def page_fetches(self) -> int:
        """How many times the chat page was fetched with GET."""
        return sum(1 for r in self.requests if r.method == "GET" and r.path == "/")

    @property
    def posts(self) -> list[RecordedRequest]:
        """The requests that reached the AJAX endpoint (any method), oldest first."""
        return [r for r in self.requests if r.path == self.ajax_path]

    def calls(self, action: str) -> list[RecordedRequest]:
        """The requests to the AJAX endpoint whose ``action`` (POST over query) is ``action``.

        Example:
            >>> site.calls("aipkit_get_frontend_chat_nonce")  # doctest: +SKIP

        Args:
            action: the AJAX action name.
        """
        return [r for r in self.posts if r.action == action]

    @property
    def cache_posts(self) -> list[RecordedRequest]:
        """AIPKit: the ``aipkit_cache_sse_message`` requests (any method), oldest first."""
        return self.calls(CACHE_ACTION)

    @property
    def stream_requests(self) -> list[RecordedRequest]:
        """AIPKit: the ``aipkit_frontend_chat_stream`` requests (any method), oldest first."""
        return self.calls(STREAM_ACTION)

    @property
    def nonce_refreshes(self) -> list[RecordedRequest]:
        """AIPKit: the ``aipkit_get_frontend_chat_nonce`` requests, oldest first."""
        return self.calls(REFRESH_ACTION)

    @property
    def history_requests(self) -> list[RecordedRequest]:
        """AIPKit: the ``aipkit_get_conversation_history`` requests, oldest first."""
        return self.calls(HISTORY_ACTION)

    @property
    def json_posts(self) -> list[RecordedRequest]:
        """AIPKit 2.3 .. 2.4.0: the ``aipkit_frontend_chat_message`` requests, oldest first."""
        return self.calls(JSON_ACTION)

    @property
    def upstream_calls(self) -> list[UpstreamCall]:
        """AIPKit: every request the plugin sent to its model, oldest first (a copy)."""
        with self._lock:
            return list(self._upstream)

    @property
    def errors(self) -> list[BaseException]:
        """Exceptions raised by ``answer`` (each was served as a 500 critical-error page)."""
        with self._lock:
            return list(self._errors)

    def clear_log(self) -> None:
        """Forget every recorded request, upstream call and error (stored threads stay)."""
        with self._lock:
            self._log.clear()
            self._errors.clear()
            self._upstream.clear()

    # -- AIPKit bots and data ----------------------------------------------------------------

    @property
    def bots(self) -> tuple[int, ...]:
        """AIPKit: every chatbot on the page (drafts included), in page order; else ``()``."""
        return self._bots

    @property
    def draft_bots(self) -> frozenset[int]:
        """AIPKit: the bots the page shows but the chat refuses (unpublished)."""
        return self._drafts

    @property
    def bot_id(self) -> int:
        """AIPKit: the first bot on the page (``data-bot-id``); 0 on older profiles."""
        return self._bots[0] if self._bots else 0

    @property
    def refresh_action(self) -> bool:
        """AIPKit: whether ``aipkit_get_frontend_chat_nonce`` exists on this site."""
        return self._refresh and self._profile.era == "aipkit"

    def thread(self, bot_id: int, session_id: str, conversation_uuid: str) -> list[Turn]:
        """AIPKit: the conversation the site stores for these ids, oldest turn first.

        The ids are normalised as the plugin does (``conversation_uuid`` lower-cased by
        ``sanitize_key``); an unknown conversation is ``[]``.

        Example:
            >>> [t.role for t in site.thread(5, sid, cid)]  # doctest: +SKIP
            ['user', 'bot', 'user', 'bot']

        Args:
            bot_id: the chatbot.
            session_id: the guest id the client sent.
            conversation_uuid: the conversation id the client sent.
        """
        plugin = self._require_aipkit()
        key = (bot_id, sanitize_text_field(session_id), sanitize_key(conversation_uuid))
        return plugin.store.turns(key)

    def threads(self) -> list[tuple[int, str, str]]:
        """AIPKit: the ``(bot_id, session_id, conversation_uuid)`` of every stored thread."""
        return self._require_aipkit().store.thread_keys()

    def guest_usage(self, bot_id: int, session_id: str) -> int:
        """AIPKit: the tokens a guest has used with a bot (what ``guest_limit`` counts).

        Args:
            bot_id: the chatbot.
            session_id: the guest id.
        """
        return self._require_aipkit().store.usage(bot_id, sanitize_text_field(session_id))

    @property
    def cached_messages(self) -> int:
        """AIPKit: rows in the SSE message cache (read ones are gone; expired ones linger)."""
        return self._require_aipkit().store.cache_size()

    def _require_aipkit(self) -> AipkitPlugin:
        if self._aipkit is None:
            raise RuntimeError(f"profile {self._profile.name!r} is not an AIPKit profile (2.3+)")
        return self._aipkit

    def _record_upstream(self, call: UpstreamCall) -> None:
        with self._lock:
            self._upstream.append(call)

    def _think_call(self, call: UpstreamCall) -> str | None:
        try:
            if self._model is not None:
                return self._model(call)
            return self._answer(call.message)
        except Exception as exc:  # a broken model is the site's PHP fatal error
            with self._lock:
                self._errors.append(exc)
            return None

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._log.append(request)

    # -- behaviour ---------------------------------------------------------------------------

    def _respond(self, request: RecordedRequest) -> Reply:
        """Decide the reply to one request (delays and drops are carried in the Reply)."""
        if request.path == "/":
            return self._page(request)
        if request.path == self.ajax_path:
            return self._ajax(request)
        if request.path in ("/wp-json", "/wp-json/"):
            reply = json_reply(rest_index(self.url, self.title))
            return _with(reply, headers=(*reply.headers, self._link_header()))
        return html_reply(404, not_found_page(self.url, self.title))

    def _link_header(self) -> tuple[str, str]:
        return ("Link", f'<{self.url}/wp-json/>; rel="https://api.w.org/"')

    def _edge(self, target: Target | tuple[Target, ...]) -> tuple[float, Reply | None]:
        slow = self._faults.take(target, "delay")
        delay = float(slow.params["delay"]) if slow is not None else 0.0
        fault = self._faults.take(target, "edge")
        if fault is None:
            return delay, None
        p = fault.params
        if fault.name == "rate_limit":
            reply = edge_error(429, p["retry_after"])
        elif fault.name == "server_error":
            reply = edge_error(int(p["status"]), p["retry_after"])
        elif fault.name == "cloudflare":
            reply = cloudflare_reply(int(p["status"]), urlsplit(self.url).hostname or self.host)
        elif fault.name == "html":
            reply = html_reply(int(p["status"]), critical_error_page())
        else:  # drop
            reply = Reply(0, drop=True)
        return delay, _with(reply, delay=delay)

    def _page(self, request: RecordedRequest) -> Reply:
        delay, edge = self._edge("page")
        if edge is not None:
            return edge
        stale = self._faults.take("page", "page") is not None
        # A cached page carries nonces made with a key that is no longer valid.
        secret = secrets.token_bytes(32) if stale else None
        if self._profile.era == "aipkit":
            popup = self._popup
            page = AipkitPage(
                url=self.url,
                ajax_url=self.ajax_url,
                post_id=self.post_id,
                nonce=self._make_nonce(AIPKIT_ACTION, secret),
                bots=tuple(
                    (bot, popup is True or (not isinstance(popup, bool) and bot in popup))
                    for bot in self._bots
                ),
                stream=self.streams,
                refresh_action=self.refresh_action,
            )
            html = render_aipkit_page(self._profile, page)
            reply = html_reply(200, html, (self._link_header(),))
            return _with(reply, delay=delay) if delay else reply
        action = CHAT_ACTION
        tokens = PageTokens(
            url=self.url,
            ajax_url=self.ajax_url,
            post_id=self.post_id,
            nonce=self._make_nonce(action, secret),
            img_nonce=self._make_nonce(IMG_ACTION, secret),
            comment_nonce=self._make_nonce(CHAT_ACTION, self._old_secret_for_decoy()),
            form_nonce=self._make_nonce("newsletter_subscribe", secret),
            rest_nonce=self._make_nonce(REST_ACTION, secret),
            stream=self.streams,
            minified=self.minified,
        )
        html = render_page(self._profile, tokens)
        reply = html_reply(200, html, (self._link_header(),))
        return _with(reply, delay=delay) if delay else reply

    def _old_secret_for_decoy(self) -> bytes:
        with self._lock:
            return self._old_secret

    def _ajax(self, request: RecordedRequest) -> Reply:
        plugin = self._aipkit
        target: Target | tuple[Target, ...] = "post"
        if plugin is not None and request.action in ACTION_TARGETS:
            target = ("post", ACTION_TARGETS[request.action])
        delay, edge = self._edge(target)
        if edge is not None:
            return edge
        reply = plugin.handle(request) if plugin is not None else self._plugin(request)
        return _with(reply, delay=delay) if delay else reply

    def _plugin(self, request: RecordedRequest) -> Reply:
        """admin-ajax.php and the plugin's handler, in the order the PHP runs."""
        profile = self._profile
        if request.method == "POST":
            # $_REQUEST: POST fields over query fields.
            fields = {**request.query, **request.fields}
        else:
            fields = dict(request.query)
        action = fields.get("action", "")
        if not profile.chat_enabled or action not in CHAT_ACTIONS:
            return ajax_zero()
        guard = self._faults.take("post", "guard")
        if guard is not None and profile.era == "1.7":
            return json_reply(error_payload(NO_API_KEY_17))
        expired = self._faults.take("post", "nonce") is not None
        if expired or not self._nonce_ok(fields.get("_wpnonce", "")):
            return nonce_failure(profile, self._same_site_referer(request))
        message = self._message(request, fields)
        if message in ("", "0"):  # PHP empty()
            return json_reply(error_payload(NOTHING_INPUTTED))
        if guard is not None:
            return json_reply(error_payload(NO_API_KEY))
        post_id = fields.get("post_id", "")
        known = post_id.isdigit() and int(post_id) == self.post_id
        greeting_text = greeting(self.title if known else None)
        fault = self._faults.take("post", "reply")
        warning = self._faults.take("post", "warning") is not None
        pace = self._faults.take("post", "pace")
        event_delay = float(pace.params["chunk_delay"]) if pace is not None else 0.0
        reply = self._reply(message, greeting_text, fault, force_stream=pace is not None)
        if event_delay and reply.events is not None:
            reply = _with(reply, event_delay=event_delay)
        if warning:
            reply = _prefix_warning(reply)
        return reply

    def _same_site_referer(self, request: RecordedRequest) -> str | None:
        referer = request.headers.get("referer", "")
        if not referer:
            return None
        try:
            host = urlsplit(referer).hostname
        except ValueError:
            return None
        return referer if host is not None and host == urlsplit(self.url).hostname else None

    def _message(self, request: RecordedRequest, fields: dict[str, str]) -> str:
        profile = self._profile
        if profile.reads_query:
            raw = fields.get("message", "")
        else:
            raw = request.fields.get("message", "") if request.method == "POST" else ""
        if profile.magic_quotes:
            return sanitize_text_field(addslashes(raw))
        return raw

    def _think(self, message: str) -> str | None:
        try:
            return self._answer(message)
        except Exception as exc:  # a broken answer() is the site's PHP fatal error
            with self._lock:
                self._errors.append(exc)
            return None

    def _reply(
        self, message: str, greeting_text: str, fault: Fault | None, *, force_stream: bool
    ) -> Reply:
        profile = self._profile
        name = fault.name if fault is not None else ""
        params = fault.params if fault is not None else {}
        streaming = self.streams or force_stream or name in STREAM_FAULTS
        if name == "token_limit":
            msg = str(params["msg"])
            if streaming and profile.era != "1.7":
                return sse_reply([flag_event("tokenLimitReached", msg)])
            return json_reply(token_limit_payload(profile, msg))
        if name in ("banned_ip", "banned_word"):
            kind, msg = (
                ("ipBanned", IP_BANNED) if name == "banned_ip" else ("messageFlagged", BANNED_WORD)
            )
            if streaming:
                return sse_reply([flag_event(kind, msg)])
            return json_reply(error_payload(msg))
        if name == "upstream_error":
            return json_reply(upstream_error_payload(str(params["msg"]), greeting_text))
        if name == "empty_data":
            return json_reply(success_payload(greeting_text, ""))
        if name == "error_mode":
            events = error_mode_events(str(params["msg"]))
            if params["doubled"]:
                events = events + events + [php_json(success_payload(greeting_text, "")).encode()]
            return sse_reply(events)
        if name == "limited":
            return sse_reply(limited_events(str(params["msg"])))
        prefix: list[bytes] = []
        if name == "flag":
            kind = str(params["kind"])
            msg = params["msg"] if params["msg"] is not None else FLAG_MESSAGES[kind]
            prefix = [flag_event(kind, str(msg))]
            if not params["continue_stream"]:
                return sse_reply(prefix)
        text = self._think(message)
        if text is None:
            return html_reply(500, critical_error_page())
        final = success_payload(greeting_text, text)
        if name == "truncated_json":
            encoded = php_json(final)
            return json_reply(encoded[: len(encoded) // 2])
        if not streaming:
            return json_reply(final)
        events = prefix + completion_events(text, created=int(self.now()))
        events += stream_end(profile, final)
        if name == "stream_cut":
            return sse_reply(events[: int(params["after"])], complete=False)
        return sse_reply(events)


def _with(reply: Reply, **changes: Any) -> Reply:
    return replace(reply, **changes)


def _prefix_warning(reply: Reply) -> Reply:
    warning = PHP_WARNING.encode()
    if reply.events is not None:
        return _with(reply, events=(warning, *reply.events))
    return _with(reply, body=warning + reply.body)


class _Server(ThreadingHTTPServer):
    """A threading HTTP server that tracks its connections so stop() can close them all."""

    daemon_threads = True
    block_on_close = False
    request_queue_size = 1024  # SDK tests open hundreds of connections at once

    def __init__(self, address: tuple[str, int], site: LocalSite) -> None:
        self.site = site
        self._conn_lock = threading.Lock()
        self._conns: dict[threading.Thread, socket.socket] = {}
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind() calls getfqdn(), a slow reverse DNS lookup we don't need.
        super(ThreadingHTTPServer, self).server_bind()  # socketserver.TCPServer.server_bind
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    def process_request(self, request: Any, client_address: Any) -> None:
        thread = threading.Thread(
            target=self._serve_connection, args=(request, client_address), daemon=True
        )
        with self._conn_lock:
            self._conns[thread] = request
        thread.start()

    def _serve_connection(self, request: Any, client_address: Any) -> None:
        try:
            self.process_request_thread(request, client_address)
        finally:
            with self._conn_lock:
                self._conns.pop(threading.current_thread(), None)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return  # the client went away; nothing to report
        super().handle_error(request, client_address)

    def close_connections(self, timeout: float) -> None:
        with self._conn_lock:
            items = list(self._conns.items())
        for _, conn in items:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        deadline = time.monotonic() + timeout
        for thread, _ in items:
            thread.join(max(0.0, deadline - time.monotonic()))


class _Handler(BaseHTTPRequestHandler):
    """Reads a request, records it, asks the site for a Reply and writes it byte for byte."""

    protocol_version = "HTTP/1.1"
    server_version = "Apache"
    sys_version = ""
    timeout = 60.0  # idle keep-alive connections
    server: _Server

    def setup(self) -> None:
        super().setup()
        # Without this, Nagle's algorithm holds back SSE chunks and small replies.
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: the site keeps its own request log

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_HEAD(self) -> None:
        self._dispatch(head=True)

    def do_OPTIONS(self) -> None:
        if self.server.site.profile.era != "aipkit":
            # What BaseHTTPRequestHandler answers without a do_OPTIONS, as before AIPKit.
            self.send_error(HTTPStatus.NOT_IMPLEMENTED, f"Unsupported method ({self.command!r})")
            return
        self._dispatch()

    def _read_body(self) -> bytes | None:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked()
        length_text = self.headers.get("Content-Length")
        if not length_text:
            return b""
        try:
            length = int(length_text)
        except ValueError:
            return None
        if length < 0 or length > MAX_BODY:
            return None
        return self.rfile.read(length)

    def _read_chunked(self) -> bytes | None:
        parts: list[bytes] = []
        total = 0
        while True:
            line = self.rfile.readline(1024)
            try:
                size = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                return None
            if size == 0:
                while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass
                return b"".join(parts)
            total += size
            if total > MAX_BODY:
                return None
            parts.append(self.rfile.read(size))
            self.rfile.readline(1024)

    def _dispatch(self, *, head: bool = False) -> None:
        site = self.server.site
        body = self._read_body()
        if body is None:
            self.close_connection = True
            self._write(html_reply(400, "Bad Request"), head=head)
            return
        target = urlsplit(self.path)
        query = parse_query(target.query)
        content_type = self.headers.get("Content-Type", "")
        fields = parse_form(content_type, body) if self.command == "POST" else dict(query)
        request = RecordedRequest(
            method=self.command,
            path=target.path or "/",
            query=query,
            content_type=content_type,
            fields=fields,
            headers=header_dict(self.headers.items()),
            cookies=parse_cookies(self.headers.get_all("Cookie") or []),
            body=body,
            remote_addr=str(self.client_address[0]),
        )
        site._record(request)
        self._write(site._respond(request), head=head)

    def _write(self, reply: Reply, *, head: bool) -> None:
        stopping = self.server.site._stopping
        if reply.delay and stopping.wait(reply.delay):
            self.close_connection = True
            return
        if reply.drop:
            self.close_connection = True
            return
        try:
            phrase = HTTPStatus(reply.status).phrase
        except ValueError:
            phrase = ""
        headers = list(reply.headers)
        names = {name.lower() for name, _ in headers}
        if "server" not in names:
            headers.insert(0, ("Server", self.version_string()))
        headers.insert(0, ("Date", self.date_time_string()))
        if reply.events is None:
            headers.append(("Content-Length", str(len(reply.body))))
        else:
            headers.append(("Transfer-Encoding", "chunked"))
        if reply.close:
            headers.append(("Connection", "close"))
            self.close_connection = True
        head_bytes = f"HTTP/1.1 {reply.status} {phrase}\r\n".encode("latin-1")
        head_bytes += b"".join(f"{k}: {v}\r\n".encode("latin-1") for k, v in headers) + b"\r\n"
        try:
            if reply.events is None:
                self.wfile.write(head_bytes if head else head_bytes + reply.body)
                return
            self.wfile.write(head_bytes)
            if head:
                self.close_connection = True
                return
            for index, event in enumerate(reply.events):
                if reply.event_delays is not None:
                    pause = reply.event_delays[index] if index < len(reply.event_delays) else 0.0
                else:
                    pause = reply.event_delay if index else 0.0
                if pause and stopping.wait(pause):
                    self.close_connection = True
                    return
                self.wfile.write(b"%x\r\n%s\r\n" % (len(event), event))
                self.wfile.flush()
            if reply.complete:
                self.wfile.write(b"0\r\n\r\n")
            else:
                self.close_connection = True
        except (ConnectionError, TimeoutError):
            self.close_connection = True
