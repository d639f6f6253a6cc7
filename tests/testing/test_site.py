"""What the package docstring promises of ``LocalSite`` that no client test shows.

How faithful each reply is to a real site is held by the recorded exchanges
(``test_aipkit_fixtures.py``) and the recorded 1.8.79 page below; how the clients meet every
profile and fault, by tests/e2e and tests/reliability/fault_matrix.py.
"""

from __future__ import annotations

import http.client
import re
import socket
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

import chatgpt4o
from chatgpt4o.testing import LocalSite

from ._raw_http import fetch

FIXTURE = Path(__file__).resolve().parents[1] / "aipower-1.8.79-front-page.html"


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


def test_a_broken_model_is_a_critical_error_and_is_logged() -> None:
    def answer(message: str) -> str:
        if message == "boom":
            raise RuntimeError("model down")
        return message.upper()

    with (
        LocalSite("1.8.79", answer=answer) as site,
        chatgpt4o.Client(site.url, max_retries=0) as client,
    ):
        assert client.ask("hi") == "HI"
        with pytest.raises(chatgpt4o.APIStatusError) as caught:
            client.ask("boom")
        assert caught.value.status_code == 500
        assert [str(e) for e in site.errors] == ["model down"]


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


def test_an_aipkit_site_counts_what_each_guest_used() -> None:
    with LocalSite("2.4.71") as site, chatgpt4o.Client(site.url) as client:
        assert client.ask("one two") == "Echo: one two"
        ((bot, session, conversation),) = site.threads()
        assert [t.role for t in site.thread(bot, session, conversation)] == ["user", "bot"]
        words = sum(len(str(item["content"]).split()) for item in site.upstream_calls[0].input)
        assert site.guest_usage(bot, session) == words + 3  # in, plus "Echo: one two" out
        assert site.guest_usage(bot, "someone-else") == 0


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
        with pytest.raises(socket.timeout):  # TimeoutError from Python 3.10 on
            reply.read(1)
        conn.close()
