"""chatgpt4o._page: the chats of real pages (both plugin generations) and hand-made variants;
Cloudflare detection."""

from __future__ import annotations

import dataclasses
import html as html_lib
import json
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any, Dict, Optional

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chatgpt4o._cloudflare import is_cloudflare_page
from chatgpt4o._exceptions import (
    BlockedError,
    BotNotFoundError,
    ChatPageError,
    UnsupportedPluginError,
)
from chatgpt4o._page import PageChat, extract_page

FIXTURE = Path(__file__).with_name("aipower-1.8.79-front-page.html")
FIXTURE_URL = "http://127.0.0.1:8088/"

URL = "https://site.example/chat/"
AJAX = "https://site.example/wp-admin/admin-ajax.php"
NONCE = "0a1b2c3d4e"
SEARCH_NONCE = "5f6e7d8c9b"
DECOY = "deadbeef00"

PARAMS_SCRIPT = (
    "<script id='wpaicg-init-js-extra'>\n"
    'var wpaicgParams = {"ajax_url":"https:\\/\\/site.example\\/wp-admin\\/admin-ajax.php",'
    f'"search_nonce":"{SEARCH_NONCE}","logged_in":"0","languages":{{"source":"Sources"}}}};\n'
    "</script>\n"
)


def page(body: str, *, head: str = "", footer: str = PARAMS_SCRIPT) -> str:
    """A small WordPress-like page around ``body``."""
    return (
        '<!DOCTYPE html>\n<html lang="en-US">\n<head>\n<meta charset="UTF-8" />\n'
        f'<title>Chat &#8211; Site</title>\n{head}</head>\n<body class="page-id-7">\n'
        f"<main>\n{body}\n</main>\n<footer>Footer</footer>\n{footer}</body>\n</html>\n"
    )


def chat_element(
    css_class: str = "wpaicg-chat-shortcode",
    *,
    nonce: Optional[str] = NONCE,
    post_id: Optional[str] = "7",
    url: Optional[str] = "https://site.example/chat",
    bot_id: Optional[str] = "0",
    stream_nav: str = "0",
    inner: str = "",
) -> str:
    """A chat element the way the plugin's templates print it: one attribute per line."""
    attrs = [f'class="{css_class}"', 'data-color="#495057"']
    for name, value in (
        ("data-nonce", nonce),
        ("data-post-id", post_id),
        ("data-url", url),
        ("data-bot-id", bot_id),
    ):
        if value is not None:
            attrs.append(f'{name}="{value}"')
    attrs += ['data-width="100%"', 'data-typewriter-effect = ""']
    attrs += [f'data-openai_stream_nav="{stream_nav}"', 'data-feedback_title = "Feedback"']
    attrs.append('data-type="widget"' if "chatbox" in css_class else 'data-type="shortcode"')
    return (
        "<div " + "\n     ".join(attrs) + "\n>\n"
        '<div class="wpaicg-chat-shortcode-content"><ul></ul></div>\n'
        '<textarea class="wpaicg-chat-shortcode-typing" placeholder="Type a message"></textarea>\n'
        '<input type="hidden" id="wpaicg-img-nonce" value="4fb53ed8c1" />\n'
        f"{inner}</div>\n"
    )


def widget(*, nonce: str = NONCE, post_id: str = "7") -> str:
    """The floating widget as wp_footer prints it."""
    element = chat_element("wpaicg-chatbox", nonce=nonce, post_id=post_id)
    return f'<div class="wpaicg_chat_widget">{element}</div>'


def params_script(ajax_url: str) -> str:
    """The plugin's settings script naming ``ajax_url``, JSON-encoded the way PHP does it."""
    escaped = ajax_url.replace("/", "\\/")
    return f'<script>var wpaicgParams = {{"ajax_url":"{escaped}"}};</script>'


def tokens(html: str, url: str = URL, **kwargs: Optional[str]) -> PageChat:
    """The chat a client would use on the page."""
    return extract_page(html, url, **kwargs).chat()


def fields(result: PageChat) -> Dict[str, object]:
    # What a page says of pictures is tested with them, in tests/test_images.py.
    pictures = ("image_upload", "plugin_version")
    return {k: v for k, v in dataclasses.asdict(result).items() if k not in pictures}


# --- the real page ---------------------------------------------------------------------------


def test_real_page_fixture() -> None:
    html = FIXTURE.read_text(encoding="utf-8")

    page = extract_page(html, FIXTURE_URL)

    assert (page.url, page.generation, page.bot_ids) == (FIXTURE_URL, "wpaicg", ("0",))
    assert fields(page.chat()) == {
        "generation": "wpaicg",
        "nonce": "14004b0807",
        "post_id": "4",
        "bot_id": "0",
        "page_url": "http://127.0.0.1:8088",
        "ajax_url": "http://127.0.0.1:8088/wp-admin/admin-ajax.php",
        "chat_type": "shortcode",
        "streams": False,
    }


def test_real_page_takes_ajax_url_from_wpaicg_params() -> None:
    html = FIXTURE.read_text(encoding="utf-8").replace(
        "8088\\/wp-admin\\/admin-ajax.php", "8088\\/rizq\\/admin-ajax.php"
    )

    assert tokens(html, FIXTURE_URL).ajax_url == "http://127.0.0.1:8088/rizq/admin-ajax.php"


def test_real_page_without_data_nonce_does_not_fall_back_to_a_decoy() -> None:
    html = FIXTURE.read_text(encoding="utf-8").replace('data-nonce="14004b0807"', "")

    with pytest.raises(ChatPageError) as caught:
        extract_page(html, FIXTURE_URL)

    assert caught.value.missing == "nonce"
    assert "No nonce found" in str(caught.value)


# --- markup quirks ---------------------------------------------------------------------------

MINIFIED = (
    "<div class=wpaicg-chat-shortcode data-nonce=3f9c2a7b1e data-post-id=12 "
    "data-url=https://site.example/chat/ data-bot-id=3 data-type=shortcode>"
    "<textarea></textarea></div>"
)

