"""Every injectable fault, its parameters and how the queue consumes it."""

from __future__ import annotations

import http.client
import json
import time
from datetime import datetime, timezone

import pytest

from chatgpt4o.testing import FAULTS, FLAG_KINDS, LocalSite

from ._http import address, chat, content_of, form, request, stream

CF_MARKERS = ("<title>Just a moment...</title>", "cf-please-wait", "/cdn-cgi/challenge-platform/")


def test_fault_names() -> None:
    required = {
        "rate_limit", "server_error", "drop", "slow", "cloudflare", "truncated_json",
        "php_warning", "empty_data", "token_limit", "upstream_error", "html", "stream_cut",
        "error_mode", "limited", "flag", "slow_stream", "nonce_expired", "stale_page",
    }  # fmt: skip
    assert required <= set(FAULTS)


def test_bad_faults_are_refused() -> None:
    with LocalSite("1.7") as site:
        with pytest.raises(ValueError, match="unknown fault 'nope'; choose one of rate_limit"):
            site.inject("nope")
        with pytest.raises(ValueError, match="no parameter 'colour'"):
            site.inject("rate_limit", colour="red")
        with pytest.raises(ValueError, match="500/502/503/504"):
            site.inject("server_error", status=418)
        with pytest.raises(ValueError, match="403/503/429"):
            site.inject("cloudflare", status=200)
        with pytest.raises(ValueError, match="applies on 'post'"):
            site.inject("token_limit", on="page")
        with pytest.raises(ValueError, match="applies on 'page'"):
            site.inject("stale_page", on="post")
        with pytest.raises(ValueError, match="times"):
            site.inject("drop", times=0)
        with pytest.raises(ValueError, match="kind"):
            site.inject("flag", kind="nope")
        with pytest.raises(ValueError, match="never streams"):
            site.inject("error_mode")
        with pytest.raises(ValueError, match="delay"):
            site.inject("slow", delay=-1)
        assert site.pending_faults == []


def test_queue_counts_down_and_can_be_cleared() -> None:
    with LocalSite() as site:
        fault = site.inject("rate_limit", times=2, retry_after="3")
        assert (fault.name, fault.times, fault.on, fault.params["retry_after"]) == (
            "rate_limit",
            2,
            "post",
            "3",
        )
        assert chat(site).status == 429
        assert [f.times for f in site.pending_faults] == [1]
        site.inject("drop")
        site.clear_faults()
        assert site.pending_faults == []
        assert chat(site).status == 200


