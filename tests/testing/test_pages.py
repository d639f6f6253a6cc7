"""The chat page each profile serves: markup quirks, tokens, decoys, headers."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from chatgpt4o.testing import PROFILES, LocalSite

from ._http import chat, request

FIXTURE = Path(__file__).resolve().parents[1] / "aipower-1.8.79-front-page.html"


class Elements(HTMLParser):
    """Collect start tags (comments are not elements) with their nesting path."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None], tuple[str, ...]]] = []
        self._stack: list[str] = []
        self.comments: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = dict(attrs)
        self.tags.append((tag, attr, tuple(self._stack)))
        if tag not in ("input", "img", "meta", "link", "br", "hr", "line", "polygon"):
            self._stack.append(str(attr.get("class") or tag))

    def handle_endtag(self, tag: str) -> None:
        if self._stack:
            self._stack.pop()

    def handle_comment(self, data: str) -> None:
        self.comments.append(data)

    def with_attr(self, name: str) -> list[dict[str, str | None]]:
        return [attrs for _, attrs, _ in self.tags if name in attrs]


def parse(html: str) -> Elements:
    parser = Elements()
    parser.feed(html)
    parser.close()
    return parser


def page(site: LocalSite) -> str:
    response = request(site)
    assert response.status == 200
    assert response.headers["content-type"] == "text/html; charset=UTF-8"
    assert response.headers["link"] == f'<{site.url}/wp-json/>; rel="https://api.w.org/"'
    assert "set-cookie" not in response.headers
    return response.text


@pytest.mark.parametrize("profile", list(PROFILES))
def test_every_profile_serves_a_page_with_title_and_rest_link(profile: str) -> None:
    with LocalSite(profile) as site:
        html = page(site)
        assert "<title>AI Power harness</title>" in html
        assert f'<link rel="https://api.w.org/" href="{site.url}/wp-json/" />' in html
        assert site.page_fetches == 1


def test_1879_page_follows_the_fixture_markup() -> None:
    with LocalSite("1.8.79") as site:
        html = page(site)
        assert '<div class="wpaicg-chat-shortcode"\n     data-user-bg-color="#ccf5e1"\n' in html
        assert (
            f'     data-nonce="{site.nonce}"\n     data-post-id="4"\n'
            f'     data-url="{site.url}"\n     data-bot-id="0"\n     data-width="100%"\n'
        ) in html
        assert '     data-typewriter-effect = ""\n' in html
        assert '     data-feedback_title = "Feedback"\n' in html
        assert '     data-openai_stream_nav="0"\n' in html
        assert '     data-type="shortcode"\n>\n' in html
        escaped = site.ajax_url.replace("/", "\\/")
        params = re.search(r"var wpaicgParams = (\{.*\});", html)
        assert params is not None
        assert f'"ajax_url":"{escaped}"' in params.group(1)
        assert json.loads(params.group(1))["search_nonce"] == site.nonce
        assert "wpaicg_ajax_url" not in html


def _element_lines(html: str) -> list[str]:
    start = html.index('<div class="wpaicg-chat-shortcode"\n')
    end = html.index("\n>\n", start)
    return [re.sub(r'"[^"]*"', '""', line) for line in html[start:end].split("\n")]


def test_1879_element_matches_the_real_fixture_line_for_line() -> None:
    fixture = FIXTURE.read_text(encoding="utf-8")
    with LocalSite("1.8.79") as site:
        html = page(site)
    assert _element_lines(html) == _element_lines(fixture)
    params = re.search(r"var wpaicgParams = (\{.*\});", fixture)
    assert params is not None
    assert '"ajax_url":"http:\\/\\/' in params.group(1)  # same escaping as ours


def test_decoy_nonces_are_present_and_fail_when_sent() -> None:
    with LocalSite("1.8.79") as site:
        html = page(site)
        doc = parse(html)
        chat_elements = doc.with_attr("data-nonce")
        assert len(chat_elements) == 1
        assert chat_elements[0]["data-nonce"] == site.nonce
        img = [(a, path) for t, a, path in doc.tags if a.get("id") == "wpaicg-img-nonce"]
        assert len(img) == 1
        assert "wpaicg-chat-shortcode" in img[0][1]
        img_nonce = str(img[0][0]["value"])
        form_nonce = str(next(a for a in doc.with_attr("name") if a["name"] == "_wpnonce")["value"])
        commented = re.findall(r'data-nonce="([0-9a-f]{10})"', " ".join(doc.comments))
        assert len(commented) == 1
        # The commented-out copy comes first, so a naive regex picks the decoy.
        assert re.search(r'data-nonce="(.*?)"', html).group(1) == commented[0]  # type: ignore[union-attr]
        decoys = {img_nonce, form_nonce, commented[0]}
        assert len(decoys) == 3
        assert site.nonce not in decoys
        for decoy in decoys:
            assert chat(site, _wpnonce=decoy).json()["msg"] == "Nonce verification failed"