QUIRKS = {
    "multi-line attributes": (page(chat_element()), {"nonce": NONCE, "post_id": "7"}),
    "spaces around =": (
        page(
            chat_element()
            .replace('data-nonce="', 'data-nonce = "')
            .replace('data-post-id="', 'data-post-id =  "')
        ),
        {"nonce": NONCE, "post_id": "7"},
    ),
    "unquoted minified attributes": (
        page(MINIFIED),
        {
            "nonce": "3f9c2a7b1e",
            "post_id": "12",
            "bot_id": "3",
            "page_url": "https://site.example/chat",
        },
    ),
    "single quotes": (
        page(chat_element().replace('"', "'")),
        {"nonce": NONCE, "post_id": "7", "page_url": "https://site.example/chat"},
    ),
    "empty values": (
        page(chat_element(post_id="", bot_id="", url="")),
        {"nonce": NONCE, "post_id": "", "bot_id": "0", "page_url": "https://site.example/chat"},
    ),
    "absent optional attributes": (
        page(chat_element(post_id=None, bot_id=None, url=None)),
        {"nonce": NONCE, "post_id": "", "bot_id": "0", "page_url": "https://site.example/chat"},
    ),
    "html entities": (
        page(
            chat_element(nonce="&#48;a1b2c3d4e", url="https://site.example/?page_id=7&amp;lang=en")
        ),
        {"nonce": NONCE, "page_url": "https://site.example/?page_id=7&lang=en"},
    ),
    "whitespace inside values": (
        page(chat_element(nonce=f" {NONCE}\n", post_id=" 7 ")),
        {"nonce": NONCE, "post_id": "7"},
    ),
    "post id <123 (widget template bug)": (
        page(widget(post_id="<123")),
        {"nonce": NONCE, "post_id": "123", "chat_type": "widget"},
    ),
    "upper-case tag and attribute names": (
        page('<DIV CLASS="wpaicg-chat-shortcode" DATA-NONCE="0a1b2c3d4e" DATA-POST-ID="7"></DIV>'),
        {"nonce": NONCE, "post_id": "7"},
    ),
    "several classes": (
        page(
            widget().replace(
                'class="wpaicg-chatbox"', 'class="wpaicg-chatbox wpaicg-chatbox-has-action-bar"'
            )
        ),
        {"nonce": NONCE, "chat_type": "widget"},
    ),
    "quoted > before the nonce": (
        page(
            chat_element().replace(
                'data-color="#495057"', "data-ai-name=\"A > B\" data-you='<you>'"
            )
        ),
        {"nonce": NONCE, "post_id": "7"},
    ),
    "quoted < before the class": (
        page('<div data-post-id="<9" class="wpaicg-chatbox" data-nonce="0a1b2c3d4e"></div>'),
        {"nonce": NONCE, "post_id": "9", "chat_type": "widget"},
    ),
    "streaming on": (page(chat_element(stream_nav="1")), {"streams": True}),
    "streaming off": (page(chat_element(stream_nav="0")), {"streams": False}),
    "custom bot": (page(chat_element(bot_id="1234")), {"bot_id": "1234"}),
    "duplicate attribute: the first wins, as in browsers": (
        page(chat_element().replace('data-width="100%"', f'data-nonce="{DECOY}"')),
        {"nonce": NONCE},
    ),
    "tabs and form feeds between attributes": (
        page(chat_element().replace("\n     ", "\t\f")),
        {"nonce": NONCE, "post_id": "7"},
    ),
    "self-closing slash and odd spacing": (
        page(
            '<div  class = "wpaicg-chat-shortcode"/ data-nonce= 0a1b2c3d4e  data-post-id =7 ></div>'
        ),
        {"nonce": NONCE, "post_id": "7"},
    ),
}


@pytest.mark.parametrize(("html", "expected"), QUIRKS.values(), ids=QUIRKS.keys())
def test_markup_quirks(html: str, expected: Dict[str, object]) -> None:
    result = fields(tokens(html))

    assert {name: result[name] for name in expected} == expected


# --- decoys ----------------------------------------------------------------------------------

REAL = chat_element()

DECOYS = {
    "img nonce inside the chat element": page(
        chat_element(inner=f'<input type="hidden" id="wpaicg-img-nonce" value="{DECOY}" />')
    ),
    "other plugins' _wpnonce inputs": page(
        f'<form><input type="hidden" id="_wpnonce" name="_wpnonce" value="{DECOY}" /></form>' + REAL
    ),
    "REST API nonce": page(
        REAL,
        head='<script>var wpApiSettings = {"root":"https:\\/\\/site.example\\/wp-json\\/",'
        f'"nonce":"{DECOY}"}};</script>',
    ),
    "chat element in an HTML comment": page(
        f'<!-- <div class="wpaicg-chat-shortcode" data-nonce="{DECOY}" data-post-id="1"></div> -->'
        + REAL
    ),
    "chat element in a multi-line comment with --!> close": page(
        f'<!--\n<div class="wpaicg-chatbox"\n data-nonce="{DECOY}">\n--!>' + REAL
    ),
    "chat element in a script string": page(
        '<script>var tpl = \'<div class="wpaicg-chat-shortcode" '
        f'data-nonce="{DECOY}">\';</script>' + REAL
    ),
    "chat element in a textarea": page(
        f'<textarea><div class="wpaicg-chat-shortcode" data-nonce="{DECOY}"></div></textarea>'
        + REAL
    ),
    "chat markup in a JSON script": page(
        '<script type="application/json">{"html":"<div class=\\"wpaicg-chat-shortcode\\" '
        f'data-nonce=\\"{DECOY}\\">"}}</script>' + REAL
    ),
    "class token in CSS selectors": page(
        "<style>.wpaicg-chat-shortcode{color:red} div[class='wpaicg-chatbox']{top:0}</style>" + REAL
    ),
    "class token only in another attribute": page(
        f'<div data-type="wpaicg-chat-shortcode" data-nonce="{DECOY}"></div>' + REAL
    ),
    "longer class names that start with the token": page(
        f'<div class="wpaicg-chat-shortcode-content" data-nonce="{DECOY}"></div>' + REAL
    ),
    "'<!--' inside a script before the element": page(
        "<script>document.write('<!--');</script>" + REAL
    ),
    "old-style commented script before the element": page(
        '<script type="text/javascript"><!--\nvar a = 1;\n//--></script>' + REAL
    ),
    # Only the inert element itself is kept while the rest of the tree is skipped: copies
    # nested deep inside one must still be seen as inside it.
    "chat element deep inside a template": page(
        f'<template><section><div><div class="wpaicg-chat-shortcode" data-nonce="{DECOY}">'
        "</div></div></section></template>" + REAL
    ),
    "widget deep inside a noscript": page(
        f'<noscript><ul><li><span class="wpaicg-chatbox" data-nonce="{DECOY}"></span></li></ul>'
        "</noscript>" + REAL
    ),
}


def test_a_chat_element_deep_inside_ordinary_markup_is_found() -> None:
    html = page(f"<main><article><section><div>{REAL}</div></section></article></main>")

    assert tokens(html).nonce == NONCE


@pytest.mark.parametrize("html", DECOYS.values(), ids=DECOYS.keys())
def test_decoys_are_never_taken_for_the_chat_nonce(html: str) -> None:
    assert tokens(html).nonce == NONCE


