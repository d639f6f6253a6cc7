"""The AIPKit page: containers, popups, several bots, data-config encoding, nonces."""

from __future__ import annotations

import html
import json
import re
from typing import Any

import pytest

from chatgpt4o.testing import LocalSite
from chatgpt4o.testing._php import esc_attr, php_json_encode

from ._aipkit_http import Guest, fetch, page_configs, sse_events
from .test_pages import parse


def page_of(site: LocalSite) -> str:
    reply = fetch(site, "GET", "/")
    assert reply.status == 200
    assert reply.headers["content-type"] == "text/html; charset=UTF-8"
    return reply.body.decode("utf-8")


@pytest.mark.parametrize(("profile", "bot", "post"), [("2.4.71", 5, 6), ("2.4.0", 8, 9)])
def test_inline_container_carries_the_chat_keys(profile: str, bot: int, post: int) -> None:
    with LocalSite(profile) as site:
        page = page_of(site)
        ((css, config),) = page_configs(page)
        assert css.startswith("aipkit_chat_container ")
        assert (config["botId"], config["postId"]) == (bot, post) == (site.bot_id, site.post_id)
        assert config["ajaxUrl"] == site.ajax_url
        assert config["nonce"] == site.nonce
        assert re.fullmatch(r"[0-9a-f]{10}", site.nonce)
        assert f'id="aipkit_chat_container_{bot}" data-bot-id="{bot}" data-config=\'' in page
        assert "wpaicg" not in page
        assert site.page_fetches == 1


def test_data_config_is_hex_escaped_json_in_single_quotes() -> None:
    with LocalSite("2.4.71", ajax_path="/wp-admin/admin-ajax.php") as site:
        page = page_of(site)
        raw = re.search(r"data-config='([^']*)'", page)
        assert raw is not None
        assert "&quot;botId&quot;:5" in raw.group(1)
        assert "\\/wp-admin\\/admin-ajax.php" in raw.group(1)
        assert '"' not in raw.group(1)
        assert "<" not in raw.group(1)
        assert json.loads(html.unescape(raw.group(1)))["botId"] == 5
        # The theme JSON after it is another single-quoted attribute: a decoy for greedy regexes.
        assert "' data-custom-theme='{&quot;primary_color&quot;" in page


def test_renamed_ajax_path_is_in_the_config_and_answers() -> None:
    with LocalSite("2.4.71", ajax_path="/rizq") as site:
        ((_, config),) = page_configs(page_of(site))
        assert config["ajaxUrl"] == site.url + "/rizq"
        assert Guest(site).cache("hi").status == 200
        assert fetch(site, "POST", "/wp-admin/admin-ajax.php", body=b"action=x").status == 404


def test_popup_wrapper_carries_the_config_and_the_container_has_none() -> None:
    with LocalSite("2.4.71", popup=True) as site:
        page = page_of(site)
        ((css, config),) = page_configs(page)
        assert css.startswith("aipkit_popup_wrapper ")
        assert config["popupEnabled"] is True
        assert config["botId"] == 5
        doc = parse(page)
        containers = [a for _, a, _ in doc.tags if "aipkit_chat_container" in str(a.get("class"))]
        assert len(containers) == 1
        assert "data-config" not in containers[0]
        assert containers[0]["id"] == "aipkit_chat_container_5"
        wrapper = re.search(
            r'<div class="aipkit_popup_wrapper[^>]*id="aipkit_popup_wrapper_5"', page
        )
        assert wrapper is not None
        # The popup's hint also has a data-bot-id, but it is no chat element.
        assert len(doc.with_attr("data-bot-id")) == 2


