"""The AJAX endpoint per era: exact reply bytes, failures, streaming, log, lifecycle."""

from __future__ import annotations

import ast
import http.client
import json
import re
import socket
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

import pytest

from chatgpt4o.testing import PROFILES, LocalSite, RecordedRequest

from ._http import SHORTCODE, address, chat, content_of, form, multipart, post, request, stream

GREETING = (
    "Converse as if you were an AI assistant. Answer the question as truthfully as possible "
    "using the provided context. Tone: Friendly.\\n"
)
LONG_17 = (
    "Invalid nonce. This means we are unable to verify the validity of the nonce. There are "
    "couple of possible reasons for this. 1. A cache plugin is caching the nonce. 2. The nonce "
    "has expired. 3. Invalid SSL certificate. 4. Network issue. Please check and try again."
)
PACKAGE = Path(__file__).resolve().parents[2] / "chatgpt4o" / "testing"


# -- success bytes --------------------------------------------------------------------------


@pytest.mark.parametrize("profile", ["1.7", "1.8.79", "1.9.18", "widget"])
def test_success_reply_bytes_and_key_order(profile: str) -> None:
    with LocalSite(profile) as site:
        response = chat(site, "Hello there")
        assert response.status == 200
        assert response.headers["content-type"] == "application/json; charset=UTF-8"
        assert "content-length" in response.headers
        expected = (
            '{"status":"success","msg":"Something went wrong","greeting_message":"'
            + GREETING
            + ', Current context: \\"AI Power harness\\"",'
            + '"data":"Echo: Hello there","log":false}'
        )
        assert response.body == expected.encode()


def test_greeting_has_no_context_without_a_known_post_id() -> None:
    with LocalSite("1.9.18") as site:
        assert chat(site, post_id="").json()["greeting_message"] == GREETING.replace("\\n", "\n")
        assert "Current context" not in chat(site, post_id="abc").json()["greeting_message"]


def test_php_style_json_escapes_slashes_and_non_ascii() -> None:
    with LocalSite("1.9.18") as site:
        body = chat(site, "café/ok 😀").body
        assert b'"data":"Echo: caf\\u00e9\\/ok \\ud83d\\ude00"' in body
        assert json.loads(body)["data"] == "Echo: café/ok 😀"


def test_old_eras_sanitize_with_magic_quotes() -> None:
    with LocalSite("1.8.79") as site:
        data = chat(site, '<b>bold</b> "quoted"\n it\'s 100%41 a\\b').json()["data"]
        assert data == 'Echo: bold \\"quoted\\" it\\\'s 100 a\\\\b'
        assert chat(site, "&amp; ünï  <3").json()["data"] == "Echo: &amp; ünï &lt;3"


def test_19_passes_the_message_raw() -> None:
    with LocalSite("1.9.18") as site:
        raw = '<b>bold</b> "quoted"\n 100%41'
        assert chat(site, raw).json()["data"] == "Echo: " + raw


def test_custom_answer_sees_the_message_the_plugin_sees() -> None:
    seen: list[str] = []

    def answer(message: str) -> str:
        seen.append(message)
        return message.upper()

    with LocalSite("1.8.79", answer=answer) as site:
        assert chat(site, "it's").json()["data"] == "IT\\'S"
        assert seen == ["it\\'s"]


def test_answer_that_raises_gives_a_critical_error_page() -> None:
    def answer(message: str) -> str:
        raise RuntimeError("model down")

    with LocalSite(answer=answer) as site:
        response = chat(site)
        assert response.status == 500
        assert "There has been a critical error on this website." in response.text
        assert [str(e) for e in site.errors] == ["model down"]


# -- failures -----------------------------------------------------------------------------


def test_nonce_failure_17_is_the_long_json_text() -> None:
    with LocalSite("1.7") as site:
        response = chat(site, _wpnonce="0123456789")
        assert response.status == 200
        assert response.headers["content-type"] == "application/json; charset=UTF-8"
        assert response.body == ('{"status":"error","msg":"' + LONG_17 + '"}').encode()


@pytest.mark.parametrize("stream_on", [False, True])
def test_nonce_failure_1879_is_json_even_when_streaming(stream_on: bool) -> None:
    with LocalSite("1.8.79", stream=stream_on) as site:
        for bad in ("0123456789", ""):
            response = chat(site, _wpnonce=bad)
            assert response.status == 200
            assert response.headers["content-type"] == "application/json; charset=UTF-8"
            assert response.body == b'{"status":"error","msg":"Nonce verification failed"}'
        fields = form(site)
        del fields["_wpnonce"]
        assert post(site, fields).json()["msg"] == "Nonce verification failed"


