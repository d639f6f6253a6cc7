"""What README and the package docstring promise of ``LocalSite``: profiles, options, faults.

How faithful each reply is to a real site is held by the recorded exchanges
(``test_aipkit_fixtures.py``) and the recorded 1.8.79 page below, not restated here.
"""

from __future__ import annotations

import http.client
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from chatgpt4o.testing import PROFILES, LocalSite

from ._http import aipkit_chat, chat, fetch, page_configs, post, stream_text

FIXTURE = Path(__file__).resolve().parents[1] / "aipower-1.8.79-front-page.html"


def talk(site: LocalSite, message: str = "hi", session: str = "guest-1") -> str:
    """One chat message through the site's own generation; the answer's text."""
    if site.profile.era != "aipkit":
        return str(chat(site, message).json()["data"])
    reply = aipkit_chat(site, message, session)
    assert reply.status == 200, reply.body
    return stream_text(reply.body)


@pytest.mark.parametrize("profile", list(PROFILES))
def test_every_profile_serves_its_page_answers_and_logs(profile: str) -> None:
    with LocalSite(profile) as site:
        page = fetch(site, "GET", "/")
        assert page.status == 200
        assert page.headers["link"] == f'<{site.url}/wp-json/>; rel="https://api.w.org/"'
        assert site.nonce in page.body.decode()
        assert talk(site, "hello") == "Echo: hello"
        assert site.page_fetches == 1
        assert site.posts[-1].method == ("GET" if site.profile.era == "aipkit" else "POST")
        assert fetch(site, "GET", "/nowhere").status == 404


def test_1879_element_matches_the_recorded_page_line_for_line() -> None:
    def element(html: str) -> list[str]:
        start = html.index('<div class="wpaicg-chat-shortcode"\n')
        end = html.index("\n>\n", start)
        return [re.sub(r'"[^"]*"', '""', line) for line in html[start:end].split("\n")]

    with LocalSite("1.8.79") as site:
        ours = fetch(site, "GET", "/").body.decode()
    assert element(ours) == element(FIXTURE.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("profile", "options", "field"),
    [
        ("nope", {}, "profile"),
        ("1.9.18", {"bots": (5,)}, "AIPKit"),
        ("1.9.18", {"image_upload": True}, "AIPKit"),
        ("2.4.71", {"guest_limit": -1}, "guest_limit"),
        ("2.4.71", {"bots": (0,)}, "bot ids"),
        ("2.4.0", {"api_mode": "chat_completions"}, "api_mode"),
        ("2.4.71", {"api_mode": "assistants"}, "api_mode"),
        ("1.9.18", {"ajax_path": "admin-ajax.php"}, "ajax_path"),
        ("1.9.18", {"nonce_life": 0}, "nonce_life"),
    ],
)
def test_bad_options_fail_when_the_site_is_made(
    profile: str, options: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValueError, match=field):
        LocalSite(profile, **options)


def test_answer_renamed_endpoint_and_a_broken_model() -> None:
    def answer(message: str) -> str:
        if message == "boom":
            raise RuntimeError("model down")
        return message.upper()

    with LocalSite("1.8.79", answer=answer, ajax_path="/rizq") as site:
        assert chat(site, "hi").json()["data"] == "HI"
        assert site.posts[-1].fields["message"] == "hi"
        assert post(site, {"action": "x"}, path="/wp-admin/admin-ajax.php").status == 404
        assert chat(site, "boom").status == 500
        assert [str(e) for e in site.errors] == ["model down"]


def test_rotate_nonce_and_the_clock_expire_nonces() -> None:
    with LocalSite("1.8.79") as site:
        old = site.nonce
        assert site.rotate_nonce() != old
        assert chat(site, _wpnonce=old).json()["msg"] == "Nonce verification failed"
        assert chat(site).json()["status"] == "success"
        site.advance_clock(site.nonce_life + 1)
        assert chat(site, _wpnonce=old).json()["status"] == "error"


def test_bad_faults_are_refused() -> None:
    with LocalSite("1.7") as site:
        with pytest.raises(ValueError, match="unknown fault 'nope'"):
            site.inject("nope")
        with pytest.raises(ValueError, match="no parameter 'colour'"):
            site.inject("rate_limit", colour="red")
        with pytest.raises(ValueError, match="never streams"):
            site.inject("error_mode")
        with pytest.raises(ValueError, match="only on AIPKit"):
            site.inject("quota")
        assert site.pending_faults == []
    with LocalSite("2.4.71") as site, pytest.raises(ValueError, match=r"AI Power up to 2\.2"):
        site.inject("token_limit")


