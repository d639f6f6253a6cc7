"""Properties: whatever a site sends, page extraction and reply interpretation either succeed
with a usable result or raise a ``Chatgpt4oError``, never anything else.

(The SSE decoder's split invariance is covered in tests/test_streaming.py.)
"""

from __future__ import annotations

import html
import json
import math
import re
from typing import Optional
from urllib.parse import urlsplit

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from chatgpt4o import Chatgpt4oError
from chatgpt4o._exceptions import ChatPageError, UnsupportedPluginError
from chatgpt4o._page import Page, extract_page
from chatgpt4o._tokens import read_page
from chatgpt4o._wire import Reply, parse_retry_after
from chatgpt4o._wire import Reply as HttpReply
from chatgpt4o._wpaicg import interpret_reply

# Derandomized: the same examples every run, so a failure reproduces and a pass stays a pass.
EXAMPLES = settings(max_examples=200, deadline=None, derandomize=True, database=None)
NONCE = re.compile(r"[0-9a-fA-F]{6,32}")
PAGE_URLS = (
    "http://127.0.0.1:8080/",
    "https://chatgpt4o.one/",
    "https://example.org/blog/chat/",
    "http://localhost/?p=4",
)

# -- pages -------------------------------------------------------------------------------------

_CONFIG = {"botId": 5, "ajaxUrl": "https://example.org/wp-admin/admin-ajax.php"}
_configs = [
    html.escape(json.dumps({**_CONFIG, "nonce": "3f9c2a7b1e", "postId": 4})),
    html.escape(json.dumps({**_CONFIG, "nonce": "3f9c2a7b1e", "streamEnabled": False})),
    html.escape(json.dumps({"botId": "7", "nonce": "14004b0807", "ajaxUrl": "//evil.example/x"})),
    html.escape(json.dumps({"nonce": "{{nonce}}", "botId": 0})),
    "{&quot;botId&quot;:5,&quot;nonce&quot;:&quot;3f9c",
    "[]",
]
_attr_values = st.one_of(
    st.sampled_from(
        [
            "3f9c2a7b1e",
            "14004b0807",
            "<123",
            "0",
            "",
            "XYZ",
            "https://example.org/wp-admin/admin-ajax.php",
            "http://[oops/",
            "//evil.example/x",
            "&#34;",
            "1",
            *_configs,
        ]
    ),
    st.text(max_size=12),
)
_attr_names = st.sampled_from(
    [
        "class",
        "data-nonce",
        "data-post-id",
        "data-url",
        "data-bot-id",
        "data-openai_stream_nav",
        "data-type",
        "id",
        "value",
        "rel",
        "href",
        "data-config",
        "data-config",  # twice: drawn more often
    ]
)
_classes = st.sampled_from(
    [
        "wpaicg-chat-shortcode",
        "wpaicg-chatbox",
        "wpaicg_chat_widget",
        "aipkit_chat_container",
        "aipkit_popup_wrapper",
        "aipkit_chat_container aipkit-theme-custom",
        "wpaicg-chat-shortcode wpaicg-chatbox",
        "other",
    ]
)


@st.composite
def _start_tags(draw: st.DrawFn) -> str:
    name = draw(st.sampled_from(["div", "input", "link", "span", "DIV"]))
    parts = [f'class="{draw(_classes)}"'] if draw(st.booleans()) else []
    for _ in range(draw(st.integers(0, 6))):
        attr, value = draw(_attr_names), draw(_attr_values)
        quote = draw(st.sampled_from(['"', "'", ""]))
        spaces = draw(st.sampled_from(["", " ", "\n     "]))
        parts.append(f"{attr}{spaces}={spaces}{quote}{value}{quote}")
    end = draw(st.sampled_from([">", "\n>", "/>", ""]))
    separator = draw(st.sampled_from([" ", "\n     "]))
    return f"<{name} " + separator.join(parts) + end


_js_values = st.one_of(
    st.sampled_from(
        [
            "https:\\/\\/example.org\\/wp-admin\\/admin-ajax.php",
            "\\/rizq",
            "http://[oops/",
            "https://evil.example/steal",
            "3f9c2a7b1e",
            "\\u0041\\x41\\",
        ]
    ),
    st.text(max_size=12),
)


