"""AIPKit chat over real HTTP: the cache POST, the SSE GET, nonce refresh, history, threads."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlencode

import pytest

from chatgpt4o.testing import LocalSite, Turn, UpstreamCall

from ._aipkit_http import (
    PREAMBLE,
    Event,
    Guest,
    fetch,
    form_post,
    names,
    sse_events,
    text_of,
)

SESSION_EXPIRED = (
    b'{"success":false,"data":{"message":"Your session has expired or the request is invalid. '
    b'Please refresh the page and try again.","code":"nonce_failure_cache_sse"}}'
)
SECURITY = "Security check failed. Please refresh the page and try again."


def frozen_clock() -> float:
    """A site clock that stands still: tests comparing timestamps never cross a second."""
    return 1_785_000_000.25


def refusal(events: list[Event]) -> list[tuple[str | None, Any]]:
    return [(e.name, e.data) for e in events]


# -- aipkit_cache_sse_message --------------------------------------------------------------


@pytest.mark.parametrize("as_multipart", [True, False])
def test_cache_post_returns_a_single_use_key(as_multipart: bool) -> None:
    with LocalSite("2.4.71") as site:
        guest = Guest(site)
        fields = {
            "action": "aipkit_cache_sse_message",
            "message": "Hello",
            "_ajax_nonce": site.nonce,
            "bot_id": "5",
        }
        reply = form_post(site, fields, as_multipart=as_multipart)
        assert reply.status == 200
        assert reply.headers["content-type"] == "application/json; charset=UTF-8"
        assert re.fullmatch(
            rb'\{"success":true,"data":\{"cache_key":"aipkit_sse_[A-Za-z0-9]{32}"\}\}', reply.body
        )
        key = reply.json()["data"]["cache_key"]
        assert site.cached_messages == 1
        first = sse_events(guest.stream(key).body)
        assert text_of(first) == "Echo: Hello"
        assert site.cached_messages == 0
        again = sse_events(guest.stream(key).body)
        assert refusal(again) == [
            ("error", {"error": "Message not found in cache."}),
            ("done", {"finished": True}),
        ]


def test_cache_keys_expire_after_60_seconds_of_the_site_clock() -> None:
    with LocalSite("2.4.71") as site:
        guest = Guest(site)
        fresh, old = guest.key("fresh"), guest.key("old")
        site.advance_clock(59)
        assert text_of(sse_events(guest.stream(fresh).body)) == "Echo: fresh"
        site.advance_clock(1.5)
        expired = sse_events(guest.stream(old).body)
        assert expired[0].data == {"error": "Cached message has expired."}
        assert sse_events(guest.stream(old).body)[0].data == {
            "error": "Cached message has expired."
        }  # expired rows stay until the hourly cleanup
        site.advance_clock(3600)
        assert sse_events(guest.stream(old).body)[0].data == {
            "error": "Message not found in cache."
        }


def test_cache_key_lookup_ignores_case_like_mysql() -> None:
    with LocalSite("2.4.71") as site:
        guest = Guest(site)
        key = guest.key("case")
        assert text_of(sse_events(guest.stream(key.upper()).body)) == "Echo: case"


@pytest.mark.parametrize("nonce", [None, "", "0123456789"])
def test_cache_nonce_failure_is_403_with_its_code(nonce: str | None) -> None:
    with LocalSite("2.4.71") as site:
        reply = Guest(site).cache("Hello", _ajax_nonce=nonce)
        assert reply.status == 403
        assert reply.body == SESSION_EXPIRED


def test_cache_reads_only_the_post_body() -> None:
    with LocalSite("2.4.71") as site:
        query = urlencode(
            {"action": "aipkit_cache_sse_message", "message": "hi", "_ajax_nonce": site.nonce}
        )
        reply = fetch(site, "GET", f"{site.ajax_path}?{query}")
        assert (reply.status, reply.body) == (403, SESSION_EXPIRED)
        # sanitize_key() lower-cases the nonce first.
        assert Guest(site).cache("hi", _ajax_nonce=site.nonce.upper()).status == 200


@pytest.mark.parametrize("message", ["", "0"])
def test_cache_refuses_an_empty_message(message: str) -> None:
    with LocalSite("2.4.71") as site:
        reply = Guest(site).cache(message)
        assert reply.status == 400
        assert reply.body == (
            b'{"success":false,"data":{"message":"Data to cache (message or image) cannot be '
            b'empty.","code":"empty_data_to_cache"}}'
        )
        assert Guest(site).cache("", image_inputs='[{"type":"image/png"}]').status == 200


def test_cache_keeps_the_message_raw_but_drops_nul() -> None:
    with LocalSite("2.4.71") as site:
        guest = Guest(site)
        raw = 'Héllo <b>bold</b> "quoted" & ünïcødé ✓\nsecond line\x00'
        events = sse_events(guest.stream(guest.key(raw)).body)
        assert text_of(events) == "Echo: " + raw[:-1]
        assert site.upstream_calls[-1].message == raw[:-1]


@pytest.mark.parametrize(
    ("origin", "status"),
    [
        ("http://other.example", 403),
        ("https://127.0.0.1", 403),  # another scheme
        ("http://127.0.0.1:1", 200),  # another port is the same site
        (None, 200),
    ],
)
def test_cache_origin_check(origin: str | None, status: int) -> None:
    with LocalSite("2.4.71") as site:
        headers = {"Origin": origin} if origin else {}
        fields = {
            "action": "aipkit_cache_sse_message",
            "message": "hi",
            "_ajax_nonce": site.nonce,
            "bot_id": "5",
        }
        reply = form_post(site, fields, headers=headers)
        assert reply.status == status
        if status == 403:
            assert reply.json() == {
                "success": False,
                "data": {
                    "message": "Embed feature is not available with your current plan.",
                    "code": "embed_not_available",
                },
            }
        del fields["bot_id"]  # the check only runs for a bot_id > 0
        assert form_post(site, fields, headers=headers).status == 200


# -- aipkit_frontend_chat_stream -----------------------------------------------------------


def test_stream_success_headers_preamble_and_event_order() -> None:
    with LocalSite("2.4.71", clock=frozen_clock) as site:
        guest = Guest(site)
        reply = guest.stream(guest.key("Hello there, bot!"))
        assert reply.status == 200
        assert reply.terminated
        assert reply.headers["content-type"] == "text/event-stream; charset=utf-8"
        assert reply.headers["cache-control"] == (
            "no-cache, no-store, must-revalidate, max-age=0, no-transform"
        )
        assert reply.headers["pragma"] == "no-cache"
        assert reply.headers["x-accel-buffering"] == "no"
        assert reply.headers["transfer-encoding"] == "chunked"
        assert reply.chunks[0] == PREAMBLE
        events = sse_events(reply.body)
        assert names(events) == [
            "message_start", "status", "status", "delta", "delta", "delta", "delta",
            "openai_response_id", "done",
        ]  # fmt: skip
        assert len(reply.chunks) == len(events) + 1  # one flush per event
        start, created, progress = events[:3]
        assert re.fullmatch(r"aipkit-msg-[0-9a-f]{13}[0-9]\.[0-9]{8}", start.data["message_id"])
        assert start.data["message_id"][11:19] == f"{int(site.now()):08x}"
        resp = events[-2].data["id"]
        assert re.fullmatch(r"resp_[0-9a-f]{48}", resp)
        assert created.data == {
            "type": "response.created",
            "status": "in_progress",
            "response_id": resp,
        }
        assert progress.data["type"] == "response.in_progress"
        assert [e.data["delta"] for e in events if e.name is None] == [
            "Echo:",
            " Hello",
            " there,",
            " bot!",
        ]
        assert events[-1].raw == b'event: done\ndata: {"finished":true}\n\n'


def test_stream_json_keeps_unicode_and_escapes_slashes() -> None:
    with LocalSite("2.4.71", answer=lambda m: m) as site:
        guest = Guest(site)
        body = guest.stream(guest.key("é </b>")).body
        assert 'data: {"delta":"é"}\n\n'.encode() in body
        assert b'data: {"delta":" <\\/b>"}\n\n' in body


@pytest.mark.parametrize("nonce", [None, "0123456789"])
def test_stream_nonce_failure_is_an_sse_error_and_keeps_the_key(nonce: str | None) -> None:
    with LocalSite("2.4.71", clock=frozen_clock) as site:
        guest = Guest(site)
        key = guest.key("kept")
        reply = guest.stream(key, _ajax_nonce=nonce)
        assert reply.status == 200
        assert reply.chunks[0] == PREAMBLE
        events = sse_events(reply.body)
        assert refusal(events) == [("error", {"error": SECURITY}), ("done", {"finished": True})]
        assert events[0].id == f"err-{int(site.now())}"
        assert events[0].raw.startswith(b"event: error\nid: err-")
        assert text_of(sse_events(guest.stream(key).body)) == "Echo: kept"


def test_stream_reads_only_the_query_string() -> None:
    with LocalSite("2.4.71") as site:
        guest = Guest(site)
        fields = {
            "action": "aipkit_frontend_chat_stream",
            "cache_key": guest.key(),
            "bot_id": "5",
            "session_id": guest.session_id,
            "conversation_uuid": guest.conversation_uuid,
            "_ajax_nonce": site.nonce,
        }
        reply = form_post(site, fields, as_multipart=False)
        assert reply.headers["content-type"] == "text/event-stream; charset=utf-8"
        assert sse_events(reply.body)[0].data == {"error": "Message cache key is missing."}
        # The nonce is read from $_REQUEST, so it may come in the body of a GET's POST twin.
        query = urlencode({k: v for k, v in fields.items() if k != "_ajax_nonce"})
        reply = form_post(site, {"_ajax_nonce": site.nonce}, query=query)
        assert text_of(sse_events(reply.body)) == "Echo: hi"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"cache_key": ""}, "Message cache key is missing."),
        ({"cache_key": None}, "Message cache key is missing."),
        ({"cache_key": "aipkit_sse_nope"}, "Message not found in cache."),
        ({"bot_id": "999999"}, "Invalid chatbot specified."),
        ({"bot_id": None}, "Invalid chatbot specified."),
        ({"conversation_uuid": ""}, "Conversation ID is missing."),
        ({"conversation_uuid": "!!!"}, "Conversation ID is missing."),  # sanitize_key empties it
        ({"session_id": ""}, "Session ID is missing for guest."),
    ],
)
def test_stream_refusals_before_the_answer(overrides: dict[str, str | None], message: str) -> None:
    with LocalSite("2.4.71") as site:
        guest = Guest(site)
        key = guest.key()
        reply = guest.stream(**{"cache_key": key, **overrides})  # type: ignore[arg-type]
        assert reply.status == 200
        assert reply.terminated
        assert refusal(sse_events(reply.body)) == [
            ("error", {"error": message}),
            ("done", {"finished": True}),
        ]
        if "cache_key" not in overrides:  # the key was read (and deleted) before the check
            assert site.cached_messages == 0
        assert site.upstream_calls == []


def test_stream_cross_origin_is_refused_before_the_nonce_check() -> None:
    with LocalSite("2.4.71") as site:
        guest = Guest(site)
        reply = guest.stream(
            guest.key(), headers={"Origin": "http://other.example"}, _ajax_nonce="x"
        )
        assert sse_events(reply.body)[0].data == {
            "error": "This domain is not permitted to access the chatbot."
        }


# -- aipkit_get_frontend_chat_nonce --------------------------------------------------------


def test_refresh_needs_no_nonce_on_post_or_get() -> None:
    with LocalSite("2.4.71") as site:
        expected = f'{{"success":true,"data":{{"nonce":"{site.nonce}"}}}}'.encode()
        assert Guest(site).refresh(bot_id="5").body == expected
        assert form_post(
            site, {"action": "aipkit_get_frontend_chat_nonce"}, as_multipart=False
        ).body == (expected)
        get = fetch(site, "GET", f"{site.ajax_path}?action=aipkit_get_frontend_chat_nonce")
        assert (get.status, get.body) == (200, expected)
        assert get.headers["cache-control"] == "no-cache, must-revalidate, max-age=0"
        assert len(site.nonce_refreshes) == 3


def test_refresh_after_rotation_gives_the_new_working_nonce() -> None:
    with LocalSite("2.4.71") as site:
        old = Guest(site)
        key = old.key()
        site.rotate_nonce()
        assert old.cache("after rotation").body == SESSION_EXPIRED
        assert sse_events(old.stream(key).body)[0].data == {"error": SECURITY}
        nonce = old.refresh(bot_id="5").json()["data"]["nonce"]
        assert nonce == site.nonce
        old.nonce = nonce
        assert text_of(old.send("with the new nonce")) == "Echo: with the new nonce"


def test_refresh_cross_origin_is_cors_denied() -> None:
    with LocalSite("2.4.71") as site:
        reply = form_post(
            site,
            {"action": "aipkit_get_frontend_chat_nonce", "bot_id": "5"},
            headers={"Origin": "http://other.example"},
        )
        assert reply.status == 403
        assert reply.body == (
            b'{"success":false,"data":{"message":"This domain is not permitted to access the '
            b'chatbot.","code":"cors_denied"}}'
        )


@pytest.mark.parametrize(
    ("profile", "options"), [("2.4.71", {"refresh_action": False}), ("2.3.20", {})]
)
def test_without_the_refresh_action_it_is_400_zero(profile: str, options: dict[str, Any]) -> None:
    with LocalSite(profile, **options) as site:
        reply = Guest(site).refresh()
        assert (reply.status, reply.body) == (400, b"0")
        assert reply.headers["content-type"] == "text/html; charset=UTF-8"


# -- aipkit_get_conversation_history, server-side threads ---------------------------------


def test_the_server_keeps_the_thread_and_the_client_sends_only_the_new_turn() -> None:
    with LocalSite("2.4.71", clock=frozen_clock) as site:
        guest = Guest(site)
        assert text_of(guest.send("Hello there, bot!")) == "Echo: Hello there, bot!"
        assert text_of(guest.send("And a second question?")) == "Echo: And a second question?"
        assert [p.fields["message"] for p in site.cache_posts] == [
            "Hello there, bot!",
            "And a second question?",
        ]
        thread = site.thread(5, guest.session_id, guest.conversation_uuid.upper())
        assert [(t.role, t.content) for t in thread] == [
            ("user", "Hello there, bot!"),
            ("bot", "Echo: Hello there, bot!"),
            ("user", "And a second question?"),
            ("bot", "Echo: And a second question?"),
        ]
        assert all(isinstance(t, Turn) and t.timestamp == int(site.now()) for t in thread)
        call = site.upstream_calls[-1]
        assert isinstance(call, UpstreamCall)
        assert call.path == "stream"
        assert call.message == "And a second question?"
        assert call.history == tuple(thread[:2])
        assert [(m["role"], m["content"]) for m in call.input] == [
            ("system", call.input[0]["content"]),
            ("user", "Hello there, bot!"),
            ("assistant", "Echo: Hello there, bot!"),
            ("user", "And a second question?"),
        ]
        assert call.input[0]["content"].startswith("You are a helpful AI Assistant.")
        # A new conversation id starts afresh; the old thread stays.
        guest.conversation_uuid = "b9f45809-af71-4149-923a-e2105a20c82e"
        guest.send("Fresh start")
        assert site.upstream_calls[-1].history == ()
        assert len(site.threads()) == 2


def test_the_model_sees_the_last_15_stored_messages_plus_the_current_one() -> None:
    seen: list[UpstreamCall] = []

    def model(call: UpstreamCall) -> str:
        seen.append(call)
        return f"reply {len(call.history)}"

    with LocalSite("2.4.71", model=model) as site:
        guest = Guest(site)
        for i in range(10):
            guest.send(f"m{i}")
        last = seen[-1]
        assert len(last.history) == 15
        assert last.history[-1].content == "reply 15"  # the answer to m8
        assert last.history[0].role == "bot"  # 18 stored, the first 3 dropped
        assert len(last.input) == 1 + 15 + 1
        assert len(site.thread(5, guest.session_id, guest.conversation_uuid)) == 20


def test_a_message_whose_answer_failed_stays_in_the_thread() -> None:
    with LocalSite("2.4.71") as site:
        guest = Guest(site)
        site.inject("api_error")
        guest.send("lost")
        guest.send("next")
        assert [
            (t.role, t.content) for t in site.thread(5, guest.session_id, guest.conversation_uuid)
        ] == [
            ("user", "lost"),
            ("user", "next"),
            ("bot", "Echo: next"),
        ]
        assert [m["role"] for m in site.upstream_calls[-1].input] == ["system", "user", "user"]


def test_stored_text_is_kses_normalised_and_replayed_that_way() -> None:
    with LocalSite("2.4.71") as site:
        guest = Guest(site)
        guest.send("fish & chips < 3")
        guest.send("more")
        thread = site.thread(5, guest.session_id, guest.conversation_uuid)
        assert thread[0].content == "fish &amp; chips &lt; 3"
        assert site.upstream_calls[-1].input[1]["content"] == "fish &amp; chips &lt; 3"


def test_history_action_returns_the_stored_objects() -> None:
    with LocalSite("2.4.71", clock=frozen_clock) as site:
        guest = Guest(site)
        guest.cache("first")  # cached but never streamed: not in the thread
        key = guest.cache("Hello", user_client_message_id="aipkit-client-msg-5-1-ABCDE")
        guest.stream(key.json()["data"]["cache_key"])
        reply = guest.history()
        assert reply.status == 200
        history = reply.json()["data"]["history"]
        user, bot = history
        assert user == {
            "message_id": "aipkit-client-msg-5-1-abcde",
            "role": "user",
            "content": "Hello",
            "timestamp": int(site.now()),
        }
        assert list(bot) == [
            "message_id", "role", "content", "timestamp", "provider", "model", "usage",
            "request_payload", "openai_response_id",
        ]  # fmt: skip
        assert bot["model"] == "gpt-5.6-luna"
        assert bot["usage"]["total_tokens"] == bot["usage"]["input_tokens"] + 2
        payload = bot["request_payload"]["payload_sent"]
        assert payload["input"][-1] == {"role": "user", "content": "Hello"}
        assert payload["stream"] is True
        assert len(site.history_requests) == 1


def test_chat_completions_mode_stores_its_upstream_body_and_no_response_id() -> None:
    with LocalSite("2.4.71", clock=frozen_clock, api_mode="chat_completions") as site:
        guest = Guest(site)
        key = guest.cache("Hello")
        stream = guest.stream(key.json()["data"]["cache_key"])
        assert b"event: status" not in stream.body
        assert b"openai_response_id" not in stream.body
        _, bot = guest.history().json()["data"]["history"]
        assert "openai_response_id" not in bot
        assert bot["request_payload"]["payload_sent"] == {
            "messages": [dict(item) for item in site.upstream_calls[-1].input],
            "model": "gpt-5.6-luna",
            "temperature": 1,
            "top_p": 1,
            "stream": True,
            "max_completion_tokens": 4000,
            "stream_options": {"include_usage": True},
        }


@pytest.mark.parametrize(
    ("overrides", "status", "message", "code"),
    [
        ({"_ajax_nonce": "bad"}, 403, "Security check failed (nonce).", "nonce_failure"),
        ({"bot_id": None}, 400, "Bot ID and Conversation ID are required.", None),
        ({"conversation_uuid": ""}, 400, "Bot ID and Conversation ID are required.", None),
        ({"session_id": ""}, 400, "Session ID is required for guest history.", None),
    ],
)
def test_history_errors(
    overrides: dict[str, str | None], status: int, message: str, code: str | None
) -> None:
    with LocalSite("2.4.71") as site:
        reply = Guest(site).history(**overrides)
        assert reply.status == status
        data: dict[str, str] = {"message": message}
        if code:
            data["code"] = code
        assert reply.json() == {"success": False, "data": data}


def test_guest_limit_counts_tokens_per_session() -> None:
    with LocalSite("2.4.71", guest_limit=1) as site:
        first, other = Guest(site), Guest(site)
        assert text_of(first.send("under quota")) == "Echo: under quota"
        assert site.guest_usage(5, first.session_id) > 1
        over = first.send("over quota")
        message = "You have reached your quota for this period."
        assert refusal(over) == [
            (
                "error",
                {
                    "error": message,
                    "quota_notice": {"type": "quota_notice", "message": message, "actions": []},
                },
            ),
            ("done", {"finished": True}),
        ]
        assert text_of(other.send("new session")) == "Echo: new session"
        site.guest_limit = None
        assert text_of(first.send("unlimited again")) == "Echo: unlimited again"
        site.guest_limit = 0
        assert first.send("no guests")[0].data == {"error": "Access disabled for guests."}


def test_banned_ips_and_words_settings() -> None:
    with LocalSite("2.4.71", banned_words=["Forbidden"]) as site:
        guest = Guest(site)
        word = "Sorry, your message could not be sent as it contains prohibited words."
        assert guest.send("this has FORBIDDEN in it")[0].data == {"error": word}
        assert text_of(guest.send("forbiddenness is fine")) == "Echo: forbiddenness is fine"
        site.banned_ips = ("127.0.0.1",)
        assert guest.send("hi")[0].data == {
            "error": "Access from your IP address has been blocked."
        }
        assert site.requests[-1].remote_addr == "127.0.0.1"


def test_a_broken_model_cuts_the_stream_after_message_start() -> None:
    def model(call: UpstreamCall) -> str:
        raise RuntimeError("model down")

    with LocalSite("2.4.71", model=model) as site:
        guest = Guest(site)
        reply = guest.stream(guest.key())
        assert not reply.terminated
        assert names(sse_events(reply.body)) == ["message_start"]
        assert [str(e) for e in site.errors] == ["model down"]


# -- admin-ajax.php around the actions -------------------------------------------------------


@pytest.mark.parametrize("profile", ["2.3.20", "2.4.0", "2.4.71"])
def test_unknown_missing_and_old_actions_are_400_zero(profile: str) -> None:
    with LocalSite(profile) as site:
        for action in ("no_such_action", "wpaicg_chat_shortcode_message", ""):
            reply = form_post(site, {"action": action, "message": "hi"})
            assert (reply.status, reply.body) == (400, b"0")
        missing = form_post(site, {"message": "hi"})
        assert (missing.status, missing.body) == (400, b"0")
        assert "x-frame-options" not in missing.headers  # it dies before admin_init
        json_action = form_post(site, {"action": "aipkit_frontend_chat_message"})
        assert (json_action.status == 400) is (profile == "2.4.71")


def test_options_preflight_answers_with_cors_headers() -> None:
    with LocalSite("2.4.71") as site:
        reply = fetch(site, "OPTIONS", f"{site.ajax_path}?action=aipkit_cache_sse_message")
        assert reply.status == 200
        assert reply.body == b""
        assert reply.headers["access-control-allow-origin"] == "*"
        assert reply.headers["access-control-allow-methods"] == "POST, GET, OPTIONS"
        assert fetch(site, "OPTIONS", f"{site.ajax_path}?action=nope").status == 400
    with LocalSite("1.9.18") as old:
        assert fetch(old, "OPTIONS", old.ajax_path).status == 501


def test_request_log_names_each_action() -> None:
    with LocalSite("2.4.71") as site:
        fetch(site, "GET", "/")
        guest = Guest(site)
        guest.send("one")
        guest.refresh()
        guest.history()
        assert site.page_fetches == 1
        assert len(site.posts) == 4
        assert [r.action for r in site.posts] == [
            "aipkit_cache_sse_message",
            "aipkit_frontend_chat_stream",
            "aipkit_get_frontend_chat_nonce",
            "aipkit_get_conversation_history",
        ]
        assert len(site.cache_posts) == len(site.stream_requests) == 1
        assert site.stream_requests[0].method == "GET"
        assert site.stream_requests[0].query["session_id"] == guest.session_id
        assert site.stream_requests[0].headers["accept"] == "text/event-stream"
        assert site.calls("aipkit_get_conversation_history") == site.history_requests
        site.clear_log()
        assert site.upstream_calls == []
        assert len(site.thread(5, guest.session_id, guest.conversation_uuid)) == 2


# -- 2.3.20 and 2.4.0 streams ---------------------------------------------------------------


def test_2_3_20_stream_has_no_preamble_no_status_and_no_origin_check() -> None:
    with LocalSite("2.3.20", guest_limit=0) as site:
        guest = Guest(site)
        reply = guest.stream(guest.key(), headers={"Origin": "http://other.example"})
        assert not reply.body.startswith(b":")
        assert sse_events(reply.body)[0].data == {"error": "Access disabled for guests."}
        site.guest_limit = None
        events = guest.send("hi")
        assert names(events) == ["message_start", "delta", "delta", "openai_response_id", "done"]
        cross = guest.cache("x")
        assert cross.status == 200


@pytest.mark.parametrize(
    ("profile", "message", "notice"),
    [
        ("2.4.0", "You have reached your quota for this period.", False),
        ("2.3.20", "You have reached your token limit for this period.", False),
        ("2.4.71", "You have reached your quota for this period.", True),
    ],
)
def test_quota_text_and_notice_per_era(profile: str, message: str, notice: bool) -> None:
    with LocalSite(profile, guest_limit=1) as site:
        guest = Guest(site)
        guest.send("first")
        error = guest.send("second")[0].data
        assert error["error"] == message
        assert ("quota_notice" in error) is notice
        assert json.dumps(error).count(message) == (2 if notice else 1)