def test_several_bots_one_inline_one_popup_each_rendered_once() -> None:
    with LocalSite("2.4.71", bots=(7, 9, 7), popup={9}) as site:
        assert site.bots == (7, 9)
        assert site.bot_id == 7
        configs = page_configs(page_of(site))
        assert [(c["botId"], c["popupEnabled"], css.split()[0]) for css, c in configs] == [
            (7, False, "aipkit_chat_container"),
            (9, True, "aipkit_popup_wrapper"),
        ]
        assert {c["nonce"] for _, c in configs} == {site.nonce}
        for bot in (7, 9):
            events = sse_events(Guest(site, bot_id=bot).stream(Guest(site, bot_id=bot).key()).body)
            assert events[-1].name == "done"
            assert events[0].name == "message_start"
        # A bot that is not on the site is refused by the stream.
        other = Guest(site, bot_id=5)
        events = sse_events(other.stream(other.key()).body)
        assert [(e.name, e.data) for e in events] == [
            ("error", {"error": "Invalid chatbot specified."}),
            ("done", {"finished": True}),
        ]


def test_draft_bot_renders_but_chats_are_refused() -> None:
    with LocalSite("2.4.71", bots=(5,), draft_bots=(6,)) as site:
        assert site.bots == (5, 6)
        assert site.draft_bots == frozenset({6})
        assert [c["botId"] for _, c in page_configs(page_of(site))] == [5, 6]
        guest = Guest(site, bot_id=6)
        events = sse_events(guest.stream(guest.key()).body)
        assert events[0].data == {"error": "Invalid chatbot specified."}


@pytest.mark.parametrize(
    ("profile", "options", "refresh"),
    [
        ("2.4.71", {}, True),
        ("2.4.0", {}, True),
        ("2.3.20", {}, False),
        ("2.4.71", {"refresh_action": False}, False),
    ],
)
def test_refresh_global_is_printed_only_where_the_action_exists(
    profile: str, options: dict[str, Any], refresh: bool
) -> None:
    with LocalSite(profile, **options) as site:
        page = page_of(site)
        assert site.refresh_action is refresh
        marker = 'window.aipkit_getChatNonceAction = "aipkit_get_frontend_chat_nonce";'
        assert (marker in page) is refresh
        assert f"public-main.bundle.js?ver={site.profile.version}" in page
        assert "var aipkit_chat_config_global = " in page


def test_stale_page_carries_a_nonce_that_fails() -> None:
    with LocalSite("2.4.71") as site:
        site.inject("stale_page")
        ((_, stale),) = page_configs(page_of(site))
        ((_, fresh),) = page_configs(page_of(site))
        assert stale["nonce"] != fresh["nonce"] == site.nonce
        assert Guest(site, nonce=stale["nonce"]).cache("hi").status == 403
        assert Guest(site, nonce=fresh["nonce"]).cache("hi").status == 200


def test_aipkit_options_are_refused_on_wpaicg_profiles() -> None:
    with pytest.raises(ValueError, match="not an AIPKit profile"):
        LocalSite("1.9.18", bots=(5,))
    with pytest.raises(ValueError, match="not an AIPKit profile"):
        LocalSite("1.8.79", guest_limit=0)
    with pytest.raises(ValueError, match="bot ids"):
        LocalSite("2.4.71", bots=(0,))
    with pytest.raises(ValueError, match="guest_limit"):
        LocalSite("2.4.71", guest_limit=-1)
    with LocalSite("1.9.18") as site, pytest.raises(RuntimeError, match="not an AIPKit"):
        site.thread(5, "s", "c")


def test_wp_json_encode_hex_flags_then_esc_attr_like_php() -> None:
    value = {"t": 'It\'s <b>"x"</b> & é/\u2028', "n": [1, True, None]}
    encoded = php_json_encode(value, unicode=True, hex_chars=True)
    assert encoded == (
        '{"t":"It\\u0027s \\u003Cb\\u003E\\u0022x\\u0022\\u003C\\/b\\u003E '
        '\\u0026 é\\/\\u2028","n":[1,true,null]}'
    )
    assert esc_attr(encoded).count("&quot;") == encoded.count('"')
    assert "'" not in esc_attr(encoded)
    assert json.loads(html.unescape(esc_attr(encoded))) == value