@st.composite
def _scripts(draw: st.DrawFn) -> str:
    key = draw(st.sampled_from(["ajax_url", "search_nonce", "other"]))
    value = draw(_js_values)
    if draw(st.booleans()):
        body = f'var wpaicgParams = {{"{key}":"{value}","search_nonce":"{draw(_js_values)}"}};'
    else:
        body = f"var wpaicg_ajax_url = '{value}';"
    close = draw(st.sampled_from(["</script>", ""]))
    return f"<script id='wpaicg-init-js-extra'>{body}{close}"


_fragments = st.one_of(
    _start_tags(),
    _scripts(),
    st.sampled_from(
        [
            "</div>",
            "<!--",
            "-->",
            "<script>",
            "</script>",
            "<textarea>",
            "<template>",
            "</template>",
            "<title>Just a moment...</title>",
            '<div id="cf-please-wait">',
            "/cdn-cgi/challenge-platform/h/b/orchestrate/jsch/v1",
            '<link rel="https://api.w.org/" href="http://[bad/wp-json/">',
            '<link rel="https://api.w.org/" href="https://example.org/blog/wp-json/">',
            "<",
            ">",
            '"',
            "'",
            "=",
        ]
    ),
    st.text(max_size=30),
)
# A usable chat element somewhere among the fragments, so that a good share of pages succeed.
_GOOD_CHATS = [
    '<div class="wpaicg-chat-shortcode" data-nonce="3f9c2a7b1e" data-post-id="4">',
    "<div class='wpaicg-chatbox' data-nonce=14004b0807 data-post-id='<12'>",
    f'<div class="aipkit_chat_container" data-config="{_configs[0]}">',
    f"<div class='aipkit_popup_wrapper' data-config='{_configs[1]}'>"
    "<div class=aipkit_chat_container>",
]
_pages_with_a_chat = st.tuples(
    st.lists(_fragments, max_size=4), st.sampled_from(_GOOD_CHATS), st.lists(_fragments, max_size=6)
).map(lambda parts: "".join(parts[0]) + parts[1] + "".join(parts[2]))
pages = st.one_of(
    st.text(max_size=300),
    st.lists(_fragments, max_size=12).map("".join),
    _pages_with_a_chat,
    _pages_with_a_chat,
)
link_headers = st.one_of(
    st.none(),
    st.text(max_size=40),
    st.sampled_from(
        [
            '<https://example.org/blog/wp-json/>; rel="https://api.w.org/"',
            '<http://[x/wp-json/>; rel="https://api.w.org/"',
            '</wp-json/>; rel=https://api.w.org/, <x>; rel="alternate"',
            '<https://evil.example/wp-json/>; rel="https://api.w.org/"',
        ]
    ),
)


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme, parts.netloc


def assert_usable(page: Page, url: str) -> None:
    assert isinstance(page, Page)
    assert page.chats
    assert page.chat() is page.chats[0]
    for chat in page.chats:
        assert chat.generation == page.generation
        assert NONCE.fullmatch(chat.nonce)
        assert chat.post_id == "" or (chat.post_id.isdigit() and chat.post_id != "0")
        assert chat.bot_id.isdigit()
        assert chat.chat_type in (
            ("shortcode", "widget") if chat.generation == "wpaicg" else ("aipkit",)
        )
        # The nonce and the prompt are only ever sent to the page's own origin.
        assert _origin(chat.ajax_url) == _origin(url)


LEGACY_BAD_AJAX_URL = (
    '<div class="wpaicg-chat-shortcode" data-nonce="3f9c2a7b1e"></div>'
    "<script>var wpaicg_ajax_url = 'http://[oops/';</script>"
)
AIPKIT_BAD_AJAX_URL = (
    '<div class="aipkit_chat_container" data-config="'
    + html.escape(json.dumps({"botId": 5, "nonce": "3f9c2a7b1e", "ajaxUrl": "http://[oops/"}))
    + '"></div>'
)


@EXAMPLES
@example(html=LEGACY_BAD_AJAX_URL, url=PAGE_URLS[0], link=None)
@example(html=AIPKIT_BAD_AJAX_URL, url=PAGE_URLS[1], link=None)
@given(html=pages, url=st.sampled_from(PAGE_URLS), link=link_headers)
def test_extract_page_returns_usable_chats_or_a_typed_error(
    html: str, url: str, link: Optional[str]
) -> None:
    try:
        page = extract_page(html, url, link_header=link)
    except Chatgpt4oError:
        return
    assert_usable(page, url)