def test_17_page_has_old_markup_and_ajax_url_in_head() -> None:
    with LocalSite("1.7") as site:
        html = page(site)
        head = html.split("</head>")[0]
        assert f"var wpaicg_ajax_url = '{site.ajax_url}';" in head
        assert "wpaicgParams" not in html
        attrs = parse(html).with_attr("data-nonce")[0]
        assert attrs["data-you"] == "You"
        assert attrs["data-ai-name"] == "AI"
        assert "data-user-avatar" in attrs
        assert attrs["data-nonce"] == site.nonce


def test_19_page_has_more_spaced_attributes_and_rest_nonce() -> None:
    with LocalSite("1.9.18", stream=True) as site:
        html = page(site)
        assert '     data-memory-limit = "10"\n' in html
        assert '     data-openai_stream_nav="1"\n' in html
        assert "var wpApiSettings = " in html
        attrs = parse(html).with_attr("data-nonce")[0]
        assert attrs["data-post-id"] == "12"
        assert attrs["data-nonce"] == site.nonce


def test_widget_page_has_only_the_widget_with_the_post_id_bug() -> None:
    with LocalSite("widget") as site:
        html = page(site)
        assert '     data-post-id="<123"\n' in html
        assert re.search(r'data-post-id="([0-9]+)"', html) is None
        doc = parse(html)
        chats = [(a, path) for _, a, path in doc.tags if "data-nonce" in a]
        assert len(chats) == 1
        attrs, path = chats[0]
        assert attrs["data-type"] == "widget"
        assert "wpaicg-chatbox" in str(attrs["class"])
        assert any("wpaicg_chat_widget" in p for p in path)
        assert not [a for _, a, _ in doc.tags if "wpaicg-chat-shortcode" in str(a.get("class"))]
        assert chat(site, action="wpaicg_chatbox_message", post_id="123").json()["status"] == (
            "success"
        )


def test_minified_element_has_unquoted_values_and_same_attributes() -> None:
    with LocalSite("1.9.18", minified=True) as site, LocalSite("1.9.18") as plain:
        html = page(site)
        assert f"data-nonce={site.nonce} data-post-id=12 data-url={site.url} " in html
        assert "data-feedback_message='Please provide details: (optional)'" in html
        mini = parse(html).with_attr("data-nonce")[0]
        full = parse(page(plain)).with_attr("data-nonce")[0]
        assert set(mini) == set(full)
        assert {k: str(v).replace(site.url, "") for k, v in mini.items() if k != "data-nonce"} == {
            k: str(v).replace(plain.url, "") for k, v in full.items() if k != "data-nonce"
        }


def test_renamed_ajax_path_is_advertised_and_the_old_one_is_gone() -> None:
    with LocalSite("1.8.79", ajax_path="/rizq") as site:
        assert site.ajax_url == site.url + "/rizq"
        html = page(site)
        assert f'"ajax_url":"{site.url.replace("/", chr(92) + "/")}\\/rizq"' in html
        assert chat(site).json()["status"] == "success"
        old = request(site, "POST", "/wp-admin/admin-ajax.php", body=b"action=x")
        assert old.status == 404
        assert old.headers["content-type"].startswith("text/html")
    with LocalSite("1.7", ajax_path="/rizq") as site:
        assert f"var wpaicg_ajax_url = '{site.url}/rizq';" in page(site)
    with pytest.raises(ValueError, match="ajax_path"):
        LocalSite(ajax_path="rizq")


def test_other_paths_are_404_and_wp_json_answers() -> None:
    with LocalSite() as site:
        missing = request(site, "GET", "/nope")
        assert missing.status == 404
        assert "Nothing here" in missing.text
        index = request(site, "GET", "/wp-json/")
        assert index.status == 200
        assert index.json()["url"] == site.url
        head = request(site, "HEAD", "/")
        assert head.status == 200
        assert head.body == b""
        cached = request(site, "GET", "/?nocache=123")
        assert cached.status == 200
        assert site.page_fetches == 1


def test_stale_page_serves_a_nonce_from_an_old_key() -> None:
    with LocalSite("1.9.18") as site:
        site.inject("stale_page")
        stale = parse(page(site)).with_attr("data-nonce")[0]["data-nonce"]
        fresh = parse(page(site)).with_attr("data-nonce")[0]["data-nonce"]
        assert stale != fresh == site.nonce
        assert chat(site, _wpnonce=str(stale)).status == 403
        assert chat(site, _wpnonce=str(fresh)).status == 200