def bare(body: str) -> str:
    """A page without the plugin's settings script, so no search_nonce to fall back on."""
    return page(body, footer="")


DECOY_ONLY = {
    "img nonce input only": bare(f'<input type="hidden" id="wpaicg-img-nonce" value="{DECOY}" />'),
    "_wpnonce input only": bare(f'<input type="hidden" name="_wpnonce" value="{DECOY}" />'),
    "chat element in a comment only": bare(
        f'<!-- <div class="wpaicg-chat-shortcode" data-nonce="{DECOY}"></div> -->'
    ),
    "chat element in an unterminated comment": bare(
        f'<!-- <div class="wpaicg-chat-shortcode" data-nonce="{DECOY}"></div>'
    ),
    "chat element in a script only": bare(
        f'<script>jQuery(\'<div class="wpaicg-chatbox" data-nonce="{DECOY}">\');</script>'
    ),
    "chat element in a textarea only": bare(
        f'<textarea><div class="wpaicg-chatbox" data-nonce="{DECOY}"></div></textarea>'
    ),
    "class name in text only": bare(f"<p>class=wpaicg-chatbox data-nonce={DECOY}</p>"),
    # The settings' search_nonce stands in only for a page without a chat element, and only as
    # an assignment in a live script.
    "chat element without a nonce": page(chat_element(nonce=None)),
    "search_nonce in a comment": page("<p>Nothing.</p>", footer=f"<!--\n{PARAMS_SCRIPT}-->\n"),
    "search_nonce not assigned": page(
        "<p>Nothing.</p>",
        footer=f"<script>if (window.wpaicgParams) {{ x = {{search_nonce: '{DECOY}'}}; }}</script>",
    ),
}


@pytest.mark.parametrize("html", DECOY_ONLY.values(), ids=DECOY_ONLY.keys())
def test_decoys_alone_give_no_nonce(html: str) -> None:
    with pytest.raises(ChatPageError) as caught:
        tokens(html)

    assert caught.value.missing == "nonce"
    assert DECOY not in str(caught.value)
    assert SEARCH_NONCE not in str(caught.value)


# --- which element ---------------------------------------------------------------------------


@pytest.mark.parametrize("widget_first", [True, False], ids=["widget-first", "shortcode-first"])
def test_shortcode_wins_over_widget(widget_first: bool) -> None:
    shortcode = chat_element(nonce="1111111111", post_id="7")
    box = widget(nonce="2222222222", post_id="<8")
    html = page(box + shortcode if widget_first else shortcode + box)

    result = tokens(html)

    assert (result.chat_type, result.nonce, result.post_id) == ("shortcode", "1111111111", "7")


def test_first_shortcode_is_taken() -> None:
    html = page(chat_element(nonce="1111111111", bot_id="5") + chat_element(nonce="2222222222"))

    result = tokens(html)

    assert (result.nonce, result.bot_id) == ("1111111111", "5")


# --- search_nonce fallback -------------------------------------------------------------------


def test_search_nonce_is_used_only_without_a_chat_element() -> None:
    result = tokens(page("<p>The chat loads later.</p>"))

    assert fields(result) == {
        "generation": "wpaicg",
        "nonce": SEARCH_NONCE,
        "post_id": "",
        "bot_id": "0",
        "page_url": "https://site.example/chat",
        "ajax_url": AJAX,
        "chat_type": "shortcode",
        "streams": False,
    }


# --- ajax URL discovery ----------------------------------------------------------------------


def test_legacy_1_7_ajax_url_variable() -> None:
    head = (
        "<script>\nvar wpaicg_ajax_url = 'https://site.example/rizq/admin-ajax.php';\n</script>\n"
    )

    assert (
        tokens(page(REAL, head=head, footer="")).ajax_url
        == "https://site.example/rizq/admin-ajax.php"
    )


def test_wpaicg_params_beats_legacy_variable() -> None:
    head = "<script>var wpaicg_ajax_url = 'https://site.example/old/admin-ajax.php';</script>"

    assert tokens(page(REAL, head=head)).ajax_url == AJAX


def test_legacy_variable_in_a_comment_is_ignored() -> None:
    head = "<!-- <script>var wpaicg_ajax_url = '/old/admin-ajax.php';</script> -->"

    assert tokens(page(REAL, head=head, footer="")).ajax_url == AJAX


@pytest.mark.parametrize("name", ["my_wpaicgParams", "$wpaicgParams", "a.xwpaicgParams"])
def test_a_longer_name_ending_in_wpaicg_params_is_not_the_settings(name: str) -> None:
    # Printed after the real settings, so it would win if it counted (the last one does).
    decoy = f'<script>var {name} = {{"ajax_url":"https:\\/\\/site.example\\/decoy.php"}};</script>'

    assert tokens(page(REAL, footer=PARAMS_SCRIPT + decoy)).ajax_url == AJAX


@pytest.mark.parametrize("name", ["my_wpaicg_ajax_url", "$wpaicg_ajax_url"])
def test_a_longer_name_ending_in_the_legacy_variable_is_not_it(name: str) -> None:
    head = (
        f"<script>var {name} = '/decoy.php';\n"
        "var wpaicg_ajax_url = '/rizq/admin-ajax.php';</script>"
    )

    assert (
        tokens(page(REAL, head=head, footer="")).ajax_url
        == "https://site.example/rizq/admin-ajax.php"
    )


LINK_HEADERS = {
    "subdirectory install": (
        '<https://site.example/blog/wp-json/>; rel="https://api.w.org/"',
        "https://site.example/blog/wp-admin/admin-ajax.php",
    ),
    "several links in one header": (
        '<https://site.example/wp-json/wp/v2/pages/7>; rel="alternate"; type="application/json", '
        '<https://site.example/wp/wp-json/>; rel="https://api.w.org/", '
        "<https://site.example/?p=7>; rel=shortlink",
        "https://site.example/wp/wp-admin/admin-ajax.php",
    ),
    "plain permalinks": (
        '<https://site.example/blog/index.php?rest_route=/>; rel="https://api.w.org/"',
        "https://site.example/blog/wp-admin/admin-ajax.php",
    ),
    "relative link": (
        '</cms/wp-json/>; rel="https://api.w.org/"',
        "https://site.example/cms/wp-admin/admin-ajax.php",
    ),
    "no REST link": ("<https://site.example/?p=7>; rel=shortlink", AJAX),
}


