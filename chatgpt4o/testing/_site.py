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
from typing import Any, Callable
from urllib.parse import urlsplit

from chatgpt4o.testing._faults import STREAM_FAULTS, Fault, FaultQueue, Target, make_fault
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
from chatgpt4o.testing._php import addslashes, php_json, sanitize_text_field
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
_POST_IDS = {"1.7": 2, "1.8.79": 4, "1.9.18": 12, "widget": 123, "aipkit": 7}


def echo(message: str) -> str:
    """The default model: ``"Echo: <message>"``, so each reply shows which request it answers.

    Example:
        >>> echo("hi")
        'Echo: hi'

    Args:
        message: the message as the plugin passed it to the model.
    """
    return f"Echo: {message}"


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
            ``"widget"``, ``"aipkit"``).
        stream: the plugin's server-side streaming switch (SSE replies); 1.7 ignores it.
        host: the address to listen on.
        port: the port; 0 picks a free one.
        nonce_life: WordPress's ``nonce_life`` in seconds (a nonce lives 1/2 to 1 of it).
        clock: returns the Unix time; ``time.time`` by default.
        answer: the model: maps the message the plugin sees to the reply text.
        ajax_path: the AJAX endpoint's path (security plugins rename it, e.g. ``"/rizq"``).
        minified: serve the chat element minified (unquoted values, single spaces).

    Attributes:
        stream, minified, host, ajax_path: as given (``stream`` and ``minified`` may be changed
            while running).
        post_id: the page's post ID (4 on ``"1.8.79"`` as in the real fixture, 123 on
            ``"widget"``); a post naming it gets ``Current context: "<title>"``.
        title: the site and page title, ``"AI Power harness"``.
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
    ) -> None:
        self._profile = get_profile(profile)
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
        """Whether ordinary chat replies are SSE (``stream`` on and the era can stream)."""
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
        """The chat nonce a page fetched now would carry (action ``wpaicg-chatbox``)."""
        return self._make_nonce(CHAT_ACTION)

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

    def _nonce_ok(self, nonce: str) -> bool:
        now = self.now()
        with self._lock:
            key, life = self._secret, self._life
        return verify_nonce(nonce, key, CHAT_ACTION, now=now, life=life) > 0

    # -- faults ------------------------------------------------------------------------------

    def inject(self, name: str, *, times: int = 1, on: str | None = None, **params: Any) -> Fault:
        """Queue a fault for the next ``times`` matching requests.

        Example:
            >>> site.inject("rate_limit", times=2, retry_after="3")  # doctest: +SKIP
            >>> site.inject("cloudflare", on="page")  # doctest: +SKIP

        Args:
            name: one of ``FAULTS``; unknown names raise ``ValueError``.
            times: how many matching requests it applies to.
            on: ``"post"`` (default: the AJAX endpoint) or ``"page"`` (the chat page GET);
                ``stale_page`` defaults to and only applies to the page.
            params: the fault's parameters (``retry_after``, ``status``, ``delay``, ``msg``,
                ``doubled``, ``kind``, ``continue_stream``, ``after``, ``chunk_delay``).
        """
        fault = make_fault(name, times=times, on=on, **params)
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

    @property
    def errors(self) -> list[BaseException]:
        """Exceptions raised by ``answer`` (each was served as a 500 critical-error page)."""
        with self._lock:
            return list(self._errors)

    def clear_log(self) -> None:
        """Forget every recorded request and error."""
        with self._lock:
            self._log.clear()
            self._errors.clear()

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

    def _edge(self, target: Target) -> tuple[float, Reply | None]:
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
        action = AIPKIT_ACTION if self._profile.era == "aipkit" else CHAT_ACTION
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
        delay, edge = self._edge("post")
        if edge is not None:
            return edge
        reply = self._plugin(request)
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
                if index and reply.event_delay and stopping.wait(reply.event_delay):
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
