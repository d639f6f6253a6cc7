"""A chat call in every plugin era: the reply the plugin gives, and the form the client posted."""

from __future__ import annotations

import re

import pytest

from tests.sites import SITE_IDS, SITES

from ._expect import CONVERSATION, FLAT, FLAT_SEEN, MESSAGE, SEEN
from ._runner import MakeSite, Runner, page_gets

# The page's post id as the page carries it (the widget's data-post-id="<123" included).
POST_IDS = {"1.7": "2", "1.8.79": "4", "1.9.18": "12", "widget": "123"}


@pytest.mark.parametrize(("profile", "stream"), SITES, ids=SITE_IDS)
def test_reply_echoes_the_message_the_plugin_saw_and_the_form_is_the_browsers(
    runner: Runner, make_site: MakeSite, profile: str, stream: bool
) -> None:
    site = make_site(profile, stream=stream)

    outcomes = runner.run(site, MESSAGE, CONVERSATION, "plain")

    assert outcomes == [f"Echo: {SEEN[profile]}", f"Echo: {FLAT_SEEN[profile]}", "Echo: plain"]
    assert site.page_fetches == 1
    assert runner.sleeps == []
    widget = profile == "widget"
    assert [post.fields["message"] for post in site.posts] == [MESSAGE, FLAT, "plain"]
    for post in site.posts:
        assert post.method == "POST"
        assert post.content_type.split(";")[0] in (
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        )
        fields = post.fields
        assert fields["action"] == (
            "wpaicg_chatbox_message" if widget else "wpaicg_chat_shortcode_message"
        )
        assert fields["_wpnonce"] == site.nonce
        assert fields["post_id"] == POST_IDS[profile] == str(site.post_id)
        assert fields["url"] == site.url
        assert fields["bot_id"] == "0"
        assert fields["chatbot_identity"] == ("widget" if widget else "shortcode")
        assert fields["wpaicg_chat_history"] == "[]"
        assert re.fullmatch(r"[A-Za-z0-9]{10}", fields["wpaicg_chat_client_id"])
        assert not any(name.startswith("wpaicg_chat_shortcode_options") for name in fields)
    assert len({post.fields["wpaicg_chat_client_id"] for post in site.posts}) == 1
    # The page was asked for plainly (no cache-busting query before any nonce was rejected).
    (page,) = page_gets(site)
    assert "nocache" not in page.query


def test_each_client_has_its_own_client_id(runner: Runner, make_site: MakeSite) -> None:
    site = make_site("1.9.18")

    assert runner.one(site, "a") == "Echo: a"
    assert runner.one(site, "b") == "Echo: b"

    ids = [post.fields["wpaicg_chat_client_id"] for post in site.posts]
    assert ids[0] != ids[1]


@pytest.mark.parametrize(
    ("profile", "stream"), [("2.4.71", False), ("2.4.0", False), ("2.4.0", True)]
)
def test_current_plugin_sites_answer_in_the_way_the_page_says(
    runner: Runner, make_site: MakeSite, profile: str, stream: bool
) -> None:
    site = make_site(profile, stream=stream)

    outcome = runner.one(site, "hello")

    assert outcome == "Echo: hello"
    assert site.page_fetches == 1
    two_requests = profile == "2.4.71" or stream
    assert len(site.cache_posts) == (1 if two_requests else 0)
    assert len(site.stream_requests) == (1 if two_requests else 0)
    assert len(site.json_posts) == (0 if two_requests else 1)
    assert runner.sleeps == []