@pytest.mark.parametrize(
    ("link_header", "expected"), LINK_HEADERS.values(), ids=LINK_HEADERS.keys()
)
def test_link_header_gives_the_site_root(link_header: str, expected: str) -> None:
    assert tokens(page(REAL, footer=""), link_header=link_header).ajax_url == expected


def test_link_tag_gives_the_site_root() -> None:
    head = '<link rel="https://api.w.org/" href="https://site.example/blog/wp-json/" />\n'

    assert (
        tokens(page(REAL, head=head, footer="")).ajax_url
        == "https://site.example/blog/wp-admin/admin-ajax.php"
    )


def test_link_header_beats_link_tag() -> None:
    head = '<link rel="https://api.w.org/" href="https://site.example/tag/wp-json/" />\n'
    header = '<https://site.example/header/wp-json/>; rel="https://api.w.org/"'

    result = tokens(page(REAL, head=head, footer=""), link_header=header)

    assert result.ajax_url == "https://site.example/header/wp-admin/admin-ajax.php"


def test_link_tag_in_a_comment_is_ignored() -> None:
    head = '<!-- <link rel="https://api.w.org/" href="https://site.example/blog/wp-json/" /> -->\n'

    assert tokens(page(REAL, head=head, footer="")).ajax_url == AJAX


def test_no_hints_fall_back_to_the_page_origin() -> None:
    assert tokens(page(REAL, footer=""), "https://site.example:8443/a/b/?x=1").ajax_url == (
        "https://site.example:8443/wp-admin/admin-ajax.php"
    )


def test_relative_ajax_url_is_resolved_against_the_page() -> None:
    footer = params_script("/rizq/admin-ajax.php")

    assert tokens(page(REAL, footer=footer)).ajax_url == "https://site.example/rizq/admin-ajax.php"


FOREIGN = {
    "other host": ("https://evil.example/wp-admin/admin-ajax.php", AJAX),
    "other scheme": ("http://site.example/wp-admin/admin-ajax.php", AJAX),
    "other port": (
        "https://site.example:8443/x/admin-ajax.php?lang=en",
        "https://site.example/x/admin-ajax.php?lang=en",
    ),
    "protocol-relative": (
        "//evil.example/rizq/admin-ajax.php",
        "https://site.example/rizq/admin-ajax.php",
    ),
    "user info trick": ("https://site.example@evil.example/wp-admin/admin-ajax.php", AJAX),
    "same origin, explicit default port": (
        "https://SITE.example:443/wp-admin/admin-ajax.php",
        "https://SITE.example:443/wp-admin/admin-ajax.php",
    ),
}


@pytest.mark.parametrize(("named", "expected"), FOREIGN.values(), ids=FOREIGN.keys())
def test_ajax_url_never_leaves_the_page_origin(named: str, expected: str) -> None:
    assert tokens(page(REAL, footer=params_script(named))).ajax_url == expected


def test_link_header_on_another_host_stays_on_the_page_origin() -> None:
    header = '<https://evil.example/blog/wp-json/>; rel="https://api.w.org/"'

    result = tokens(page(REAL, footer=""), link_header=header)

    assert result.ajax_url == "https://site.example/blog/wp-admin/admin-ajax.php"


def test_page_url_falls_back_to_the_fetched_url_without_query_or_slash() -> None:
    result = tokens(page(chat_element(url=None)), "https://site.example/chat/?nocache=123#top")

    assert result.page_url == "https://site.example/chat"


# --- errors ----------------------------------------------------------------------------------

CHALLENGE_PAGE = """<!DOCTYPE html><html lang="en-US"><head><title>Just a moment...</title>
<meta http-equiv="refresh" content="390"></head><body><div class="main-wrapper" role="main">
<div class="main-content"><noscript><div id="challenge-error-title">
Enable JavaScript and cookies to continue</div></noscript></div></div>
<script>(function(){window._cf_chl_opt={cvId: '3',cZone: "chatgpt4o.one",cType: 'managed'};
var cpo = document.createElement('script');
cpo.src = '/cdn-cgi/challenge-platform/h/g/orchestrate/chl_page/v1?ray=8b1c';
document.getElementsByTagName('head')[0].appendChild(cpo);}());</script></body></html>"""

OLD_CHALLENGE_PAGE = """<html><head><title>Just a moment...</title></head><body>
<div id="cf-please-wait"><div id="spinner"><div id="cf-bubbles"></div></div>
<p data-translate="please_wait" id="cf-spinner-please-wait">
Please stand by, while we are checking your browser...</p></div>
</body></html>"""

BLOCK_PAGE = """<!DOCTYPE html><html class="no-js" lang="en-US"><head>
<title>Attention Required! | Cloudflare</title></head><body><div id="cf-wrapper">
<h1 data-translate="block_headline">Sorry, you have been blocked</h1>
<div class="cf-error-footer" id="cf-cloudflare-status">Cloudflare Ray ID: 8b1c</div>
</div></body></html>"""

CLOUDFLARE_PAGES = {
    "managed challenge": CHALLENGE_PAGE,
    "old challenge": OLD_CHALLENGE_PAGE,
    "block page": BLOCK_PAGE,
}


@pytest.mark.parametrize("html", CLOUDFLARE_PAGES.values(), ids=CLOUDFLARE_PAGES.keys())
def test_cloudflare_page_raises_blocked(html: str) -> None:
    assert is_cloudflare_page(html)
    with pytest.raises(BlockedError) as caught:
        extract_page(html, URL)

    assert (caught.value.status_code, caught.value.url) == (200, URL)
    assert str(caught.value) == (
        f"Cloudflare challenge at {URL}: the site is blocking automated clients; try again "
        "later, from another network, or through a proxy"
    )


@pytest.mark.parametrize(
    "headers",
    [
        {"cf-mitigated": "challenge"},
        {"CF-Mitigated": "Challenge"},
        {"Server": "cloudflare", "cf-mitigated": " challenge "},
    ],
)
def test_cf_mitigated_header_is_detected(headers: Dict[str, str]) -> None:
    assert is_cloudflare_page("<html><body>ok</body></html>", headers)


EMAIL_PROTECTION = (
    '<a href="/cdn-cgi/l/email-protection#1a2b">[email&#160;protected]</a>'
    '<script data-cfasync="false" '
    'src="/cdn-cgi/scripts/5c5dd728/cloudflare-static/email-decode.min.js"></script>'
)
BOT_DETECTION = (
    "<script>(function(){function c(){var b=a.contentDocument||a.contentWindow.document;if(b){"
    "var d=b.createElement('script');d.innerHTML=\"window.__CF$cv$params={r:'9a55',t:'MTc2'};"
    "var a=document.createElement('script');"
    "a.src='/cdn-cgi/challenge-platform/scripts/jsd/main.js';"
    "document.getElementsByTagName('head')[0].appendChild(a);\";"
    "b.getElementsByTagName('head')[0].appendChild(d)}}"
    "c()})();</script>"
)

