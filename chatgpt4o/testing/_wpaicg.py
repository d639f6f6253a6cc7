"""The old plugin (AI Power 1.7 .. 2.2, ``wpaicg_*`` actions): its chat action, check by check."""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import urlsplit

from chatgpt4o.testing._faults import STREAM_FAULTS, Fault, Target
from chatgpt4o.testing._php import addslashes, php_json, sanitize_text_field
from chatgpt4o.testing._recording import RecordedRequest
from chatgpt4o.testing._replies import (
    BANNED_WORD,
    FLAG_MESSAGES,
    IP_BANNED,
    NO_API_KEY,
    NO_API_KEY_17,
    NOTHING_INPUTTED,
    SiteReply,
    ajax_zero,
    completion_events,
    critical_error_page,
    error_mode_events,
    error_payload,
    flag_event,
    greeting,
    html_reply,
    json_reply,
    limited_events,
    nonce_failure,
    sse_reply,
    stream_end,
    success_payload,
    token_limit_payload,
    upstream_error_payload,
    with_php_warning,
)
from chatgpt4o.testing._state import SiteState, SiteView

CHAT_ACTIONS = frozenset({"wpaicg_chat_shortcode_message", "wpaicg_chatbox_message"})
NONCE_ACTION = "wpaicg-chatbox"


class WpaicgPlugin:
    """The plugin behind one ``LocalSite`` of a wpaicg profile (1.7 .. 2.2)."""

    nonce_action = NONCE_ACTION

    def __init__(self, site: SiteView, state: SiteState) -> None:
        self._site = site
        self._state = state

    def targets(self, request: RecordedRequest) -> tuple[Target, ...]:
        """The fault targets this request answers to: every AJAX request is ``"post"``."""
        return ("post",)

    def handle(self, request: RecordedRequest) -> SiteReply:
        """admin-ajax.php and the plugin's handler, in the order the PHP runs."""
        profile = self._site.profile
        faults = self._state.faults
        if request.method == "POST":
            # $_REQUEST: POST fields over query fields.
            fields = {**request.query, **request.fields}
        else:
            fields = dict(request.query)
        action = fields.get("action", "")
        if not profile.chat_enabled or action not in CHAT_ACTIONS:
            return ajax_zero()
        guard = faults.take("post", "guard")
        if guard is not None and profile.era == "1.7":
            return json_reply(error_payload(NO_API_KEY_17))
        expired = faults.take("post", "nonce") is not None
        if expired or not self._state.nonce_ok(fields.get("_wpnonce", ""), NONCE_ACTION):
            return nonce_failure(profile, self._same_site_referer(request))
        message = self._message(request, fields)
        if message in ("", "0"):  # PHP empty()
            return json_reply(error_payload(NOTHING_INPUTTED))
        if guard is not None:
            return json_reply(error_payload(NO_API_KEY))
        post_id = fields.get("post_id", "")
        known = post_id.isdigit() and int(post_id) == self._site.post_id
        greeting_text = greeting(self._site.title if known else None)
        fault = faults.take("post", "reply")
        warning = faults.take("post", "warning") is not None
        pace = faults.take("post", "pace")
        reply = self._reply(message, greeting_text, fault, force_stream=pace is not None)
        if pace is not None and reply.events is not None:
            chunk, first = float(pace.params["chunk_delay"]), float(pace.params["first_delay"])
            reply = replace(reply, delays=(first, *[chunk] * (len(reply.events) - 1)))
        return with_php_warning(reply) if warning else reply

    def _same_site_referer(self, request: RecordedRequest) -> str | None:
        referer = request.headers.get("referer", "")
        if not referer:
            return None
        try:
            host = urlsplit(referer).hostname
        except ValueError:
            return None
        return referer if host is not None and host == urlsplit(self._site.url).hostname else None

    def _message(self, request: RecordedRequest, fields: dict[str, str]) -> str:
        profile = self._site.profile
        if profile.reads_query:
            raw = fields.get("message", "")
        else:
            raw = request.fields.get("message", "") if request.method == "POST" else ""
        if profile.magic_quotes:
            return sanitize_text_field(addslashes(raw))
        return raw

    def _reply(
        self, message: str, greeting_text: str, fault: Fault | None, *, force_stream: bool
    ) -> SiteReply:
        profile = self._site.profile
        name = fault.name if fault is not None else ""
        params = fault.params if fault is not None else {}
        streaming = self._site.streams or force_stream or name in STREAM_FAULTS
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
        text = self._state.think(message)
        if text is None:
            return html_reply(500, critical_error_page())
        final = success_payload(greeting_text, text)
        if name == "truncated_json":
            encoded = php_json(final)
            return json_reply(encoded[: len(encoded) // 2])
        if not streaming:
            return json_reply(final)
        events = prefix + completion_events(text, created=int(self._state.now()))
        events += stream_end(profile, final)
        if name == "stream_cut":
            return sse_reply(events[: int(params["after"])], complete=False)
        return sse_reply(events)