@pytest.mark.parametrize("profile", ["1.9.18", "widget"])
def test_nonce_failure_19_is_403_html_depending_on_referer(profile: str) -> None:
    with LocalSite(profile, stream=True) as site:
        plain = chat(site, _wpnonce="0123456789")
        assert plain.status == 403
        assert plain.headers["content-type"] == "text/html; charset=UTF-8"
        assert plain.body == b"The link you followed has expired."
        fields = form(site, _wpnonce="0123456789")
        referer = site.url + "/?a=1&b=2"
        linked = post(site, fields, headers={"Referer": referer})
        assert linked.status == 403
        assert linked.text == (
            'The link you followed has expired.</p><p><a href="'
            + site.url
            + '/?a=1&#038;b=2">Please try again.</a>'
        )
        foreign = post(site, fields, headers={"Referer": "https://elsewhere.example/"})
        assert foreign.body == b"The link you followed has expired."


@pytest.mark.parametrize("profile", list(PROFILES))
def test_missing_or_unknown_action_is_400_zero(profile: str) -> None:
    with LocalSite(profile) as site:
        for action in (None, "", "wpaicg_nope"):
            fields = form(site)
            if action is None:
                del fields["action"]
            else:
                fields["action"] = action
            response = post(site, fields)
            assert response.status == 400
            assert response.headers["content-type"] == "text/html; charset=UTF-8"
            assert response.body == b"0"


@pytest.mark.parametrize("profile", ["2.3.20", "2.4.0", "2.4.71"])
def test_aipkit_refuses_every_wpaicg_request(profile: str) -> None:
    with LocalSite(profile) as site:
        for action in (SHORTCODE, "wpaicg_chatbox_message"):
            response = chat(site, action=action)
            assert (response.status, response.body) == (400, b"0")


@pytest.mark.parametrize("profile", ["1.7", "1.8.79", "1.9.18"])
def test_empty_message_is_nothing_inputted(profile: str) -> None:
    with LocalSite(profile, stream=True) as site:
        for message in ("", "0"):
            response = chat(site, message)
            assert response.headers["content-type"] == "application/json; charset=UTF-8"
            assert response.body == (
                b'{"status":"error","msg":"It appears that nothing was inputted."}'
            )


def test_get_with_query_fields_works_only_up_to_1879() -> None:
    with LocalSite("1.8.79") as old, LocalSite("1.9.18") as new:
        for site, expected in ((old, "success"), (new, "error")):
            query = urlencode(form(site, "via get"))
            reply = request(site, "GET", f"{site.ajax_path}?{query}").json()
            assert reply["status"] == expected
        assert new.posts[-1].fields["message"] == "via get"
        assert reply["msg"] == "It appears that nothing was inputted."


def test_multipart_and_json_bodies() -> None:
    with LocalSite("1.9.18") as site:
        content_type, body = multipart(form(site, "from multipart"))
        response = request(
            site, "POST", site.ajax_path, body=body, headers={"Content-Type": content_type}
        )
        assert response.json()["data"] == "Echo: from multipart"
        assert site.posts[-1].fields["message"] == "from multipart"
        as_json = json.dumps(form(site)).encode()
        refused = request(
            site,
            "POST",
            site.ajax_path,
            body=as_json,
            headers={"Content-Type": "application/json"},
        )
        assert (refused.status, refused.body) == (400, b"0")


def test_widget_action_is_accepted_everywhere() -> None:
    with LocalSite("1.9.18") as site:
        assert chat(site, action="wpaicg_chatbox_message").json()["status"] == "success"


def test_keep_alive_serves_many_requests_on_one_connection() -> None:
    with LocalSite("1.9.18") as site:
        conn = http.client.HTTPConnection(*address(site), timeout=5)
        try:
            for i in range(3):
                reply = post(site, form(site, f"n{i}"), conn=conn)
                assert reply.json()["data"] == f"Echo: n{i}"
                assert reply.headers.get("connection") != "close"
        finally:
            conn.close()


# -- streaming ------------------------------------------------------------------------------


def test_stream_1879_framing_and_bare_json_trailer() -> None:
    with LocalSite("1.8.79", stream=True) as site:
        s = stream(site, form(site, "one two three"))
        assert s.status == 200
        assert s.terminated
        assert s.headers["content-type"] == "text/event-stream;charset=UTF-8"
        assert s.headers["cache-control"] == "no-cache"
        assert s.headers["x-accel-buffering"] == "no"
        assert s.headers["transfer-encoding"] == "chunked"
        assert "content-length" not in s.headers
        events, done, trailer = s.chunks[:-2], s.chunks[-2], s.chunks[-1]
        assert all(c.startswith(b"data: {") and c.endswith(b"}\n\n") for c in events)
        assert all(c.count(b"\n\n") == 1 for c in events)  # one event per HTTP chunk
        first = json.loads(events[0][6:])
        assert first["object"] == "chat.completion.chunk"
        assert first["model"] == "gpt-4o-mini"
        assert first["id"].startswith("chatcmpl-")
        assert first["choices"][0]["delta"]["role"] == "assistant"
        last = json.loads(events[-1][6:])
        assert last["choices"][0] == {
            "index": 0,
            "delta": {},
            "logprobs": None,
            "finish_reason": "stop",
        }
        assert len(events) == 2 + 4  # role, "Echo:", " one", " two", " three", stop
        assert content_of(events) == "Echo: one two three"
        assert done == b"data: [DONE]\n\n"
        assert trailer.startswith(b'{"status":"success","msg":"Something went wrong",')
        assert trailer.endswith(b'"data":"Echo: one two three","log":false}')


