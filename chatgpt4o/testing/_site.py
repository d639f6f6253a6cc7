"""LocalSite: the stand-in site's public face; it wires its server, page and plugin together."""

from __future__ import annotations

from dataclasses import replace
from types import TracebackType
from typing import Any, Callable, Collection, Iterable, Literal, Sequence
from urllib.parse import urlsplit

from chatgpt4o.testing._aipkit import AipkitPlugin
from chatgpt4o.testing._aipkit_replies import (
    CACHE_ACTION,
    HISTORY_ACTION,
    JSON_ACTION,
    REFRESH_ACTION,
    STREAM_ACTION,
)
from chatgpt4o.testing._aipkit_store import Turn, UpstreamCall
from chatgpt4o.testing._faults import (
    AIPKIT_TARGETS,
    STREAM_FAULTS,
    Fault,
    Target,
    fault_eras,
    make_fault,
)
from chatgpt4o.testing._pages import SITE_TITLE, PageFields, render_page
from chatgpt4o.testing._php import NONCE_LIFE, sanitize_key, sanitize_text_field
from chatgpt4o.testing._profiles import Profile, get_profile
from chatgpt4o.testing._recording import RecordedRequest
from chatgpt4o.testing._replies import (
    SiteReply,
    cloudflare_reply,
    critical_error_page,
    edge_error,
    html_reply,
    json_reply,
    not_found_page,
    rest_index,
)
from chatgpt4o.testing._server import SiteServer
from chatgpt4o.testing._state import SiteState
from chatgpt4o.testing._wpaicg import NONCE_ACTION, WpaicgPlugin

DEFAULT_PROFILE = "1.9.18"
_POST_IDS = {"1.7": 2, "1.8.79": 4, "1.9.18": 12, "widget": 123, "2.3.20": 6, "2.4.0": 9}
_POST_IDS["2.4.71"] = 6
_BOT_IDS = {"2.3.20": 5, "2.4.0": 8, "2.4.71": 5}  # as on the recorded sites