BAD_REST_LINK = '<http://[x/wp-json/>; rel="https://api.w.org/"'


@EXAMPLES
@example(prefix="", nonce="3f9c2a7b1e", ajax="http://[oops/", link=None)
@example(prefix="", nonce="3f9c2a7b1e", ajax="", link=BAD_REST_LINK)
@given(
    prefix=st.text(max_size=40),
    nonce=st.sampled_from(["3f9c2a7b1e", "14004b0807", "ABCDEF012345"]),
    ajax=_js_values,
    link=link_headers,
)
def test_a_page_with_a_chat_element_gives_its_nonce_or_a_typed_error(
    prefix: str, nonce: str, ajax: str, link: Optional[str]
) -> None:
    html = (
        f'{prefix}<div class="wpaicg-chat-shortcode" data-nonce="{nonce}" data-post-id="4">'
        f'</div><script>var wpaicgParams = {{"ajax_url":"{ajax}"}};</script>'
    )
    url = "https://example.org/chat/"
    try:
        page = extract_page(html, url, link_header=link)
    except Chatgpt4oError:
        return
    assert_usable(page, url)
    assert page.chat().nonce == nonce


_GOOD_NONCES = ("3f9c2a7b1e", "14004b0807", "ABCDEF012345")
_ids = st.one_of(st.integers(-2, 10**6), st.integers(0, 99).map(str), st.none(), st.booleans())
_aipkit_configs = st.fixed_dictionaries(
    {
        "botId": st.one_of(st.integers(1, 10**6), st.integers(1, 99).map(str)),
        # Mostly good, so that most pages reach the success branch.
        "nonce": st.sampled_from(
            [*_GOOD_NONCES * 3, " 3f9c2a7b1e ", "", "{{nonce}}", "12345", 1234567890]
        ),
    },
    optional={
        "ajaxUrl": st.one_of(
            st.sampled_from(
                [
                    "https://example.org/wp-admin/admin-ajax.php",
                    "/blog/wp-admin/admin-ajax.php",
                    "https://evil.example/wp-admin/admin-ajax.php",
                    "//evil.example/x",
                    "http://[oops/",
                    "https://example.org/wp-admin/admin-ajax.php?a=1&b=<2>",
                ]
            ),
            st.text(max_size=12),
        ),
        "postId": _ids,
        "streamEnabled": st.one_of(st.booleans(), st.none(), st.sampled_from([0, 1, "0", ""])),
        "text": st.dictionaries(st.text(max_size=6), st.text(max_size=12), max_size=3),
    },
)
# How the attribute reaches the page: as the plugin writes it (JSON_HEX_* inside, esc_attr in
# single quotes), with other entity spellings, or mangled on the way.
_MANGLED = ("cut", "escaped twice")
_spellings = st.sampled_from(["plugin", "plugin", "plugin", "numeric", "double quotes", *_MANGLED])


