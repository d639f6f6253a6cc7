"""Every fault on AIPKit profiles, over HTTP: refusals, upstream failures, edges, pacing."""

from __future__ import annotations

import http.client
import json
from typing import Any

import pytest

from chatgpt4o.testing import FAULTS, LocalSite

from ._aipkit_http import PREAMBLE, Guest, names, sse_events, text_of

OLD_ONLY = ("token_limit", "upstream_error", "empty_data", "error_mode", "limited", "flag")
AIPKIT_ONLY = (
    "cross_origin", "unknown_bot", "guests_disabled", "quota", "moderation", "api_error",
    "response_failed", "connection_error", "no_data", "warning",
)  # fmt: skip


def test_fault_catalogue_and_era_checks() -> None:
    assert set(OLD_ONLY) | set(AIPKIT_ONLY) <= set(FAULTS)
    with LocalSite("2.4.71") as site:
        for name in OLD_ONLY:
            with pytest.raises(ValueError, match=r"exists only on AI Power up to 2\.2"):
                site.inject(name)
        with pytest.raises(ValueError, match="applies on"):
            site.inject("quota", on="stream")
        with pytest.raises(ValueError, match="after must be an int"):
            site.inject("stream_cut", after=-1)
        with pytest.raises(ValueError, match="status must be 4xx/5xx"):
            site.inject("api_error", status=200)
        with pytest.raises(ValueError, match="actions"):
            site.inject("quota", actions="nope")
        assert site.pending_faults == []
    with LocalSite("1.9.18") as old:
        for name in AIPKIT_ONLY:
            with pytest.raises(ValueError, match=r"exists only on AIPKit \(2.3\+\)"):
                old.inject(name)
        with pytest.raises(ValueError, match="needs an AIPKit profile"):
            old.inject("rate_limit", on="stream")


def stream_of(site: LocalSite, message: str = "one two three") -> list[Any]:
    return sse_events(Guest(site).stream(Guest(site).key(message)).body)


def _error_then_done(events: list[Any], message: str, extra: dict[str, Any] | None = None) -> None:
    assert [(e.name, e.data) for e in events] == [
        ("error", {"error": message, **(extra or {})}),
        ("done", {"finished": True}),
    ]


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        ("unknown_bot", "Invalid chatbot specified."),
        ("guests_disabled", "Access disabled for guests."),
        ("banned_ip", "Access from your IP address has been blocked."),
        ("banned_word", "Sorry, your message could not be sent as it contains prohibited words."),
        ("moderation", "Your message was flagged by the moderation system and could not be sent."),
        ("no_api_key", "API key missing for OpenAI."),
    ],
)
def test_pre_stream_refusals(fault: str, message: str) -> None:
    with LocalSite("2.4.71") as site:
        guest = Guest(site)
        site.inject(fault)
        assert guest.cache("hi").status == 200  # the cache POST passes in every case
        _error_then_done(guest.send("hi"), message)
        stored = site.thread(5, guest.session_id, guest.conversation_uuid)
        # Only a missing API key is met after the user turn is stored.
        assert [t.role for t in stored] == (["user"] if fault == "no_api_key" else [])
        assert text_of(guest.send("hi")) == "Echo: hi"


def test_quota_fault_with_notice_actions() -> None:
    actions = [{"label": "Upgrade", "url": "https://example.com/upgrade", "variant": "primary"}]
    with LocalSite("2.4.71") as site:
        site.inject("quota", actions=actions)
        message = "You have reached your quota for this period."
        notice = {"type": "quota_notice", "message": message, "actions": actions}
        events = stream_of(site)
        _error_then_done(events, message, {"quota_notice": notice})
        assert b'"url":"https:\\/\\/example.com\\/upgrade"' in events[0].raw
        site.inject("quota", msg="Out of tokens.")
        assert stream_of(site)[0].data["quota_notice"]["message"] == "Out of tokens."
    with LocalSite("2.4.0") as site:
        site.inject("quota")
        _error_then_done(stream_of(site), "You have reached your quota for this period.")