def echo(message: str) -> str:
    """The default model: ``"Echo: <message>"``, so each reply shows which request it answers.

    Example:
        >>> echo("hi")
        'Echo: hi'
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

    It serves the chat page at ``/`` and the plugin's AJAX endpoint; what each profile and
    fault plays is told once, in ``help(chatgpt4o.testing)``.

    Example:
        >>> with LocalSite("1.8.79", stream=True) as site:  # doctest: +SKIP
        ...     site.inject("rate_limit", retry_after="3")

    Args:
        profile: the plugin era, a key of ``PROFILES``.
        stream: the plugin's streaming switch (1.7 ignores it; on 2.3 .. 2.4.0 it is the
            bots' ``streamEnabled``; 2.4.71 always streams).
        host, port: where to listen; port 0 picks a free one.
        nonce_life: WordPress's ``nonce_life`` in seconds (a nonce lives 1/2 to 1 of it).
        clock: returns the Unix time (``time.time`` by default).
        answer: the model: the message the plugin sees in, the reply text out (``echo``).
        ajax_path: the AJAX endpoint's path (security plugins rename it, e.g. ``"/rizq"``).
        minified: serve the wpaicg chat element minified (unquoted values, single spaces).
        model: AIPKit: a model given the whole ``UpstreamCall``; overrides ``answer``.
        bots: AIPKit: the published bots on the page, in order (default: the recorded site's).
        draft_bots: AIPKit: bots the page shows but the chat refuses (unpublished).
        popup: AIPKit: ``True``, or the IDs of the bots rendered as footer popups.
        refresh_action: AIPKit: whether ``aipkit_get_frontend_chat_nonce`` exists (``None``:
            as the profile).
        guest_limit: AIPKit: guest tokens per ``session_id``, counted as words of the model's
            input and output (``None`` unlimited, ``0`` guests disabled).
        banned_words, banned_ips: AIPKit: the global bans (whole words; exact ``REMOTE_ADDR``).
        api_mode: 2.4.71: ``"responses"`` or ``"chat_completions"`` (the admin's API mode).
        image_upload: AIPKit: ``True``, or the IDs of the bots whose page offers picture
            upload (every bot takes pictures either way, as on a real site).

    Attributes:
        post_id: the page's post ID, as on the recorded site of the profile.
        title: the site and page title.
        stream, minified, host, ajax_path, api_mode, guest_limit, banned_words, banned_ips:
            as given; ``stream``, ``minified`` and the last three may change while running.
    """

    def __init__(
        self,
        profile: str = DEFAULT_PROFILE,
        *,
        stream: bool = False,
        host: str = "127.0.0.1",
        port: int = 0,
        nonce_life: float = NONCE_LIFE,
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
        image_upload: bool | Collection[int] = False,
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
            or image_upload
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
        self._state = SiteState(
            answer=answer if answer is not None else echo,
            model=model,
            clock=clock,
            nonce_life=nonce_life,
        )
        self._bots = _bot_ids(bots, draft_bots, _BOT_IDS.get(self._profile.name, 0))
        self._drafts = frozenset(draft_bots)
        self._popup = popup
        self._image_upload = image_upload
        self._refresh = self._profile.refresh_action if refresh_action is None else refresh_action
        if guest_limit is not None and (
            isinstance(guest_limit, bool) or not isinstance(guest_limit, int) or guest_limit < 0
        ):
            raise ValueError(f"guest_limit must be None or an int >= 0, got {guest_limit!r}")
        self.guest_limit = guest_limit
        self.banned_words: tuple[str, ...] = tuple(banned_words)
        self.banned_ips: tuple[str, ...] = tuple(banned_ips)
        self._plugin: WpaicgPlugin | AipkitPlugin = (
            AipkitPlugin(self, self._state) if aipkit else WpaicgPlugin(self, self._state)
        )
        self._server: SiteServer | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> LocalSite:
        """Start serving in a daemon thread; returns the site. Starting twice is an error."""
        if self._server is not None:
            raise RuntimeError("LocalSite is already running")
        server = SiteServer(
            (self.host, self._port), self._respond, options=self._aipkit is not None
        )
        server.start()
        self._server = server
        return self

    def stop(self) -> None:
        """Stop serving and close every connection; stopping a stopped site does nothing."""
        if self._server is not None:
            self._server.stop()
            self._server = None

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
        """Whether chat replies are SSE (on AIPKit: what the page tells the browser)."""
        if self._profile.era == "aipkit" and not self._profile.json_action:
            return True
        return self.stream and self._profile.can_stream

    # -- clock and nonces --------------------------------------------------------------------

    def now(self) -> float:
        """The site's time: the clock plus every ``advance_clock`` offset."""
        return self._state.now()

    def advance_clock(self, seconds: float) -> None:
        """Move the site's clock by ``seconds``, e.g. past a nonce's life, without sleeping."""
        self._state.advance(seconds)

    @property
    def nonce_life(self) -> float:
        """WordPress's ``nonce_life`` in seconds; settable (a nonce is valid 1/2 to 1 of it)."""
        return self._state.nonce_life

    @nonce_life.setter
    def nonce_life(self, value: float) -> None:
        self._check_life(value)
        self._state.nonce_life = value

    @staticmethod
    def _check_life(value: float) -> None:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
            raise ValueError(f"nonce_life must be a positive number of seconds, got {value!r}")

    @property
    def nonce(self) -> str:
        """The chat nonce a page fetched now would carry."""
        return self._state.make_nonce(self._plugin.nonce_action)

    def rotate_nonce(self) -> str:
        """Replace the nonce secret (like changing ``NONCE_KEY``); returns the new nonce."""
        self._state.rotate_key()
        return self.nonce

    # -- faults ------------------------------------------------------------------------------

    def inject(self, name: str, *, times: int = 1, on: str | None = None, **params: Any) -> Fault:
        """Queue a fault for the next ``times`` matching requests.

        Example:
            >>> site.inject("rate_limit", times=2, retry_after="3")  # doctest: +SKIP
            >>> site.inject("cloudflare", on="page")  # doctest: +SKIP

        Args:
            name: one of ``FAULTS`` of this profile's generation (else ``ValueError``).
            times: how many matching requests it applies to.
            on: ``"post"`` (the AJAX endpoint), ``"page"``, or on AIPKit one action.
            params: the fault's parameters (the package docstring lists them).
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
        self._state.faults.add(fault)
        return fault

    @property
    def pending_faults(self) -> list[Fault]:
        """Faults still queued, each with ``times`` set to its remaining uses."""
        return self._state.faults.pending()

    def clear_faults(self) -> None:
        """Drop every queued fault."""
        self._state.faults.clear()

    # -- request log -------------------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        """A copy of every request received, oldest first (page fetches, posts, 404s)."""
        return self._state.requests()

    @property
    def page_fetches(self) -> int:
        """How many times the chat page was fetched with GET."""
        return sum(1 for r in self.requests if r.method == "GET" and r.path == "/")

    @property
    def posts(self) -> list[RecordedRequest]:
        """The requests that reached the AJAX endpoint (any method), oldest first."""
        return [r for r in self.requests if r.path == self.ajax_path]

    def calls(self, action: str) -> list[RecordedRequest]:
        """The requests to the AJAX endpoint whose ``action`` (POST over query) is ``action``."""
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
        return self._state.upstream_calls()

    @property
    def errors(self) -> list[BaseException]:
        """Exceptions raised by ``answer`` (each was served as a 500 critical-error page)."""
        return self._state.errors()

    def clear_log(self) -> None:
        """Forget every recorded request, upstream call and error (stored threads stay)."""
        self._state.clear_logs()

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
        """AIPKit: the stored conversation for the ids a client sent, oldest turn first.

        The ids are normalised as the plugin does; an unknown conversation is ``[]``.

        Example:
            >>> [t.role for t in site.thread(5, sid, cid)]  # doctest: +SKIP
            ['user', 'bot']
        """
        plugin = self._require_aipkit()
        key = (bot_id, sanitize_text_field(session_id), sanitize_key(conversation_uuid))
        return plugin.store.turns(key)

    def threads(self) -> list[tuple[int, str, str]]:
        """AIPKit: the ``(bot_id, session_id, conversation_uuid)`` of every stored thread."""
        return self._require_aipkit().store.thread_keys()

    def guest_usage(self, bot_id: int, session_id: str) -> int:
        """AIPKit: the tokens a guest has used with a bot (what ``guest_limit`` counts)."""
        return self._require_aipkit().store.usage(bot_id, sanitize_text_field(session_id))

    @property
    def cached_messages(self) -> int:
        """AIPKit: rows in the SSE message cache (read ones are gone; expired ones linger)."""
        return self._require_aipkit().store.cache_size()

    @property
    def _aipkit(self) -> AipkitPlugin | None:
        return self._plugin if isinstance(self._plugin, AipkitPlugin) else None

    def _require_aipkit(self) -> AipkitPlugin:
        if self._aipkit is None:
            raise RuntimeError(f"profile {self._profile.name!r} is not an AIPKit profile (2.3+)")
        return self._aipkit

    # -- behaviour ---------------------------------------------------------------------------

    def _respond(self, request: RecordedRequest) -> SiteReply:
        """Log one request and decide its reply (delays and drops are carried in the SiteReply)."""
        self._state.record(request)
        if request.path == "/":
            return self._page(request)
        if request.path == self.ajax_path:
            return self._ajax(request)
        if request.path in ("/wp-json", "/wp-json/"):
            reply = json_reply(rest_index(self.url, self.title))
            return replace(reply, headers=(*reply.headers, self._link_header()))
        return html_reply(404, not_found_page(self.url, self.title))

    def _link_header(self) -> tuple[str, str]:
        return ("Link", f'<{self.url}/wp-json/>; rel="https://api.w.org/"')

    def _edge(self, target: Target | tuple[Target, ...]) -> tuple[float, SiteReply | None]:
        slow = self._state.faults.take(target, "delay")
        delay = float(slow.params["delay"]) if slow is not None else 0.0
        fault = self._state.faults.take(target, "edge")
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
            reply = SiteReply(0, drop=True)
        return delay, replace(reply, delay=delay)

    def _page(self, request: RecordedRequest) -> SiteReply:
        delay, edge = self._edge("page")
        if edge is not None:
            return edge
        # A cached page carries nonces made with a key that is no longer valid.
        stale = self._state.faults.take("page", "page") is not None
        key = "stale" if stale else "current"
        make = self._state.make_nonce
        popup = self._popup
        tokens = PageFields(
            url=self.url,
            ajax_url=self.ajax_url,
            post_id=self.post_id,
            nonce=make(self._plugin.nonce_action, key=key),
            stream=self.streams,
            img_nonce=make("wpaicg-img-nonce", key=key),
            comment_nonce=make(NONCE_ACTION, key="previous"),
            form_nonce=make("newsletter_subscribe", key=key),
            rest_nonce=make("wp_rest", key=key),
            minified=self.minified,
            bots=tuple(
                (bot, popup is True or (not isinstance(popup, bool) and bot in popup))
                for bot in self._bots
            ),
            refresh_action=self.refresh_action,
            image_upload=frozenset(
                bot
                for bot in self._bots
                if self._image_upload is True
                or (not isinstance(self._image_upload, bool) and bot in self._image_upload)
            ),
        )
        html = render_page(self._profile, tokens)
        reply = html_reply(200, html, (self._link_header(),))
        return replace(reply, delay=delay) if delay else reply

    def _ajax(self, request: RecordedRequest) -> SiteReply:
        delay, edge = self._edge(self._plugin.targets(request))
        if edge is not None:
            return edge
        reply = self._plugin.handle(request)
        return replace(reply, delay=delay) if delay else reply