@pytest.mark.parametrize("profile", ["1.9.18", "widget"])
def test_stream_19_ends_at_done(profile: str) -> None:
    with LocalSite(profile, stream=True) as site:
        s = stream(site, form(site, "héllo wörld"))
        assert s.terminated
        assert s.chunks[-1] == b"data: [DONE]\n\n"
        assert content_of(s.chunks) == "Echo: héllo wörld"
        assert "héllo".encode() in s.body  # relayed upstream JSON keeps UTF-8


def test_streaming_is_ignored_on_17() -> None:
    with LocalSite("1.7", stream=True) as site:
        assert not site.streams
        response = chat(site)
        assert response.headers["content-type"] == "application/json; charset=UTF-8"
        assert response.json()["data"] == "Echo: hi"


def test_stream_chunks_are_flushed_one_by_one() -> None:
    with LocalSite("1.9.18", stream=True) as site:
        site.inject("slow_stream", chunk_delay=0.05)
        s = stream(site, form(site, "a b c"))
        assert len(s.times) >= 5
        assert s.times[-1] - s.times[0] >= 0.05 * (len(s.times) - 1) * 0.8


# -- log ------------------------------------------------------------------------------------


def test_request_log_records_pages_and_posts() -> None:
    with LocalSite("1.9.18") as site:
        request(site, "GET", "/?x=1", headers={"Cookie": "a=1; b=two", "X-Test": "yes"})
        chat(site, "logged")
        log = site.requests
        assert [r.method for r in log] == ["GET", "POST"]
        page, sent = log
        assert isinstance(page, RecordedRequest)
        assert page.path == "/"
        assert page.query == {"x": "1"}
        assert page.fields == {"x": "1"}
        assert page.cookies == {"a": "1", "b": "two"}
        assert page.headers["x-test"] == "yes"
        assert site.page_fetches == 1
        assert site.posts == [sent]
        assert sent.content_type == "application/x-www-form-urlencoded"
        assert sent.fields["message"] == "logged"
        assert sent.fields["action"] == SHORTCODE
        assert sent.body.startswith(b"_wpnonce=")
        log.clear()  # a copy
        assert len(site.requests) == 2
        site.clear_log()
        assert site.requests == []
        assert site.page_fetches == 0


def test_concurrent_requests_each_get_their_own_reply() -> None:
    with LocalSite("1.9.18") as site:

        def one(i: int) -> str:
            return str(chat(site, f"message {i}").json()["data"])

        with ThreadPoolExecutor(max_workers=120) as pool:
            replies = list(pool.map(one, range(150)))
        assert replies == [f"Echo: message {i}" for i in range(150)]
        assert len(site.posts) == 150


# -- lifecycle and API ----------------------------------------------------------------------


def test_stop_is_idempotent_and_closes_everything() -> None:
    before = set(threading.enumerate())
    site = LocalSite("1.9.18").start()
    host, port = address(site)
    conn = http.client.HTTPConnection(host, port, timeout=5)
    try:
        assert post(site, form(site), conn=conn).status == 200  # leaves a keep-alive connection
        site.stop()
        site.stop()
        assert not site.running
        assert set(threading.enumerate()) <= before
        with pytest.raises(ConnectionRefusedError), socket.create_connection((host, port), 1):
            pass
    finally:
        conn.close()
        site.stop()
    with pytest.raises(RuntimeError, match="not running"):
        _ = site.url
    LocalSite().stop()  # never started: nothing to do


def test_start_twice_is_an_error_and_restart_works() -> None:
    site = LocalSite()
    with site, pytest.raises(RuntimeError, match="already running"):
        site.start()
    with site:
        assert chat(site).status == 200


def test_unknown_profile_lists_the_valid_ones() -> None:
    with pytest.raises(
        ValueError,
        match=re.escape("'1.7', '1.8.79', '1.9.18', 'widget', '2.3.20', '2.4.0', '2.4.71'"),
    ):
        LocalSite("2.0")


def test_public_api_is_sorted_and_documented() -> None:
    import chatgpt4o.testing as testing

    assert testing.__all__ == sorted(testing.__all__, key=lambda n: (not n.isupper(), n))
    for name in testing.__all__:
        obj = getattr(testing, name)
        if callable(obj):
            assert (obj.__doc__ or "").strip(), name


def test_stand_in_imports_only_the_standard_library_and_itself() -> None:
    allowed_third_party = {"pytest"}  # only in pytest_plugin.py, which pytest loads
    for path in PACKAGE.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top == "chatgpt4o" and path.name == "_sleeps.py":
                    # recorded_sleeps() is the clients' hook, not part of the site.
                    assert name == "chatgpt4o", (path.name, name)
                elif top == "chatgpt4o":
                    assert name.startswith("chatgpt4o.testing"), (path.name, name)
                elif top in allowed_third_party:
                    assert path.name == "pytest_plugin.py", (path.name, name)
                elif hasattr(sys, "stdlib_module_names"):
                    assert top in sys.stdlib_module_names or top == "__future__", (path.name, name)
