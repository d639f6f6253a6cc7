"""The 2.3 .. 2.4.0 JSON path ``aipkit_frontend_chat_message`` and its HTTP-status errors."""

from __future__ import annotations

import re
from typing import Any

import pytest

from chatgpt4o.testing import LocalSite

from ._aipkit_http import Guest, fetch, form_post, text_of

SECURITY = "Security check failed. Please refresh the page and try again."


def error(message: str) -> dict[str, Any]:
    return {"success": False, "data": {"message": message}}


@pytest.mark.parametrize("profile", ["2.4.0", "2.3.20"])
def test_json_message_replies_and_keeps_the_thread(profile: str) -> None:
    with LocalSite(profile) as site:
        guest = Guest(site)
        first = guest.json_message("Hello there, bot!")
        assert first.status == 200
        assert first.headers["content-type"] == "application/json; charset=UTF-8"
        data = first.json()["data"]
        assert list(data) == ["reply", "message_id", "openai_response_id"]
        assert data["reply"] == "Echo: Hello there, bot!"
        assert re.fullmatch(r"aipkit-msg-[0-9a-f]{13}[0-9]{9}", data["message_id"])
        assert re.fullmatch(r"resp_[0-9a-f]{48}", data["openai_response_id"])
        second = guest.json_message("  And a second question?\n").json()["data"]
        thread = site.thread(site.bot_id, guest.session_id, guest.conversation_uuid)
        assert [(t.role, t.content) for t in thread] == [
            ("user", "Hello there, bot!"),
            ("bot", "Echo: Hello there, bot!"),
            ("user", "And a second question?"),  # trimmed on this path
            ("bot", "Echo: And a second question?"),
        ]
        assert thread[3].message_id == second["message_id"]
        assert len(site.json_posts) == 2
        call = site.upstream_calls[-1]
        assert call.path == "json"
        # 2.3 .. 2.4.0 replay the current turn inside the history, then send it again.
        assert [(m["role"], m["content"]) for m in call.input[1:]] == [
            ("user", "Hello there, bot!"),
            ("assistant", "Echo: Hello there, bot!"),
            ("user", "And a second question?"),
            ("user", "And a second question?"),
        ]
        history = guest.history().json()["data"]["history"]
        payload = history[3]["request_payload"]
        assert list(payload) == [
            "provider", "model", "system_instruction", "messages", "ai_params", "payload_sent",
        ]  # fmt: skip
        assert history[3]["model"] == "gpt-4.1-mini"


def test_both_paths_answer_whatever_the_stream_switch_says() -> None:
    with LocalSite("2.4.0", stream=False) as site:
        guest = Guest(site)
        assert text_of(guest.send("via SSE")) == "Echo: via SSE"
        assert guest.json_message("via JSON").json()["data"]["reply"] == "Echo: via JSON"
        assert not site.streams
        site.stream = True
        assert site.streams


@pytest.mark.parametrize(
    ("overrides", "status", "message"),
    [
        ({"_ajax_nonce": "0123456789"}, 403, SECURITY),
        ({"_ajax_nonce": None}, 403, SECURITY),
        ({"message": ""}, 400, "Message or image cannot be empty."),
        ({"message": " 0 "}, 400, "Message or image cannot be empty."),
        ({"conversation_uuid": ""}, 400, "Conversation ID is required."),
        ({"session_id": ""}, 400, "Session ID is missing for guest."),
    ],
)
def test_json_refusals(overrides: dict[str, str | None], status: int, message: str) -> None:
    with LocalSite("2.4.0") as site:
        overrides = dict(overrides)
        message_text = overrides.pop("message", "hi") or ""
        reply = Guest(site).json_message(message_text, **overrides)
        assert reply.status == status
        assert reply.json() == error(message)
        assert site.upstream_calls == []


def test_unknown_bot_crashes_and_a_draft_is_invalid() -> None:
    with LocalSite("2.4.0", draft_bots=(3,)) as site:
        crash = Guest(site, bot_id=999999).json_message("hi")
        assert crash.status == 500
        assert crash.headers["content-type"] == "text/html; charset=UTF-8"
        assert crash.body.startswith(b"<p>There has been a critical error on this website.</p>")
        draft = Guest(site, bot_id=3).json_message("hi")
        assert (draft.status, draft.json()) == (400, error("Invalid chatbot specified."))