def test_faults_count_down_and_can_be_cleared() -> None:
    with LocalSite() as site:
        fault = site.inject("rate_limit", times=2, retry_after="3")
        assert (fault.name, fault.times, fault.on) == ("rate_limit", 2, "post")
        assert chat(site).headers["retry-after"] == "3"
        assert [f.times for f in site.pending_faults] == [1]
        site.inject("drop")
        site.clear_faults()
        assert site.pending_faults == []
        assert chat(site).status == 200


@pytest.mark.parametrize("profile", ["1.9.18", "2.4.71"])
@pytest.mark.parametrize(
    ("fault", "params", "status", "marker"),
    [
        ("rate_limit", {"retry_after": "7"}, 429, "retry-after: 7"),
        ("server_error", {"status": 502}, 502, "server: nginx"),
        ("cloudflare", {}, 403, "server: cloudflare"),
        ("html", {}, 200, "There has been a critical error"),
    ],
)
def test_edge_faults_answer_the_page_and_the_endpoint(
    profile: str, fault: str, params: dict[str, Any], status: int, marker: str
) -> None:
    with LocalSite(profile) as site:
        site.inject(fault, on="page", **params)
        site.inject(fault, **params)
        for reply in (fetch(site, "GET", "/"), post(site, {"action": "any"})):
            assert reply.status == status
            seen = "".join(f"{k}: {v}\n" for k, v in reply.headers.items()) + reply.body.decode()
            assert marker in seen
        assert talk(site) == "Echo: hi"


def test_drop_stale_page_and_nonce_expired() -> None:
    with LocalSite("1.8.79") as site:
        site.inject("drop")
        with pytest.raises(http.client.RemoteDisconnected):
            chat(site)
        site.inject("stale_page")
        stale = re.search(r'data-nonce="([0-9a-f]{10})"', fetch(site, "GET", "/").body.decode())
        assert stale is not None
        assert stale.group(1) != site.nonce
        assert chat(site, _wpnonce=stale.group(1)).json()["status"] == "error"
        site.inject("nonce_expired")
        assert chat(site).json()["msg"] == "Nonce verification failed"
        assert chat(site).json()["status"] == "success"


def test_stream_cut_ends_without_the_terminating_chunk() -> None:
    with LocalSite("1.8.79", stream=True) as site:
        site.inject("stream_cut", after=2)
        reply = chat(site)
        assert reply.headers["content-type"].startswith("text/event-stream")
        assert (len(reply.chunks), reply.terminated) == (2, False)
        assert chat(site).terminated


def test_aipkit_options_threads_and_guest_limit() -> None:
    with LocalSite("2.4.71", bots=(5, 9), popup={9}, guest_limit=1) as site:
        configs = re.findall(r'data-bot-id="(\d+)"', fetch(site, "GET", "/").body.decode())
        assert configs[:2] == ["5", "9"]
        assert talk(site, "hi", session="a") == "Echo: hi"
        assert b"reached your quota" in aipkit_chat(site, "again", session="a").body
        assert talk(site, "other", session="b") == "Echo: other"
        ((bot, session, conversation),) = [k for k in site.threads() if k[1] == "a"]
        assert [t.role for t in site.thread(bot, session, conversation)] == ["user", "bot"]
        assert site.upstream_calls[-1].input[-1] == {"role": "user", "content": "other"}
        assert site.guest_usage(5, "a") >= 1


def test_image_upload_shows_on_the_page_of_the_bots_named() -> None:
    with LocalSite("2.4.71", bots=(5, 9), image_upload={9}) as site:
        configs = page_configs(fetch(site, "GET", "/").body.decode())
    flags = [
        (c["botId"], c["imageUploadEnabledUI"], c["inputActionButtonEnabled"]) for _, c in configs
    ]
    assert flags == [(5, False, False), (9, True, True)]


def test_slow_stream_holds_back_the_first_chunk_on_the_old_plugin_too() -> None:
    with LocalSite("1.9.18", stream=True) as site:
        site.inject("slow_stream", first_delay=60, chunk_delay=0)
        host, port = site.url.rsplit("/", 1)[-1].split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=0.2)
        body = urlencode(
            {"action": "wpaicg_chat_shortcode_message", "_wpnonce": site.nonce, "message": "hi"}
        )
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        conn.request("POST", site.ajax_path, body=body, headers=form)
        reply = conn.getresponse()
        assert reply.status == 200
        with pytest.raises(TimeoutError):
            reply.read(1)
        conn.close()