def test_rate_limit_sets_retry_after_then_recovers() -> None:
    with LocalSite() as site:
        site.inject("rate_limit", times=2, retry_after="3")
        for _ in range(2):
            response = chat(site)
            assert response.status == 429
            assert response.headers["retry-after"] == "3"
        assert chat(site).status == 200
        when = datetime(2030, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
        site.inject("rate_limit", retry_after=when)
        assert chat(site).headers["retry-after"] == "Wed, 02 Jan 2030 03:04:05 GMT"
        site.inject("rate_limit", on="page", retry_after=None)
        page = request(site)
        assert page.status == 429
        assert "retry-after" not in page.headers
        assert len(site.posts) == 4  # refused requests are still recorded


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_error(status: int) -> None:
    with LocalSite() as site:
        site.inject("server_error", status=status, retry_after=2)
        response = chat(site)
        assert response.status == status
        assert response.headers["retry-after"] == "2"
        assert response.headers["content-type"] == "text/html"
        assert f"<title>{status} " in response.text


def test_server_error_default_is_503_and_page_target() -> None:
    with LocalSite() as site:
        site.inject("server_error", on="page")
        assert request(site).status == 503
        assert request(site).status == 200


@pytest.mark.parametrize("on", ["post", "page"])
def test_drop_closes_without_reply(on: str) -> None:
    with LocalSite() as site:
        site.inject("drop", on=on)
        with pytest.raises(http.client.RemoteDisconnected):
            chat(site) if on == "post" else request(site)
        assert (chat(site) if on == "post" else request(site)).status == 200


def test_slow_delays_the_reply() -> None:
    with LocalSite() as site:
        site.inject("slow", delay=0.2)
        started = time.monotonic()
        assert chat(site).json()["status"] == "success"
        assert time.monotonic() - started >= 0.2
        site.inject("slow", delay=0.2)
        site.inject("rate_limit")
        started = time.monotonic()
        assert chat(site).status == 429  # delays combine with an edge fault
        assert time.monotonic() - started >= 0.2


def test_stop_does_not_wait_for_a_slow_reply() -> None:
    site = LocalSite().start()
    site.inject("slow", delay=30)
    conn = http.client.HTTPConnection(*address(site), timeout=5)
    try:
        conn.request("GET", site.ajax_path)
        started = time.monotonic()
        site.stop()
        assert time.monotonic() - started < 2
    finally:
        conn.close()


@pytest.mark.parametrize("status", [403, 503, 429])
@pytest.mark.parametrize("on", ["post", "page"])
def test_cloudflare_challenge(status: int, on: str) -> None:
    with LocalSite() as site:
        site.inject("cloudflare", status=status, on=on)
        response = chat(site) if on == "post" else request(site)
        assert response.status == status
        assert response.headers["server"] == "cloudflare"
        assert response.headers["cf-mitigated"] == "challenge"
        assert response.headers["cf-ray"]
        assert response.headers["content-type"] == "text/html; charset=UTF-8"
        for marker in CF_MARKERS:
            assert marker in response.text


def test_truncated_json() -> None:
    with LocalSite("1.9.18", stream=True) as site:
        site.inject("truncated_json")
        response = chat(site, "cut me")
        assert response.headers["content-type"] == "application/json; charset=UTF-8"
        assert response.body.startswith(b'{"status":"success","msg":"Something went wrong"')
        with pytest.raises(json.JSONDecodeError):
            response.json()


def test_php_warning_before_json_and_before_sse() -> None:
    with LocalSite("1.8.79") as site:
        site.inject("php_warning")
        body = chat(site, "warn").text
        assert body.startswith(
            '<br />\n<b>Warning</b>:  Undefined array key "wpaicg_chat_client_id"'
        )
        assert " on line <b>123</b><br />\n{" in body
        assert json.loads(body[body.index('{"') :])["data"] == "Echo: warn"
    with LocalSite("1.8.79", stream=True) as site:
        site.inject("php_warning")
        s = stream(site, form(site, "warn"))
        assert s.chunks[0].startswith(b"<br />\n<b>Warning</b>:")
        assert content_of(s.chunks[1:]) == "Echo: warn"


def test_empty_data_and_html() -> None:
    with LocalSite("1.8.79") as site:
        site.inject("empty_data")
        reply = chat(site).json()
        assert reply["status"] == "success"
        assert reply["data"] == ""
        site.inject("html")
        response = chat(site)
        assert response.status == 200
        assert response.headers["content-type"] == "text/html; charset=UTF-8"
        assert "critical error" in response.text


def test_token_limit_per_era() -> None:
    with LocalSite("1.7") as site:
        site.inject("token_limit")
        assert chat(site).body == b'{"status":"error","msg":"You have reached your token limit."}'
    with LocalSite("1.9.18") as site:
        site.inject("token_limit", msg="Limit reached")
        assert chat(site).body == b'{"msg":"Limit reached","tokenLimitReached":true}'
    with LocalSite("1.8.79", stream=True) as site:
        site.inject("token_limit")
        s = stream(site, form(site))
        assert s.chunks == [
            b'data: {"msg":"You have reached your token limit.","tokenLimitReached":true}\n\n'
        ]


def test_bans_and_missing_api_key() -> None:
    with LocalSite("1.9.18") as site:
        site.inject("banned_ip")
        assert chat(site).json() == {
            "status": "error",
            "msg": "You are not allowed to access this feature.",
        }
        site.inject("banned_word")
        assert "prohibited words" in chat(site).json()["msg"]
        site.inject("no_api_key")
        assert chat(site).json()["msg"].startswith("Unable to initialize the AI instance.")
    with LocalSite("1.7") as site:
        site.inject("no_api_key")  # 1.7 checks the settings before the nonce
        assert chat(site, _wpnonce="bad").json() == {
            "status": "error",
            "msg": "Missing API Setting",
        }


def test_upstream_error_is_html_escaped_without_data() -> None:
    with LocalSite("1.8.79") as site:
        site.inject("upstream_error", msg='You didn\'t say "please" & <ask>')
        body = chat(site).body
        assert body.startswith(
            b'{"status":"error","msg":"You didn&#039;t say &quot;please&quot; &amp; &lt;ask&gt;",'
            b'"greeting_message":"'
        )
        assert body.endswith(b'","log":false}')
        assert "data" not in json.loads(body)


def test_stream_cut_closes_without_end_marker() -> None:
    with LocalSite("1.9.18", stream=True) as site:
        site.inject("stream_cut", after=3)
        s = stream(site, form(site, "a long enough reply"))
        assert not s.terminated
        assert len(s.chunks) == 3
        assert b"[DONE]" not in s.body
        assert b'finish_reason":"stop' not in s.body


def test_stream_only_fault_on_a_json_site_still_streams() -> None:
    with LocalSite("1.9.18") as site:
        site.inject("stream_cut", after=2)
        s = stream(site, form(site))
        assert s.headers["content-type"] == "text/event-stream;charset=UTF-8"
        assert not s.terminated
        assert len(s.chunks) == 2


def test_error_mode_words_then_stop_line() -> None:
    with LocalSite("1.9.18", stream=True) as site:
        site.inject("error_mode", msg='Bad "key" given')
        s = stream(site, form(site))
        assert s.terminated
        assert s.chunks == [
            b'event: message\ndata: {"choices":[{"delta":{"content":"Bad"}}]}\n\n',
            b'event: message\ndata: {"choices":[{"delta":{"content":" "key""}}]}\n\n',
            b'event: message\ndata: {"choices":[{"delta":{"content":" given"}}]}\n\n',
            b'event: message\ndata: {"choices":[{"finish_reason":"stop"}]}\n\n',
        ]
        with pytest.raises(json.JSONDecodeError):  # unescaped quote: invalid JSON, as observed
            json.loads(s.chunks[1].split(b"data: ", 1)[1])


def test_error_mode_doubled_ends_with_empty_success() -> None:
    with LocalSite("1.8.79", stream=True) as site:
        site.inject("error_mode", msg="Server error", doubled=True)
        s = stream(site, form(site))
        words = [c for c in s.chunks if c.startswith(b"event: message")]
        assert len(words) == 6  # ("Server", " error", stop) twice
        assert s.chunks[:3] == s.chunks[3:6]
        final = json.loads(s.chunks[-1])
        assert final["status"] == "success"
        assert final["data"] == ""
        assert final["log"] is False


def test_limited() -> None:
    with LocalSite("1.9.18", stream=True) as site:
        site.inject("limited", msg="timed out now")
        s = stream(site, form(site))
        assert s.chunks[-1] == b"event: message\ndata: [LIMITED]\n\n"
        assert (
            s.chunks[1] == b'event: message\ndata: {"choices":[{"delta":{"content":" out"}}]}\n\n'
        )


@pytest.mark.parametrize("kind", FLAG_KINDS)
def test_flag_line(kind: str) -> None:
    with LocalSite("1.9.18", stream=True) as site:
        site.inject("flag", kind=kind, msg="Stop/now")
        s = stream(site, form(site))
        assert s.chunks == [f'data: {{"msg":"Stop\\/now","{kind}":true}}\n\n'.encode()]


def test_flag_then_continue_stream() -> None:
    with LocalSite("1.9.18", stream=True) as site:
        site.inject("flag", kind="ipBanned", continue_stream=True)
        s = stream(site, form(site, "still here"))
        assert json.loads(s.chunks[0][6:]) == {
            "msg": "You are not allowed to access this feature.",
            "ipBanned": True,
        }
        assert content_of(s.chunks[1:]) == "Echo: still here"
        assert s.chunks[-1] == b"data: [DONE]\n\n"


def test_nonce_expired_rejects_a_valid_nonce_once() -> None:
    with LocalSite("1.9.18") as site:
        site.inject("nonce_expired")
        assert chat(site).status == 403
        assert chat(site).status == 200


def test_reply_faults_wait_for_a_valid_request() -> None:
    with LocalSite("1.9.18") as site:
        site.inject("empty_data")
        assert chat(site, _wpnonce="bad").status == 403
        assert chat(site, action="nope").status == 400
        assert chat(site, "").json()["status"] == "error"
        assert [f.name for f in site.pending_faults] == ["empty_data"]
        assert chat(site).json()["data"] == ""
        assert site.pending_faults == []
