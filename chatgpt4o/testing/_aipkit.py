"""The AIPKit (AI Puffer 2.3+) plugin's AJAX actions, run in the order the PHP runs its checks."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable, Collection, Literal, Mapping
from urllib.parse import urlsplit

from chatgpt4o.testing._aipkit_replies import (
    AJAX_HEADERS,
    BANNED_IP,
    BANNED_WORD,
    CACHE_ACTION,
    CACHE_EXPIRED,
    CACHE_NOT_FOUND,
    CONVERSATION_REQUIRED,
    CORS_DENIED,
    CRITICAL_ERROR,
    DONE,
    EMBED_NOT_AVAILABLE,
    EMPTY_DATA,
    EMPTY_MESSAGE,
    GUESTS_DISABLED,
    HISTORY_ACTION,
    HISTORY_IDS_REQUIRED,
    HISTORY_SESSION_REQUIRED,
    INVALID_BOT,
    JSON_ACTION,
    MAX_HISTORY,
    MISSING_CACHE_KEY,
    MISSING_CONVERSATION,
    MISSING_SESSION,
    MODERATION,
    NO_API_KEY,
    NO_API_KEY_JSON,
    NO_DATA,
    NONCE_ACTION,
    NONCE_FAILURE,
    PREAMBLE,
    PROVIDER,
    REFRESH_ACTION,
    SECURITY_CHECK,
    SESSION_EXPIRED,
    SSE_HEADERS,
    STREAM_ACTION,
    UNEXPECTED_STRUCTURE,
    ajax_zero,
    json_error,
    json_success,
    message_id,
    preflight,
    response_id,
    split_pieces,
    sse_error,
    sse_event,
    stored_id,
    system_prompt,
    word_count,
)
from chatgpt4o.testing._aipkit_store import AipkitStore, Turn, UpstreamCall, to_turn
from chatgpt4o.testing._faults import Fault, Target
from chatgpt4o.testing._image_inputs import ImagePart, ImageRefusal, read_image_inputs, user_turn
from chatgpt4o.testing._php import absint, kses_post, php_empty, sanitize_key, sanitize_text_field
from chatgpt4o.testing._recording import RecordedRequest
from chatgpt4o.testing._replies import (
    SiteReply,
    html_reply,
    json_reply,
    sse_reply,
    with_php_warning,
)
from chatgpt4o.testing._state import SiteState, SiteView

ACTION_TARGETS: Mapping[str, Target] = {
    CACHE_ACTION: "cache",
    STREAM_ACTION: "stream",
    REFRESH_ACTION: "refresh",
    HISTORY_ACTION: "history",
    JSON_ACTION: "json",
}
"""Which ``on=`` fault target each AIPKit action answers to (besides ``"post"``)."""

_ANY: tuple[Target, ...] = ("post",)
# The upstream failure faults, one row each: the stream's error text, then the JSON path's
# status and message (empty: UNEXPECTED_STRUCTURE), filled from the fault's parameters
# ({code} is " (Code: <code>)" when it has one). On the stream ``after`` pieces come first.
_FAILURES: Mapping[str, tuple[str, str, str]] = {
    "api_error": (
        "API Error: {msg}{code}",
        "{status}",
        "OpenAI API Error (HTTP {status}): {msg}{code}",
    ),
    "response_failed": (" (Error: {msg})", "200", "{msg}"),
    "connection_error": (
        "Connection Error: {msg}",
        "503",
        "HTTP request failed: cURL error {errno}: {msg}",
    ),
    "no_data": (NO_DATA, "200", ""),
}
_PHP_TRIM = " \t\n\r\0\x0b"


@dataclass(frozen=True)
class _Refusal:
    message: str
    status: int
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class _Events:
    """A stream being assembled, with where its pieces start (for pacing and cuts)."""

    items: list[bytes]
    first_piece: int = -1


class AipkitPlugin:
    """The plugin behind one ``LocalSite`` of an AIPKit profile: its actions and its data."""

    nonce_action = NONCE_ACTION

    def __init__(self, site: SiteView, state: SiteState) -> None:
        self._site = site
        self._state = state
        self.store = AipkitStore()

    def targets(self, request: RecordedRequest) -> tuple[Target, ...]:
        """The fault targets this request answers to: ``"post"`` and its action's target."""
        target = ACTION_TARGETS.get(request.action)
        return ("post",) if target is None else ("post", target)

    # -- dispatch ----------------------------------------------------------------------------

    def handle(self, request: RecordedRequest) -> SiteReply:
        """Answer one request to the AJAX endpoint, as admin-ajax.php and the plugin would."""
        action = request.action
        handler = self._handlers().get(action)
        if handler is None:
            return ajax_zero(missing=not action)
        if request.method == "OPTIONS":
            return preflight()
        targets: tuple[Target, ...] = ("post", ACTION_TARGETS[action])
        reply = handler(request, targets)
        if self._take(targets, "php_warning") is not None:
            reply = with_php_warning(reply)
        return reply

    def _handlers(self) -> dict[str, Callable[[RecordedRequest, tuple[Target, ...]], SiteReply]]:
        handlers: dict[str, Callable[[RecordedRequest, tuple[Target, ...]], SiteReply]] = {
            CACHE_ACTION: self._cache,
            STREAM_ACTION: self._stream,
            HISTORY_ACTION: self._history,
        }
        if self._site.refresh_action:
            handlers[REFRESH_ACTION] = self._refresh
        if self._site.profile.json_action:
            handlers[JSON_ACTION] = self._json
        return handlers

    # -- shared checks -----------------------------------------------------------------------

    def _take(self, targets: Collection[Target], *names: str) -> Fault | None:
        return self._state.faults.take(targets, None, names)

    def _cross_origin(self, request: RecordedRequest, targets: Collection[Target]) -> bool:
        if self._take(targets, "cross_origin") is not None:
            return True
        origin = request.headers.get("origin", "").strip()
        if not origin:
            return False
        parts = urlsplit(origin if "://" in origin else "http://" + origin)
        site = urlsplit(self._site.url)
        # The plugin compares host and scheme only: another port is still the same site.
        return (parts.hostname, parts.scheme or "http") != (site.hostname, site.scheme)

    def _nonce_ok(self, nonce: str, targets: Collection[Target]) -> bool:
        if self._take(targets, "nonce_expired") is not None:
            return False
        return self._state.nonce_ok(nonce, NONCE_ACTION)

    def _bot_published(self, bot_id: int) -> bool:
        if self._take(_ANY, "unknown_bot") is not None:
            return False
        return bot_id in self._site.bots and bot_id not in self._site.draft_bots

    def _token_refusal(self, bot_id: int, session_id: str) -> _Refusal | None:
        profile = self._site.profile
        fault = self._take(_ANY, "guests_disabled", "quota")
        limit = self._site.guest_limit
        if (fault is not None and fault.name == "guests_disabled") or (
            fault is None and limit == 0
        ):
            return _Refusal(GUESTS_DISABLED, 429)
        over = limit is not None and self.store.usage(bot_id, session_id) >= limit
        if fault is None and not over:
            return None
        message = profile.quota_message
        actions: list[dict[str, Any]] = []
        if fault is not None:
            message = fault.params["msg"] or message
            actions = [dict(action) for action in fault.params["actions"]]
        extra: dict[str, Any] = {}
        if profile.quota_notice:
            extra["quota_notice"] = {"type": "quota_notice", "message": message, "actions": actions}
        return _Refusal(message, 429, extra)

    def _moderation_refusal(self, message: str, remote_addr: str) -> _Refusal | None:
        fault = self._take(_ANY, "banned_ip", "banned_word", "moderation")
        if fault is not None:
            return {
                "banned_ip": _Refusal(BANNED_IP, 403),
                "banned_word": _Refusal(BANNED_WORD, 400),
                "moderation": _Refusal(MODERATION, 400),
            }[fault.name]
        if remote_addr and remote_addr in self._site.banned_ips:
            return _Refusal(BANNED_IP, 403)
        for word in self._site.banned_words:
            word = word.strip().lower()
            if word and re.search(r"\b" + re.escape(word) + r"\b", message, re.IGNORECASE):
                return _Refusal(BANNED_WORD, 400)
        return None

    def _log_user(
        self, thread: tuple[int, str, str], message: str, client_id: str | None, now: float
    ) -> None:
        self.store.append(
            thread,
            {
                "message_id": client_id or stored_id(message_id(now)),
                "role": "user",
                "content": kses_post(message),
                "timestamp": int(now),
            },
        )

    def _json_ok(self, data: Any, targets: Collection[Target]) -> SiteReply:
        reply = json_success(data)
        if self._take(targets, "truncated_json") is not None:
            text = reply.body.decode("utf-8")
            return json_reply(text[: len(text) // 2], headers=AJAX_HEADERS)
        return reply

    # -- aipkit_cache_sse_message ------------------------------------------------------------

    def _cache(self, request: RecordedRequest, targets: tuple[Target, ...]) -> SiteReply:
        site = self._site
        fields = request.fields if request.method == "POST" else {}  # $_POST only
        bot_id = absint(fields.get("bot_id", ""))
        if site.profile.origin_gate and bot_id > 0 and self._cross_origin(request, targets):
            return json_error(EMBED_NOT_AVAILABLE, 403, "embed_not_available")
        nonce = fields.get("_ajax_nonce")
        if nonce is None or not self._nonce_ok(sanitize_key(nonce), targets):
            return json_error(SESSION_EXPIRED, 403, "nonce_failure_cache_sse")
        message = fields.get("message", "").replace("\0", "")
        images = self._images(fields)
        if isinstance(images, ImageRefusal):
            return json_error(images.message, images.status, images.code)
        if php_empty(message) and not images:
            return json_error(EMPTY_DATA, 400, "empty_data_to_cache")
        client = fields.get("user_client_message_id")
        key = self.store.cache_put(
            message, sanitize_key(client) if client else None, self._state.now(), images
        )
        return self._json_ok({"cache_key": key}, targets)

    def _images(self, fields: Mapping[str, str]) -> tuple[ImagePart, ...] | ImageRefusal:
        # The site takes pictures whether or not the bot's page offers upload (as recorded).
        return read_image_inputs(
            fields.get("image_inputs"), multiple=self._site.profile.many_images
        )

    # -- aipkit_get_frontend_chat_nonce ------------------------------------------------------

    def _refresh(self, request: RecordedRequest, targets: tuple[Target, ...]) -> SiteReply:
        fields = request.fields if request.method == "POST" else {}
        bot_id = absint(fields.get("bot_id", ""))
        if self._site.profile.origin_gate and bot_id > 0 and self._cross_origin(request, targets):
            return json_error(CORS_DENIED, 403, "cors_denied")
        return self._json_ok({"nonce": self._state.make_nonce(NONCE_ACTION)}, targets)

    # -- aipkit_get_conversation_history -----------------------------------------------------

    def _history(self, request: RecordedRequest, targets: tuple[Target, ...]) -> SiteReply:
        if not self._nonce_ok(_request_fields(request).get("_ajax_nonce", ""), targets):
            return json_error(NONCE_FAILURE, 403, "nonce_failure")
        fields = request.fields if request.method == "POST" else {}
        bot_id = absint(fields.get("bot_id", ""))
        conversation = sanitize_key(fields.get("conversation_uuid", ""))
        session = sanitize_text_field(fields.get("session_id", ""))
        if not bot_id or not conversation:
            return json_error(HISTORY_IDS_REQUIRED, 400)
        if not session:
            return json_error(HISTORY_SESSION_REQUIRED, 400)
        entries = self.store.entries((bot_id, session, conversation))
        return self._json_ok({"history": entries}, targets)

    # -- aipkit_frontend_chat_stream ---------------------------------------------------------

    def _stream(self, request: RecordedRequest, targets: tuple[Target, ...]) -> SiteReply:
        site = self._site
        now = self._state.now()
        head = [PREAMBLE] if site.profile.sse_preamble else []

        def refuse(message: str, extra: Mapping[str, Any] | None = None) -> SiteReply:
            return sse_reply([*head, sse_error(message, now, extra=extra), DONE], SSE_HEADERS)

        query = request.query  # $_GET: fields POSTed in a body are not read
        bot_id = absint(query.get("bot_id", ""))
        if site.profile.origin_gate and bot_id > 0 and self._cross_origin(request, targets):
            return refuse(CORS_DENIED)
        if not self._nonce_ok(_request_fields(request).get("_ajax_nonce", ""), targets):
            return refuse(SECURITY_CHECK)
        key = sanitize_key(query.get("cache_key", ""))
        if not key:
            return refuse(MISSING_CACHE_KEY)
        cached = self.store.cache_take(key, now)
        if isinstance(cached, str):
            return refuse(CACHE_NOT_FOUND if cached == "not_found" else CACHE_EXPIRED)
        conversation = sanitize_key(query.get("conversation_uuid", ""))
        session = sanitize_text_field(query.get("session_id", ""))
        if not self._bot_published(bot_id):
            return refuse(INVALID_BOT)
        if not conversation:
            return refuse(MISSING_CONVERSATION)
        if not session:
            return refuse(MISSING_SESSION)
        message = cached.message
        refusal = self._token_refusal(bot_id, session) or self._moderation_refusal(
            message, request.remote_addr
        )
        if refusal is not None:
            return refuse(refusal.message, refusal.extra)
        thread = (bot_id, session, conversation)
        self._log_user(thread, message, cached.client_message_id, now)
        entries = self.store.entries(thread)
        if entries and entries[-1].get("role") == "user":
            entries.pop()  # the message just logged; it goes upstream as the current turn
        replayed = entries[-MAX_HISTORY:]
        if self._take(_ANY, "no_api_key") is not None:
            return refuse(NO_API_KEY)
        call = _upstream_call(
            "stream", thread, message, replayed, now, cached.images, site.api_mode
        )
        return self._stream_answer(call, head, now)

    def _stream_answer(self, call: UpstreamCall, head: list[bytes], now: float) -> SiteReply:
        site = self._site
        failure, warning = self._ask(call)
        cut = self._take(_ANY, "stream_cut")
        pace = self._take(_ANY, "slow_stream")
        bot_id = message_id(now)
        # Chat Completions (2.4.68+'s API mode) has no response id and no status events.
        chat_completions = site.api_mode == "chat_completions"
        resp = None if chat_completions else response_id()
        events = _Events([*head, sse_event("message_start", {"message_id": bot_id})])
        start = len(events.items)
        status = [
            sse_event("status", {"type": kind, "status": "in_progress", "response_id": resp})
            for kind in ("response.created", "response.in_progress")
            if site.profile.status_events and not chat_completions
        ]
        after = int(failure.params.get("after", 0)) if failure is not None else 0
        text = self._state.think_call(call) if failure is None or after else ""
        if text is None:  # the model callable raised: a PHP fatal error mid-stream
            return sse_reply(events.items, SSE_HEADERS, complete=False)
        pieces = split_pieces(text)
        if chat_completions:  # as the recorded upstream sent it: two words, then the rest
            pieces = [part for part in ("".join(pieces[:2]), "".join(pieces[2:])) if part]
        if failure is not None:
            if failure.name == "response_failed" or after:  # the response had begun
                events.items += status
            _add_pieces(events, pieces[:after])
            if failure.name == "connection_error" and after:  # stored before cURL's error
                self._log_bot(call, "".join(pieces[:after]), bot_id, resp, now, usage=False)
            message, _, _ = _failure_texts(failure)
            events.items.append(sse_error(message, now))
            return _paced(events, start, pace)
        events.items += status
        _add_pieces(events, pieces)
        if not pieces:
            events.items.append(sse_error(NO_DATA, now))
            return _paced(events, start, pace)
        cut_at = events.first_piece + min(int(cut.params["after"]), len(pieces)) if cut else -1
        if resp is not None:
            events.items.append(sse_event("openai_response_id", {"id": resp}))
        stored = text
        if warning is not None:
            events.items.append(sse_error(str(warning.params["msg"]), now, warning=True))
            stored += str(warning.params["msg"])
        events.items.append(DONE)
        self._log_bot(call, stored, bot_id, resp, now, usage=True)
        if cut is not None:
            return _paced(_Events(events.items[:cut_at], events.first_piece), start, pace, cut=True)
        return _paced(events, start, pace)

    def _ask(self, call: UpstreamCall) -> tuple[Fault | None, Fault | None]:
        """Send ``call`` to the model: the upstream failure and ``warning`` queued, if any."""
        failure = self._take(_ANY, *_FAILURES)
        warning = self._take(_ANY, "warning")
        self._state.record_upstream(call)
        return failure, warning

    def _log_bot(
        self,
        call: UpstreamCall,
        text: str,
        raw_id: str,
        resp: str | None,
        now: float,
        *,
        usage: bool,
    ) -> None:
        profile = self._site.profile
        tokens_in = sum(word_count(_text(m["content"])) for m in call.input)
        tokens_out = word_count(text)
        entry: dict[str, Any] = {
            "message_id": stored_id(raw_id),
            "role": "bot",
            "content": kses_post(text),
            "timestamp": int(now),
            "provider": PROVIDER,
            "model": profile.model,
        }
        if usage:
            entry["usage"] = _usage(tokens_in, tokens_out)
        entry["request_payload"] = _request_payload(profile.model, call, self._site.api_mode)
        if resp is not None:
            entry["openai_response_id"] = resp
        thread = (call.bot_id, call.session_id, call.conversation_uuid)
        self.store.append(thread, entry)
        if usage:
            self.store.add_usage(call.bot_id, call.session_id, tokens_in + tokens_out)

    # -- aipkit_frontend_chat_message (2.3 .. 2.4.0) -----------------------------------------

    def _json(self, request: RecordedRequest, targets: tuple[Target, ...]) -> SiteReply:
        site = self._site
        now = self._state.now()
        fields = request.fields if request.method == "POST" else {}  # $_POST only
        bot_id = absint(fields.get("bot_id", ""))
        if site.profile.origin_gate and bot_id > 0 and self._cross_origin(request, targets):
            return json_error(EMBED_NOT_AVAILABLE, 403)
        if not self._nonce_ok(_request_fields(request).get("_ajax_nonce", ""), targets):
            return json_error(SECURITY_CHECK, 403)
        if bot_id not in site.bots:
            return html_reply(
                500, CRITICAL_ERROR, AJAX_HEADERS
            )  # observed: an unknown bot crashes PHP
        conversation = sanitize_key(fields.get("conversation_uuid", ""))
        session = sanitize_text_field(fields.get("session_id", ""))
        message = fields.get("message", "").replace("\0", "").strip(_PHP_TRIM)
        if not conversation:
            return json_error(CONVERSATION_REQUIRED, 400)
        if not session:
            return json_error(MISSING_SESSION, 400)
        if php_empty(message) and php_empty(fields.get("image_inputs", "")):
            return json_error(EMPTY_MESSAGE, 400)
        if not self._bot_published(bot_id):
            return json_error(INVALID_BOT, 400)
        refusal = self._token_refusal(bot_id, session) or self._moderation_refusal(
            message, request.remote_addr
        )
        if refusal is not None:
            return json_error(refusal.message, refusal.status)
        images = self._images(fields)
        if isinstance(images, ImageRefusal):
            return json_error(images.message, images.status)  # this path sends no code
        thread = (bot_id, session, conversation)
        self._log_user(thread, message, None, now)
        replayed = self.store.entries(thread)[-MAX_HISTORY:]
        # The history ends with the message just logged: 2.3 .. 2.4.0 send it twice.
        call = _upstream_call("json", thread, message, replayed, now, images)
        bot_raw_id = message_id(now)
        if self._take(_ANY, "no_api_key") is not None:
            return self._json_failure(call, NO_API_KEY_JSON, 400, bot_raw_id, now)
        failure, warning = self._ask(call)
        if failure is not None:
            _, status, text = _failure_texts(failure)
            return self._json_failure(call, text or UNEXPECTED_STRUCTURE, status, bot_raw_id, now)
        answer = self._state.think_call(call)
        if answer is None:
            return html_reply(500, CRITICAL_ERROR, AJAX_HEADERS)
        reply = answer.strip(_PHP_TRIM)
        if warning is not None:
            reply += str(warning.params["msg"])
        resp = response_id()
        self._log_bot(call, reply, bot_raw_id, resp, now, usage=True)
        data = {"reply": reply, "message_id": stored_id(bot_raw_id), "openai_response_id": resp}
        return self._json_ok(data, targets)

    def _json_failure(
        self, call: UpstreamCall, text: str, status: int, raw_id: str, now: float
    ) -> SiteReply:
        self._log_bot(call, "Error: " + text, raw_id, None, now, usage=False)
        return json_error(text, status)


def _failure_texts(failure: Fault) -> tuple[str, int, str]:
    """The stream's error text, and the JSON path's status and message, for ``failure``."""
    code = failure.params.get("code")
    fields = {**failure.params, "code": f" (Code: {code})" if code else ""}
    stream, status, message = (text.format(**fields) for text in _FAILURES[failure.name])
    return stream, int(status), message


def _request_fields(request: RecordedRequest) -> dict[str, str]:
    """``$_REQUEST``: query fields, overridden by POST body fields."""
    if request.method == "POST":
        return {**request.query, **request.fields}
    return dict(request.query)


def _upstream_call(
    path: Literal["stream", "json"],
    thread: tuple[int, str, str],
    message: str,
    replayed: list[dict[str, Any]],
    now: float,
    images: tuple[ImagePart, ...] = (),
    api_mode: str = "responses",
) -> UpstreamCall:
    history: tuple[Turn, ...] = tuple(to_turn(entry) for entry in replayed)
    # The plugin trims every turn and leaves out the empty ones, the current one included
    # (pictures and all).
    messages = [
        {"role": "user" if turn.role == "user" else "assistant", "content": text}
        for turn, text in ((turn, turn.content.strip(_PHP_TRIM)) for turn in history)
        if text
    ]
    current = user_turn(message, images, api_mode=api_mode)
    items: tuple[Mapping[str, Any], ...] = (
        {"role": "system", "content": system_prompt(now)},
        *messages,
        *([current] if current is not None else []),
    )
    bot_id, session, conversation = thread
    return UpstreamCall(
        path,
        bot_id,
        session,
        conversation,
        message.strip(_PHP_TRIM) if current is not None else "",
        history,
        items,
        images if current is not None else (),
    )


def _text(content: Any) -> str:
    """The text of a turn's content: a str, or the text parts of a list of parts."""
    if isinstance(content, str):
        return content
    return " ".join(str(part.get("text", "")) for part in content if "text" in part)


def _usage(tokens_in: int, tokens_out: int) -> dict[str, Any]:
    total = tokens_in + tokens_out
    return {
        "input_tokens": tokens_in,
        "output_tokens": tokens_out,
        "total_tokens": total,
        "provider_raw": {
            "input_tokens": tokens_in,
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": tokens_out,
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": total,
        },
    }


def _request_payload(model: str, call: UpstreamCall, api_mode: str) -> dict[str, Any]:
    items = [dict(item) for item in call.input]
    if call.path == "json":  # 2.3 .. 2.4.0's non-stream logger (recorded on 2.4.0)
        return {
            "provider": PROVIDER,
            "model": model,
            "system_instruction": items[0]["content"],
            "messages": items[1:],
            "ai_params": {
                "temperature": 1,
                "top_p": 1,
                "frequency_penalty": 0,
                "presence_penalty": 0,
                "max_completion_tokens": 4000,
                "store_conversation": "0",
            },
            "payload_sent": {
                "model": model,
                "input": items,
                "store": False,
                "temperature": 1,
                "max_output_tokens": 4000,
                "top_p": 1,
            },
        }
    if api_mode == "chat_completions":  # the upstream body of the protocol notes (T/32)
        chat_body = {
            "messages": items,
            "model": model,
            "temperature": 1,
            "top_p": 1,
            "stream": True,
            "max_completion_tokens": 4000,
            "stream_options": {"include_usage": True},
        }
        return {"provider": PROVIDER, "model": model, "payload_sent": chat_body}
    sent: dict[str, Any] = {"model": model, "input": items, "stream": True, "store": False}
    if model.startswith("gpt-5"):  # reasoning models take no sampling controls
        sent.update({"max_output_tokens": 4000, "reasoning": {"effort": "none"}})
    else:
        sent.update({"temperature": 1, "max_output_tokens": 4000, "top_p": 1})
    return {"provider": PROVIDER, "model": model, "payload_sent": sent}


def _add_pieces(events: _Events, pieces: list[str]) -> None:
    if events.first_piece < 0:
        events.first_piece = len(events.items)
    events.items += [sse_event(None, {"delta": piece}) for piece in pieces]


def _paced(events: _Events, start: int, pace: Fault | None, *, cut: bool = False) -> SiteReply:
    """The stream reply; ``slow_stream`` spaces every event after ``message_start``."""
    delays: list[float] = []
    if pace is not None:
        chunk = float(pace.params["chunk_delay"])
        first = float(pace.params["first_delay"])
        delays = [chunk if index >= start else 0.0 for index in range(len(events.items))]
        if 0 <= events.first_piece < len(delays):
            delays[events.first_piece] += first
    return sse_reply(events.items, SSE_HEADERS, complete=not cut, delays=delays)