def test_api_error_ends_after_message_start_without_done() -> None:
    with LocalSite("2.4.71") as site:
        site.inject("api_error")
        reply = Guest(site).stream(Guest(site).key())
        assert reply.terminated  # PHP exits normally: the HTTP body is complete
        events = sse_events(reply.body)
        assert names(events) == ["message_start", "error"]
        assert events[1].data == {
            "error": "API Error: Incorrect API key provided: sk-proj-****AbCd. You can find your "
            "API key at https://platform.openai.com/account/api-keys. (Code: invalid_api_key)"
        }
        site.inject("api_error", msg="Rate limit reached", code="")
        assert stream_of(site)[1].data == {"error": "API Error: Rate limit reached"}


def test_response_failed_after_some_pieces() -> None:
    with LocalSite("2.4.71") as site:
        site.inject("response_failed", msg="Model overloaded", after=2)
        events = stream_of(site)
        assert names(events) == ["message_start", "status", "status", "delta", "delta", "error"]
        assert text_of(events) == "Echo: one"
        assert events[-1].data == {"error": " (Error: Model overloaded)"}
        assert events[-1].id is not None


def test_connection_error_keeps_the_partial_answer() -> None:
    with LocalSite("2.4.71") as site:
        guest = Guest(site)
        site.inject("connection_error")
        events = guest.send("one two")
        assert names(events) == ["message_start", "error"]
        assert events[1].data["error"] == (
            "Connection Error: Operation timed out after 120001 milliseconds with 0 bytes received"
        )
        site.inject("connection_error", msg="Recv failure", after=2)
        events = guest.send("three four")
        assert text_of(events) == "Echo: three"
        assert names(events)[-1] == "error"
        thread = site.thread(5, guest.session_id, guest.conversation_uuid)
        assert [(t.role, t.content) for t in thread] == [
            ("user", "one two"),
            ("user", "three four"),
            ("bot", "Echo: three"),
        ]


def test_no_data_and_an_empty_answer() -> None:
    with LocalSite("2.4.71") as site:
        site.inject("no_data")
        events = stream_of(site)
        assert [(e.name, e.data) for e in events][1:] == [
            ("error", {"error": "Connection error: no data received from AI."})
        ]
    with LocalSite("2.4.71", answer=lambda m: "") as site:
        events = stream_of(site)
        assert names(events) == ["message_start", "status", "status", "error"]
        assert events[-1].data == {"error": "Connection error: no data received from AI."}


def test_warning_event_is_non_fatal_and_stored() -> None:
    with LocalSite("2.4.71") as site:
        guest = Guest(site)
        site.inject("warning", msg=" (Refusal: I can't help with that.)")
        events = guest.send("hi")
        assert names(events)[-3:] == ["openai_response_id", "warning", "done"]
        assert events[-2].data == {"error": " (Refusal: I can't help with that.)"}
        assert events[-2].raw.startswith(b"event: warning\nid: err-")
        thread = site.thread(5, guest.session_id, guest.conversation_uuid)
        assert thread[-1].content == "Echo: hi (Refusal: I can't help with that.)"


def test_stream_cut_ends_with_neither_done_nor_error() -> None:
    with LocalSite("2.4.71") as site:
        site.inject("stream_cut", after=1)
        reply = Guest(site).stream(Guest(site).key("one two three"))
        assert not reply.terminated
        events = sse_events(reply.body)
        assert names(events) == ["message_start", "status", "status", "delta"]
        assert text_of(events) == "Echo:"
        site.inject("stream_cut", after=99)
        cut = sse_events(Guest(site).stream(Guest(site).key("a b")).body)
        assert names(cut)[-1] == "delta"
        assert text_of(cut) == "Echo: a b"


def test_slow_stream_delays_the_first_piece_and_spaces_the_rest() -> None:
    with LocalSite("2.4.71") as site:
        site.inject("slow_stream", chunk_delay=0.01, first_delay=0.1)
        reply = Guest(site).stream(Guest(site).key("a b"))
        events = sse_events(reply.body)
        assert text_of(events) == "Echo: a b"
        times = reply.times
        # chunks: preamble, message_start, status, status, "Echo:", " a", " b", id, done
        assert reply.chunks[0] == PREAMBLE
        assert times[4] - times[3] >= 0.1 * 0.8  # the wait for the first piece
        assert times[-1] - times[1] >= (0.1 + 0.01 * 7) * 0.8