def _data_config(config: dict[str, object], spelling: str) -> str:
    text = json.dumps(config).replace("/", "\\/")
    for char, escape in (("<", "\\u003C"), (">", "\\u003E"), ("&", "\\u0026"), ("'", "\\u0027")):
        text = text.replace(char, escape)
    if spelling == "numeric":
        return "data-config='" + text.replace('"', "&#34;") + "'"
    if spelling == "double quotes":
        return 'data-config="' + text.replace('"', "&#x22;") + '"'
    quoted = text.replace('"', "&quot;")
    if spelling == "cut":
        quoted = quoted[: len(quoted) // 2]
    elif spelling == "escaped twice":
        quoted = quoted.replace("&", "&amp;")
    return f"data-config='{quoted}'"


def _aipkit_elements(configs: list[tuple[dict[str, object], str, bool]]) -> str:
    elements = []
    for config, spelling, popup in configs:
        attribute = _data_config(config, spelling)
        if popup:
            elements.append(
                f'<div class="aipkit_popup_wrapper" {attribute}>'
                '<div class="aipkit_chat_container"></div></div>'
            )
        else:
            elements.append(f'<div class="aipkit_chat_container" {attribute}></div>')
    return "".join(elements)


def _usable_nonce(config: dict[str, object]) -> bool:
    nonce = config["nonce"]
    return isinstance(nonce, str) and NONCE.fullmatch(nonce.strip()) is not None


_aipkit_bots = st.lists(
    st.tuples(_aipkit_configs, _spellings, st.booleans()), min_size=1, max_size=3
)


@EXAMPLES
@given(configs=_aipkit_bots, url=st.sampled_from(PAGE_URLS))
def test_an_aipkit_page_gives_every_bot_or_the_first_bots_error(
    configs: list[tuple[dict[str, object], str, bool]], url: str
) -> None:
    html = f"<html><body><p>Chat:</p>{_aipkit_elements(configs)}</body></html>"
    # The elements are read in document order; the first unusable one decides the error.
    for config, spelling, _ in configs:
        if spelling in _MANGLED:
            with pytest.raises(UnsupportedPluginError):
                extract_page(html, url)
            return
        if not _usable_nonce(config):
            with pytest.raises(ChatPageError, match="nonce of AIPKit bot"):
                extract_page(html, url)
            return
    page = extract_page(html, url)
    assert_usable(page, url)
    assert page.generation == "aipkit"
    assert len(page.chats) == len(configs)
    for chat, (config, _, _) in zip(page.chats, configs):
        assert (chat.nonce, chat.bot_id) == (str(config["nonce"]).strip(), str(config["botId"]))
        assert chat.streams == bool(config.get("streamEnabled", True))
        assert page.chat(int(chat.bot_id)).bot_id == chat.bot_id


@EXAMPLES
@given(
    configs=_aipkit_bots,
    prefix=st.one_of(
        st.sampled_from(["", "<p>Hi</p>", "<!-- note -->", "<!--", "<template>", "<textarea>"]),
        st.text(max_size=20),
    ),
    url=st.sampled_from(PAGE_URLS),
)
def test_an_aipkit_page_after_anything_gives_usable_bots_or_a_typed_error(
    configs: list[tuple[dict[str, object], str, bool]], prefix: str, url: str
) -> None:
    html = f"<html><body>{prefix}{_aipkit_elements(configs)}</body></html>"
    try:
        page = extract_page(html, url)
    except Chatgpt4oError:
        return
    assert_usable(page, url)


# -- replies -----------------------------------------------------------------------------------

_json_values = st.recursive(
    st.one_of(
        st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=20)
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.text(max_size=8), children, max_size=4),
    ),
    max_leaves=12,
)
_payloads = st.fixed_dictionaries(
    {},
    optional={
        "status": st.sampled_from(["success", "error", "", None, 1]),
        "msg": st.one_of(
            st.text(max_size=30),
            st.sampled_from(
                [
                    "Nonce verification failed",
                    "You have reached your token limit.",
                    "Your message contains prohibited words.",
                ]
            ),
        ),
        "data": st.one_of(st.text(max_size=30), _json_values),
        "tokenLimitReached": st.booleans(),
        "ipBanned": st.booleans(),
        "messageFlagged": st.booleans(),
        "modflag": st.booleans(),
        "pineconeError": st.booleans(),
        "log": st.booleans(),
    },
)
_chunks = st.builds(
    lambda text, finish, keyed: json.dumps(
        {
            **({"id": "chatcmpl-1", "object": "chat.completion.chunk"} if keyed else {}),
            "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": finish}],
        }
    ),
    st.text(max_size=10),
    st.sampled_from([None, "stop", "length"]),
    st.booleans(),
)
_sse_lines = st.one_of(
    _chunks.map(lambda chunk: f"data: {chunk}\n\n"),
    _payloads.map(lambda payload: f"data: {json.dumps(payload)}\n\n"),
    _payloads.map(json.dumps),
    st.sampled_from(
        [
            "data: [DONE]\n\n",
            "data: [LIMITED]\n\n",
            "event: message\n",
            ": keep-alive\n\n",
            'data: {"choices":[{"delta":{"content":"a "b"}}]}\n\n',
            "data: {\n\n",
            "\n",
            "\r\n",
        ]
    ),
    st.text(max_size=20),
)
_json_bodies = st.one_of(
    _payloads.map(json.dumps),
    _json_values.map(json.dumps),
).flatmap(
    lambda text: st.one_of(
        st.just(text),
        st.sampled_from(["<br />\n<b>Warning</b>: x in y on line 1<br />\n", "0", " "]).map(
            lambda prefix: prefix + text
        ),
        st.integers(0, max(0, len(text) - 1)).map(lambda cut: text[:cut]),
    )
)
bodies = st.one_of(
    st.binary(max_size=200),
    _json_bodies.map(str.encode),
    st.lists(_sse_lines, max_size=8).map("".join).map(str.encode),
    st.sampled_from(
        [
            b"0",
            b"",
            b"<html><title>Just a moment...</title></html>",
            b"<html><body>The link you followed has expired.</body></html>",
        ]
    ),
)
_header_values = st.one_of(
    st.sampled_from(
        [
            "application/json; charset=UTF-8",
            "text/html; charset=UTF-8",
            "text/event-stream;charset=UTF-8",
            "text/event-streamx",
            "challenge",
            "3",
            "-1",
            "1e400",
            "nan",
            "Wed, 21 Oct 2015 07:28:00 GMT",
            "Fri, 31 Dec 9999 23:59:59 GMT",
            "Mon, 01 Jan 0001 00:00:00 -2359",
            "cloudflare",
            '<https://example.org/wp-json/>; rel="https://api.w.org/"',
            '<http://[x/wp-json/>; rel="https://api.w.org/"',
        ]
    ),
    st.text(max_size=30),
)
headers = st.dictionaries(
    st.sampled_from(["content-type", "retry-after", "cf-mitigated", "server", "link", "x-other"]),
    _header_values,
    max_size=4,
)
statuses = st.one_of(
    st.sampled_from([200, 200, 200, 400, 403, 408, 429, 500, 502, 503, 504, 520]),
    st.integers(100, 599),
)