def test_json_path_cross_origin_is_403_without_code() -> None:
    with LocalSite("2.4.0") as site:
        guest = Guest(site)
        fields = {"Origin": "http://other.example"}
        reply = form_post(
            site,
            {
                "action": "aipkit_frontend_chat_message",
                "_ajax_nonce": site.nonce,
                "bot_id": str(site.bot_id),
                "session_id": guest.session_id,
                "conversation_uuid": guest.conversation_uuid,
                "message": "hi",
            },
            headers=fields,
        )
        assert reply.status == 403
        assert reply.json() == error("Embed feature is not available with your current plan.")


def test_json_path_limits_and_bans_are_http_statuses() -> None:
    with LocalSite("2.4.0", guest_limit=1, banned_words=["forbiddenword"]) as site:
        guest = Guest(site)
        assert guest.json_message("first").status == 200
        over = guest.json_message("second")
        assert (over.status, over.json()) == (
            429,
            error("You have reached your quota for this period."),
        )
        other = Guest(site)
        word = other.json_message("has forbiddenword")
        assert (word.status, word.json()) == (
            400,
            error("Sorry, your message could not be sent as it contains prohibited words."),
        )
        site.banned_ips = ("127.0.0.1",)
        ip = other.json_message("hi")
        assert (ip.status, ip.json()) == (
            403,
            error("Access from your IP address has been blocked."),
        )
        site.guest_limit = 0
        off = other.json_message("hi")
        assert (off.status, off.json()) == (429, error("Access disabled for guests."))


@pytest.mark.parametrize(
    ("fault", "params", "status", "message"),
    [
        ("no_api_key", {}, 400, "API key is missing for OpenAI."),
        (
            "api_error",
            {"status": 500, "msg": "Fake upstream error 500", "code": "fake_500"},
            500,
            "OpenAI API Error (HTTP 500): Fake upstream error 500 (Code: fake_500)",
        ),
        ("api_error", {"status": 429, "msg": "Slow down", "code": None}, 429, None),
        (
            "connection_error",
            {"msg": "Could not resolve host: api.openai.com", "errno": 6},
            503,
            "HTTP request failed: cURL error 6: Could not resolve host: api.openai.com",
        ),
        ("response_failed", {"msg": "Model overloaded"}, 200, "Model overloaded"),
        ("no_data", {}, 200, "Unexpected response structure from OpenAI Responses API."),
        ("moderation", {}, 400, None),
        ("unknown_bot", {}, 400, "Invalid chatbot specified."),
    ],
)
def test_json_path_faults(
    fault: str, params: dict[str, Any], status: int, message: str | None
) -> None:
    with LocalSite("2.4.0") as site:
        guest = Guest(site)
        site.inject(fault, **params)
        reply = guest.json_message("hi")
        assert reply.status == status
        body = reply.json()
        assert body["success"] is False
        if message is not None:
            assert body == error(message)
        if fault == "api_error" and params["code"] is None:
            assert body == error("OpenAI API Error (HTTP 429): Slow down")
        thread = site.thread(site.bot_id, guest.session_id, guest.conversation_uuid)
        if fault in ("moderation", "unknown_bot"):
            assert thread == []
        else:  # the user turn and the error, as the JSON path logs them
            assert [t.role for t in thread] == ["user", "bot"]
            assert thread[1].content == "Error: " + body["data"]["message"]
        assert guest.json_message("again").status == 200


def test_json_path_warning_is_appended_to_the_reply() -> None:
    with LocalSite("2.4.0") as site:
        site.inject("warning")
        reply = Guest(site).json_message("long")
        assert reply.json()["data"]["reply"] == "Echo: long (Incomplete: max_output_tokens)"


def test_json_path_reads_only_the_post_body() -> None:
    with LocalSite("2.4.0") as site:
        query = f"action=aipkit_frontend_chat_message&_ajax_nonce={site.nonce}&bot_id=8&message=x"
        reply = fetch(site, "GET", f"{site.ajax_path}?{query}")
        assert reply.status == 500  # $_POST is empty: bot 0 crashes like an unknown bot