ORDINARY = {
    "email protection script": page(REAL + EMAIL_PROTECTION),
    "bot detection script": page(REAL + BOT_DETECTION),
    "page about waiting": page("<h1>Just a moment, please</h1>" + REAL),
}


@pytest.mark.parametrize("html", ORDINARY.values(), ids=ORDINARY.keys())
def test_ordinary_pages_are_not_cloudflare_pages(html: str) -> None:
    assert not is_cloudflare_page(html, {"Server": "cloudflare", "CF-RAY": "8b1c-AMS"})
    assert tokens(html).nonce == NONCE


@pytest.mark.parametrize(
    "html", ["", "<html><body><p>Hello</p></body></html>", page("<p>Hi</p>", footer="")]
)
def test_no_nonce_or_ids(html: str) -> None:
    with pytest.raises(ChatPageError) as caught:
        extract_page(html, URL)

    error = caught.value
    assert error.missing == "nonce"
    assert error.url == URL
    assert "No nonce found" in str(error)
    assert URL in str(error)
    assert "check that the URL points at a page that shows the AI Power chat" in str(error)
    assert isinstance(error, RuntimeError)


@pytest.mark.parametrize(
    "bad", ["{{nonce}}", "<?php echo $nonce ?>", "12345", "x" * 10, "0a1b2c3d4e" * 4]
)
def test_nonce_must_look_like_a_wordpress_nonce(bad: str) -> None:
    html = page(chat_element(nonce=bad.replace('"', "&quot;").replace("<", "&lt;")))

    with pytest.raises(ChatPageError) as caught:
        tokens(html)

    assert caught.value.missing == "nonce"
    assert "not a WordPress nonce" in str(caught.value)


@pytest.mark.parametrize(
    "good", ["0a1b2c3d4e", "0A1B2C3D4E", "0a1b2c", "0123456789abcdef0123456789abcdef"]
)
def test_nonce_formats_accepted(good: str) -> None:
    assert tokens(page(chat_element(nonce=good))).nonce == good


def test_markup_the_parser_rejects_gives_a_chat_page_error() -> None:
    html = page("<![foo bar]>" + REAL)

    # Depending on the Python and bs4 versions, html.parser rejects the marked section, warns and
    # reads on, or takes it for a bogus comment.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            outcome = tokens(html).nonce
        except ChatPageError as error:
            outcome = f"{error.missing}: {error}"

    rejected = f"nonce: No nonce found at {URL}: html.parser cannot read the page's markup; "
    assert outcome == NONCE or outcome.startswith(rejected)


def test_truncated_page_fails_without_a_nonce() -> None:
    html = (
        '<div class="wpaicg-chat-shortcode" ' + 'data-x = "a" ' * 20_000 + 'data-nonce="0a1b2c3d4e'
    )
    # An unterminated start tag with 20,000 attributes: a quadratic scan would take minutes here.
    with pytest.raises(ChatPageError):
        extract_page(html, URL)


def test_many_hidden_copies_are_skipped_in_one_step() -> None:
    copy = f'<div class="wpaicg-chatbox" data-nonce="{DECOY}"></div>\n'
    html = page("<!--\n" + copy * 10_000 + "-->\n<script>\n" + copy * 10_000 + "</script>\n" + REAL)
    # 20,000 hidden copies ahead of the real element; a scan that re-parsed each would crawl.
    assert tokens(html).nonce == NONCE


# --- the value object ------------------------------------------------------------------------


def test_importing_the_module_does_not_import_bs4() -> None:
    code = "import sys, chatgpt4o._page; print('bs4' in sys.modules)"
    root = str(Path(__file__).resolve().parent.parent)

    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=root, check=True
    )

    assert out.stdout.strip() == "False"


# --- AIPKit (AI Power / AI Puffer 2.3 and later) ---------------------------------------------

RECORDINGS = Path(__file__).with_name("fixtures") / "aipkit"
AIPKIT_FIXTURE = RECORDINGS / "2.4.71" / "front-page.html"
AIPKIT_FIXTURE_URL = "http://127.0.0.1:8108/"
AIPKIT_NONCE = "abcdef1234"
OTHER_NONCE = "9876543210"
ABSENT = object()
AIPKIT_FOOTER = (
    "<script id='aipkit-public-main-js-extra'>\n"
    'var aipkit_chat_config_global = {"text":{"newChat":"New Chat"}};\n</script>\n'
    '<script>window.aipkit_getChatNonceAction = "aipkit_get_frontend_chat_nonce";</script>\n'
)


def aipkit_config(**changes: Any) -> Dict[str, Any]:
    """A data-config with the keys the client reads and a few UI ones, as 2.4.71 prints it."""
    config: Dict[str, Any] = {
        "botId": 5,
        "ajaxUrl": AJAX,
        "nonce": AIPKIT_NONCE,
        "postId": 7,
        "theme": "custom",
        "popupEnabled": False,
        "headerName": "Support Bot",
        "starters": ["What's <new>?", 'Tips & "tricks"'],
        "provider": "OpenAI",
    }
    config.update(changes)
    return {key: value for key, value in config.items() if value is not ABSENT}


def data_config(config: Any) -> str:
    """The attribute value as the plugin writes it: wp_json_encode(JSON_HEX_*), then esc_attr."""
    text = json.dumps(config, ensure_ascii=False, separators=(",", ":")).replace("/", "\\/")
    for char, escape in (('\\"', "\\u0022"), ("<", "\\u003C"), (">", "\\u003E")):
        text = text.replace(char, escape)
    text = text.replace("&", "\\u0026").replace("'", "\\u0027")
    return text.replace('"', "&quot;")


def aipkit_inline(config: Any, *, bot_id: str = "5", attribute: Optional[str] = None) -> str:
    """An inline bot, as [aipkit_chatbot id=N] renders it; ``attribute`` replaces data-config."""
    if attribute is None:
        attribute = f"data-config='{data_config(config)}'"
    return (
        f'<div class="aipkit_chat_container aipkit-theme-custom  aipkit-sidebar-state-closed   " '
        f'id="aipkit_chat_container_{bot_id}" data-bot-id="{bot_id}" {attribute}>\n'
        '<div class="aipkit_chat_body"><div class="aipkit_chat_main">'
        '<div class="aipkit_chat_messages"></div>\n'
        f'<textarea id="aipkit_chat_input_field_{bot_id}" placeholder="Type your message...">'
        "</textarea></div></div></div>\n"
    )