@pytest.mark.parametrize("target", ["stream", "post"])
def test_edge_faults_hit_the_named_action_only(target: str) -> None:
    with LocalSite("2.4.71") as site:
        guest = Guest(site)
        site.inject("rate_limit", on=target, retry_after="7")
        cache = guest.cache("hi")
        if target == "post":
            assert cache.status == 429
            assert cache.headers["retry-after"] == "7"
            return
        assert cache.status == 200
        reply = guest.stream(cache.json()["data"]["cache_key"])
        assert reply.status == 429
        assert reply.headers["retry-after"] == "7"
        assert reply.headers["content-type"] == "text/html"


@pytest.mark.parametrize(
    ("fault", "params"),
    [
        ("server_error", {"status": 502}),
        ("cloudflare", {"status": 403}),
        ("html", {"status": 200}),
    ],
)
@pytest.mark.parametrize("target", ["cache", "refresh", "history"])
def test_other_edge_faults_on_the_new_actions(
    fault: str, params: dict[str, Any], target: str
) -> None:
    with LocalSite("2.4.71") as site:
        guest = Guest(site)
        site.inject(fault, on=target, **params)
        call = {
            "cache": lambda: guest.cache("hi"),
            "refresh": guest.refresh,
            "history": guest.history,
        }
        reply = call[target]()
        assert reply.status == params["status"]
        assert reply.headers["content-type"].startswith("text/html")
        assert call[target]().status == 200


def test_drop_and_slow_on_the_stream() -> None:
    with LocalSite("2.4.71") as site:
        guest = Guest(site)
        key = guest.key()
        site.inject("drop", on="stream")
        with pytest.raises(http.client.RemoteDisconnected):
            guest.stream(key)
        site.inject("slow", on="stream", delay=0.05)
        # The dropped GET never reached the plugin, so the key is still there.
        assert text_of(sse_events(guest.stream(key).body)) == "Echo: hi"


def test_nonce_expired_on_one_action() -> None:
    with LocalSite("2.4.71") as site:
        guest = Guest(site)
        site.inject("nonce_expired", on="stream")
        key = guest.key()  # the cache POST is not affected
        assert sse_events(guest.stream(key).body)[0].data["error"].startswith("Security check")
        assert text_of(sse_events(guest.stream(key).body)) == "Echo: hi"
        site.inject("nonce_expired", on="history")
        assert guest.history().json()["data"]["code"] == "nonce_failure"


@pytest.mark.parametrize(
    ("target", "status", "body"),
    [
        ("cache", 403, "embed_not_available"),
        ("refresh", 403, "cors_denied"),
        ("stream", 200, "This domain is not permitted to access the chatbot."),
    ],
)
def test_cross_origin_fault(target: str, status: int, body: str) -> None:
    with LocalSite("2.4.71") as site:
        guest = Guest(site)
        key = guest.key()
        site.inject("cross_origin", on=target)
        reply = {
            "cache": lambda: guest.cache("hi"),
            "refresh": lambda: guest.refresh(bot_id="5"),
            "stream": lambda: guest.stream(key),
        }[target]()
        assert reply.status == status
        assert body in reply.body.decode()
        assert site.pending_faults == []


def test_truncated_json_and_php_warning_on_aipkit_json() -> None:
    with LocalSite("2.4.71") as site:
        guest = Guest(site)
        site.inject("truncated_json", on="cache")
        cut = guest.cache("hi")
        assert cut.body.startswith(b'{"success":true,"data":{"cache')
        with pytest.raises(json.JSONDecodeError):
            cut.json()
        site.inject("php_warning", on="refresh")
        warned = guest.refresh().body
        assert warned.startswith(b"<br />\n<b>Warning</b>:")
        assert warned.endswith(b'{"success":true,"data":{"nonce":"' + site.nonce.encode() + b'"}}')
        site.inject("php_warning", on="stream")
        chunks = guest.stream(guest.key()).chunks
        assert chunks[0].startswith(b"<br />\n<b>Warning</b>:")
        assert chunks[1] == PREAMBLE


def test_refusal_faults_wait_for_a_request_that_reaches_their_check() -> None:
    with LocalSite("2.4.71") as site:
        guest = Guest(site)
        site.inject("banned_word")
        site.inject("api_error")
        assert sse_events(guest.stream(guest.key(), session_id="").body)[0].data == {
            "error": "Session ID is missing for guest."
        }
        assert [f.name for f in site.pending_faults] == ["banned_word", "api_error"]
        assert guest.send("x")[0].data["error"].startswith("Sorry, your message")
        assert names(guest.send("x")) == ["message_start", "error"]
        assert site.pending_faults == []