@EXAMPLES
@given(status=statuses, headers=headers, body=bodies, now=st.floats(0, 4e9))
def test_interpret_reply_returns_text_or_a_typed_error(
    status: int, headers: dict[str, str], body: bytes, now: float
) -> None:
    reply = HttpReply(status, headers, body, "https://example.org/wp-admin/admin-ajax.php", now=now)
    try:
        text = interpret_reply(reply)
    except Chatgpt4oError:
        return
    assert isinstance(text, str)
    assert text != ""  # a call never returns an empty string as success


@EXAMPLES
@given(status=statuses, headers=headers, body=st.one_of(bodies, pages.map(str.encode)))
def test_read_page_returns_usable_chats_or_a_typed_error(
    status: int, headers: dict[str, str], body: bytes
) -> None:
    url = "https://example.org/chat"
    try:
        page = read_page(Reply(status, headers, body, url))
    except Chatgpt4oError:
        return
    assert_usable(page, url)


@EXAMPLES
@given(pieces=st.lists(st.text(max_size=12), max_size=8), end=st.sampled_from(["[DONE]", "stop"]))
def test_a_well_formed_stream_interprets_to_its_pieces_joined(pieces: list[str], end: str) -> None:
    events = [
        {
            "id": "chatcmpl-1",
            "object": "chat.completion.chunk",
            "choices": [{"delta": {"content": p}}],
        }
        for p in pieces
    ]
    body = "".join(f"data: {json.dumps(event)}\n\n" for event in events)
    if end == "[DONE]":
        body += "data: [DONE]\n\n"
    else:
        last = {
            "id": "chatcmpl-1",
            "object": "c",
            "choices": [{"delta": {}, "finish_reason": "stop"}],
        }
        body += f"data: {json.dumps(last)}\n\n"
    reply = HttpReply(200, {"content-type": "text/event-stream"}, body.encode(), "https://x/")
    text = "".join(pieces)
    try:
        assert interpret_reply(reply) == text
    except Chatgpt4oError:
        assert not text.strip()  # only an empty reply is refused


@EXAMPLES
@given(value=st.one_of(st.none(), st.text(max_size=40), _header_values), now=st.floats(0, 4e9))
def test_retry_after_is_none_or_a_non_negative_number(value: Optional[str], now: float) -> None:
    seconds = parse_retry_after(value, now=now)
    assert seconds is None or (isinstance(seconds, float) and seconds >= 0)
    assert seconds is None or not math.isnan(seconds)