def aipkit_popup(config: Any, *, bot_id: str = "5", attribute: Optional[str] = None) -> str:
    """A popup bot: the wrapper carries data-config, its chat window has none."""
    if attribute is None:
        attribute = f"data-config='{data_config(config)}'"
    return (
        f'<div class="aipkit_popup_wrapper aipkit_popup_position-bottom-right" '
        f'id="aipkit_popup_wrapper_{bot_id}" {attribute} data-bot-id="{bot_id}">\n'
        '<button type="button" class="aipkit_popup_trigger" aria-label="Open chat"></button>\n'
        '<div class="aipkit_popup_content"><div class="aipkit_chat_container aipkit-theme-custom" '
        f'id="aipkit_chat_container_{bot_id}">'
        '<div class="aipkit_chat_main"></div></div></div></div>\n'
    )


def aipkit_page(body: str, *, head: str = "") -> str:
    return page(body, head=head, footer=AIPKIT_FOOTER)


def test_real_aipkit_page_fixture() -> None:
    html = AIPKIT_FIXTURE.read_text(encoding="utf-8")

    result = extract_page(html, AIPKIT_FIXTURE_URL)

    assert (result.url, result.generation, result.bot_ids) == (AIPKIT_FIXTURE_URL, "aipkit", ("5",))
    assert result.chat(bot_id=5) is result.chat()
    assert fields(result.chat()) == {
        "generation": "aipkit",
        "nonce": "defb835c4d",
        "post_id": "6",
        "bot_id": "5",
        "page_url": "http://127.0.0.1:8108",
        "ajax_url": "http://127.0.0.1:8108/wp-admin/admin-ajax.php",
        "chat_type": "aipkit",
        "streams": True,
    }


def aipkit_240_config() -> Dict[str, Any]:
    """The chat keys of data-config recorded on a 2.4.0 site whose bot has streaming off."""
    text = (RECORDINGS / "2.4.0-json" / "40-json-page-config.txt").read_text(encoding="utf-8")
    start = text.index("{", text.index("data-config of GET /"))
    config: Dict[str, Any] = json.JSONDecoder().raw_decode(text, start)[0]
    return config


@pytest.mark.parametrize("stream_enabled", [False, True])
def test_aipkit_2_4_0_stream_switch(stream_enabled: bool) -> None:
    config = {**aipkit_240_config(), "streamEnabled": stream_enabled}

    result = extract_page(aipkit_page(aipkit_inline(config, bot_id="8")), "http://127.0.0.1:8118/")

    assert fields(result.chat()) == {
        "generation": "aipkit",
        "nonce": "444a7f7fef",
        "post_id": "9",
        "bot_id": "8",
        "page_url": "http://127.0.0.1:8118",
        "ajax_url": "http://127.0.0.1:8118/wp-admin/admin-ajax.php",
        "chat_type": "aipkit",
        "streams": stream_enabled,
    }


def test_aipkit_2_4_0_recording_says_streaming_off() -> None:
    assert aipkit_240_config()["streamEnabled"] is False


INLINE_CHAT = {
    "generation": "aipkit",
    "nonce": AIPKIT_NONCE,
    "post_id": "7",
    "bot_id": "5",
    "page_url": "https://site.example/chat",
    "ajax_url": AJAX,
    "chat_type": "aipkit",
    "streams": True,
}


@pytest.mark.parametrize("markup", [aipkit_inline, aipkit_popup], ids=["inline", "popup"])
def test_aipkit_inline_and_popup_markup(markup: Any) -> None:
    result = extract_page(aipkit_page(markup(aipkit_config())), URL)

    assert len(result.chats) == 1
    assert fields(result.chat()) == INLINE_CHAT


QUOTED = data_config(aipkit_config())
AIPKIT_QUIRKS = {
    "streamEnabled true (2.3 to 2.4.0)": (aipkit_config(streamEnabled=True), {"streams": True}),
    "streamEnabled false (2.3 to 2.4.0)": (aipkit_config(streamEnabled=False), {"streams": False}),
    "no streamEnabled (2.4.1 on: always streams)": (aipkit_config(), {"streams": True}),
    "postId 0 (not a singular page)": (aipkit_config(postId=0), {"post_id": ""}),
    "no postId": (aipkit_config(postId=ABSENT), {"post_id": ""}),
    "postId as a string": (aipkit_config(postId="12"), {"post_id": "12"}),
    "botId as a string": (aipkit_config(botId="5"), {"bot_id": "5"}),
    "botId only in data-bot-id": (aipkit_config(botId=ABSENT), {"bot_id": "5"}),
    "nonce with spaces around": (
        aipkit_config(nonce=f" {AIPKIT_NONCE}\n"),
        {"nonce": AIPKIT_NONCE},
    ),
    "relative ajaxUrl": (
        aipkit_config(ajaxUrl="/blog/wp-admin/admin-ajax.php"),
        {"ajax_url": "https://site.example/blog/wp-admin/admin-ajax.php"},
    ),
    "ajaxUrl with a query": (
        aipkit_config(ajaxUrl=AJAX + "?lang=en&x=1"),
        {"ajax_url": AJAX + "?lang=en&x=1"},
    ),
    "no ajaxUrl": (aipkit_config(ajaxUrl=ABSENT), {"ajax_url": AJAX}),
    "ajaxUrl not a string": (aipkit_config(ajaxUrl=7), {"ajax_url": AJAX}),
}


@pytest.mark.parametrize(("config", "expected"), AIPKIT_QUIRKS.values(), ids=AIPKIT_QUIRKS.keys())
def test_aipkit_config_quirks(config: Dict[str, Any], expected: Dict[str, object]) -> None:
    result = fields(extract_page(aipkit_page(aipkit_inline(config)), URL).chat())

    assert {name: result[name] for name in expected} == expected


def test_aipkit_without_ajax_url_uses_the_rest_link() -> None:
    head = '<link rel="https://api.w.org/" href="https://site.example/blog/wp-json/" />\n'
    html = aipkit_page(aipkit_inline(aipkit_config(ajaxUrl=ABSENT)), head=head)

    assert tokens(html).ajax_url == "https://site.example/blog/wp-admin/admin-ajax.php"


def test_aipkit_ajax_url_never_leaves_the_page_origin() -> None:
    named, expected = FOREIGN["other host"]
    html = aipkit_page(aipkit_inline(aipkit_config(ajaxUrl=named)))

    assert tokens(html).ajax_url == expected


PLAIN_JSON = json.dumps(aipkit_config())
ESCAPED = {
    "numeric entities": "data-config='"
    + PLAIN_JSON.replace('"', "&#34;").replace("'", "&#39;")
    + "'",
    "hex entities, double quotes": 'data-config="' + PLAIN_JSON.replace('"', "&#x22;") + '"',
    "raw JSON in single quotes": "data-config='" + PLAIN_JSON.replace("'", "&#039;") + "'",
    "&quot; with esc_attr's &#039;": "data-config='"
    + html_lib.escape(PLAIN_JSON).replace("&#x27;", "&#039;")
    + "'",
}


@pytest.mark.parametrize("attribute", ESCAPED.values(), ids=ESCAPED.keys())
def test_aipkit_entity_escaped_config(attribute: str) -> None:
    result = tokens(aipkit_page(aipkit_inline(None, attribute=attribute)))

    assert fields(result) == INLINE_CHAT


def test_aipkit_config_is_unescaped_once() -> None:
    # Entities the JSON itself holds stay as they are: a second unescape would turn this
    # ajaxUrl's "&amp;" into "&", and the name's "&quot;" into quotes that break the JSON.
    config = aipkit_config(ajaxUrl=AJAX + "?a=1&amp;b=2", headerName="Say &quot;hi&quot;")
    attribute = "data-config='" + html_lib.escape(json.dumps(config)) + "'"

    assert tokens(aipkit_page(aipkit_inline(None, attribute=attribute))).ajax_url == (
        AJAX + "?a=1&amp;b=2"
    )


def three_bots() -> str:
    return aipkit_page(
        aipkit_inline(aipkit_config(botId=5, postId=7))
        + "<p>And our sales bot:</p>"
        + aipkit_popup(aipkit_config(botId=9, nonce=OTHER_NONCE), bot_id="9")
        + aipkit_inline(aipkit_config(botId=7, streamEnabled=False), bot_id="7")
    )


def test_several_bots_in_document_order() -> None:
    result = extract_page(three_bots(), URL)

    assert result.bot_ids == ("5", "9", "7")
    assert result.chat().bot_id == "5"
    assert (result.chat(9).bot_id, result.chat(9).nonce) == ("9", OTHER_NONCE)
    assert (result.chat(bot_id=7).bot_id, result.chat(bot_id=7).streams) == ("7", False)


def test_unknown_bot_lists_the_pages_bots() -> None:
    with pytest.raises(BotNotFoundError) as caught:
        extract_page(three_bots(), URL).chat(bot_id=3)

    error = caught.value
    assert (error.bot_id, error.bots, error.missing, error.url) == (3, ["5", "9", "7"], "bot", URL)
    assert str(error) == (
        f"No chat for bot 3 at {URL}: the page offers bot 5, 9, 7; pass one of those as "
        "bot_id, or point the client at the page that shows bot 3."
    )
    assert isinstance(error, ChatPageError)
    assert AIPKIT_NONCE not in str(error)
    assert OTHER_NONCE not in str(error)


def test_wpaicg_page_takes_any_bot_id() -> None:
    result = extract_page(page(chat_element(bot_id="0")), URL)

    assert result.chat(bot_id=42) is result.chat()
    assert result.chat(bot_id=42).bot_id == "0"


def test_aipkit_chats_win_over_a_leftover_wpaicg_element() -> None:
    result = extract_page(aipkit_page(REAL + aipkit_inline(aipkit_config())), URL)

    assert (result.generation, result.chat().nonce) == ("aipkit", AIPKIT_NONCE)


DECOY_BOT = aipkit_inline(aipkit_config(botId=1, nonce=DECOY), bot_id="1")
AIPKIT_DECOYS = {
    "in an HTML comment": f"<!-- {DECOY_BOT} -->",
    "in a script string": f"<script>var tpl = {json.dumps(DECOY_BOT)};</script>",
    "in a JSON script": (
        f'<script type="application/json">{json.dumps({"html": DECOY_BOT})}</script>'
    ),
    "in a template": f'<template id="aipkit-bot-template">{DECOY_BOT}</template>',
    "in a textarea": f"<textarea>{DECOY_BOT}</textarea>",
    "in a noscript": f"<noscript>{DECOY_BOT}</noscript>",
    "class only in CSS": "<style>.aipkit_chat_container{color:red}</style>",
    "longer class name": DECOY_BOT.replace("aipkit_chat_container ", "aipkit_chat_container_x "),
    "broken config in a template": (
        '<template><div class="aipkit_popup_wrapper" data-config="{{config}}"></div></template>'
    ),
    "deep inside a template": f"<template><section><div>{DECOY_BOT}</div></section></template>",
    "deep inside an iframe fallback": f"<iframe><p><span>{DECOY_BOT}</span></p></iframe>",
}


@pytest.mark.parametrize("decoy", AIPKIT_DECOYS.values(), ids=AIPKIT_DECOYS.keys())
def test_aipkit_decoys_are_not_chats(decoy: str) -> None:
    result = extract_page(aipkit_page(decoy + aipkit_inline(aipkit_config())), URL)

    assert (result.bot_ids, result.chat().nonce) == (("5",), AIPKIT_NONCE)


@pytest.mark.parametrize("decoy", AIPKIT_DECOYS.values(), ids=AIPKIT_DECOYS.keys())
def test_aipkit_decoys_alone_give_no_chat(decoy: str) -> None:
    with pytest.raises(ChatPageError) as caught:
        extract_page(aipkit_page(decoy), URL)

    assert not isinstance(caught.value, UnsupportedPluginError)
    assert caught.value.missing == "nonce"
    assert DECOY not in str(caught.value)


# Comments end where a browser ends them, whatever html.parser the Python has (issue 17):
# "{chat}" must be read, "{decoy}" must stay a comment.
BROWSER_COMMENTS = {
    "--!> ends a comment": "<!-- note --!>{chat}<!-- later -->",
    "--!> ends a multi-line comment": "<!--\n{decoy}\n--!>{chat}<!-- later -->",
    "<!--> is a whole empty comment": "<!-->{chat}<!-- later -->",
    "<!---> is a whole empty comment": "<!--->{chat}<!-- later -->",
    "IE conditional comments": "<!--[if !IE]><!-->{chat}<!--<![endif]-->",
    "-- > does not end a comment": "<!-- note -- > {decoy} -->{chat}",
    "--\n> does not end a comment": "<!-- note --\n> {decoy} -->{chat}",
    "<!--!> does not end a comment": "<!--!> {decoy} -->{chat}",
    "<!---!> does not end a comment": "<!---!> {decoy} -->{chat}",
    "'--!>' and '-- >' in an attribute value": '<p title="a --!> b -- > c">{chat}</p>',
}


@pytest.mark.parametrize("body", BROWSER_COMMENTS.values(), ids=BROWSER_COMMENTS.keys())
def test_comments_end_where_browsers_end_them(body: str) -> None:
    old = tokens(page(body.format(chat=REAL, decoy=chat_element(nonce=DECOY, post_id="1"))))
    assert (old.nonce, old.post_id) == (NONCE, "7")

    current = extract_page(
        aipkit_page(body.format(chat=aipkit_inline(aipkit_config()), decoy=DECOY_BOT)), URL
    )
    assert (current.bot_ids, current.chat().nonce) == (("5",), AIPKIT_NONCE)


AIPKIT_BROKEN = {
    "inline container without data-config": (
        '<div class="aipkit_chat_container" id="aipkit_chat_container_5" data-bot-id="5"></div>',
        "data-config",
        "the AIPKit chat element div.aipkit_chat_container#aipkit_chat_container_5 has no "
        "data-config",
    ),
    "popup wrapper without data-config": (
        aipkit_popup(None, attribute='data-popup-delay="0"'),
        "data-config",
        "the AIPKit chat element div.aipkit_popup_wrapper#aipkit_popup_wrapper_5 has no "
        "data-config",
    ),
    "empty data-config": (
        aipkit_inline(None, attribute="data-config=''"),
        "data-config",
        "has no data-config",
    ),
    "truncated JSON": (
        aipkit_inline(None, attribute=f"data-config='{QUOTED[:-40]}'"),
        "data-config",
        "div.aipkit_chat_container#aipkit_chat_container_5 is not JSON (",
    ),
    "escaped twice by a cache plugin": (
        aipkit_inline(None, attribute=f"data-config='{QUOTED.replace('&', '&amp;')}'"),
        "data-config",
        "is not JSON (",
    ),
    "a JSON array": (
        aipkit_inline(None, attribute="data-config='[5]'"),
        "data-config",
        "div.aipkit_chat_container#aipkit_chat_container_5 is not a JSON object",
    ),
    "no bot anywhere": (
        aipkit_inline(aipkit_config(botId=ABSENT)).replace(' data-bot-id="5"', ""),
        "botId",
        "names no bot (botId, data-bot-id)",
    ),
    "botId 0": (
        aipkit_inline(aipkit_config(botId=0), bot_id="0"),
        "botId",
        "names no bot",
    ),
    "one good bot, one broken": (
        aipkit_inline(aipkit_config()) + aipkit_inline(None, bot_id="6", attribute=""),
        "data-config",
        "div.aipkit_chat_container#aipkit_chat_container_6 has no data-config",
    ),
}


@pytest.mark.parametrize(
    ("body", "missing", "problem"), AIPKIT_BROKEN.values(), ids=AIPKIT_BROKEN.keys()
)
def test_aipkit_element_without_a_usable_config(body: str, missing: str, problem: str) -> None:
    with pytest.raises(UnsupportedPluginError) as caught:
        extract_page(aipkit_page(body), URL)

    error = caught.value
    assert (error.missing, error.url) == (missing, URL)
    assert str(error).startswith(f"Unsupported chat at {URL}: ")
    assert problem in str(error)
    assert str(error).endswith(
        ", and this client reads the bot, nonce and ajax URL from it; check that no cache or "
        "optimisation plugin rewrites the page's data attributes, or update chatgpt4o if the "
        "plugin changed its markup."
    )
    assert AIPKIT_NONCE not in str(error)
    assert isinstance(error, ChatPageError)


@pytest.mark.parametrize(
    ("nonce", "problem"),
    [
        ("{{nonce}}", "is not a WordPress nonce"),
        ("12345", "is not a WordPress nonce"),
        ("x" * 10, "is not a WordPress nonce"),
        ("0a1b2c3d4e" * 4, "is not a WordPress nonce"),
        ("<?php echo $nonce ?>", "is not a WordPress nonce"),
        ("", "is missing or empty"),
        (ABSENT, "is missing or empty"),
        (1234567890, "is missing or empty"),
    ],
)
def test_aipkit_nonce_must_look_like_a_wordpress_nonce(nonce: object, problem: str) -> None:
    html = aipkit_page(aipkit_inline(aipkit_config(nonce=nonce)))

    with pytest.raises(ChatPageError) as caught:
        extract_page(html, URL)

    error = caught.value
    assert not isinstance(error, UnsupportedPluginError)
    assert error.missing == "nonce"
    assert f"No nonce found at {URL}: the data-config nonce of AIPKit bot 5 {problem}" in str(error)
    if isinstance(nonce, str) and nonce:
        assert nonce not in str(error)


# --- any spelling of the same element ---------------------------------------------------------

WHITESPACE = st.sampled_from([" ", "\n     ", "\t", "  \n"])
ASSIGN = st.sampled_from(["=", " = ", "= ", "\n=\n"])


def _attribute(name: str, value: str, quote: str, assign: str) -> str:
    if quote == "" and (value == "" or any(c in value for c in " \"'=>`")):
        quote = '"'
    return f"{name}{assign}{quote}{value}{quote}"


# Timing varies on loaded CI machines; the assertions are what matter here.
@settings(deadline=None)
@given(
    order=st.permutations(range(5)),
    quotes=st.lists(st.sampled_from(['"', "'", ""]), min_size=5, max_size=5),
    assigns=st.lists(ASSIGN, min_size=5, max_size=5),
    spaces=st.lists(WHITESPACE, min_size=5, max_size=5),
    nonce=st.from_regex(r"[0-9a-f]{10}", fullmatch=True),
    post_id=st.integers(min_value=0, max_value=10**6),
    widget_bug=st.booleans(),
)
def test_any_attribute_order_quoting_and_spacing(
    order: list[int],
    quotes: list[str],
    assigns: list[str],
    spaces: list[str],
    nonce: str,
    post_id: int,
    widget_bug: bool,
) -> None:
    values = [
        ("class", "wpaicg-chatbox" if widget_bug else "wpaicg-chat-shortcode"),
        ("data-nonce", nonce),
        ("data-post-id", f"<{post_id}" if widget_bug else str(post_id)),
        ("data-ai-name", "A > B"),
        ("data-bot-id", "0"),
    ]
    attrs = "".join(
        spaces[i] + _attribute(*values[index], quotes[i], assigns[i])
        for i, index in enumerate(order)
    )
    img_nonce = f'<input type="hidden" id="wpaicg-img-nonce" value="{DECOY}">'
    html = page(f'<div class="wpaicg_chat_widget"><div{attrs}>\n{img_nonce}</div></div>')

    result = tokens(html)

    assert (result.nonce, result.post_id) == (nonce, str(post_id))
    assert result.chat_type == ("widget" if widget_bug else "shortcode")
