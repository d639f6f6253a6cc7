"""Properties: whatever a site sends, page extraction and reply interpretation either succeed
with a usable result or raise a ``Chatgpt4oError``, never anything else.

Each strategy mixes input built from valid pieces (the plugin eras' markup, the old plugin's
replies) with mangled and arbitrary input, so that both branches of each property are tested;
``keeps_both_branches`` fails a property whose examples stop reaching one of them. Run with
``--hypothesis-show-statistics`` to see each property's shares.

(The SSE decoder's split invariance is covered in tests/test_streaming.py.)
"""

from __future__ import annotations

import email.utils
import functools
import html
import json
import math
import re
from collections import Counter
from pathlib import Path
from typing import Callable, Optional
from urllib.parse import urlsplit

import pytest
from hypothesis import event, example, given, settings
from hypothesis import strategies as st

from chatgpt4o import Chatgpt4oError
from chatgpt4o._exceptions import ChatPageError, UnsupportedPluginError
from chatgpt4o._http import Reply, parse_retry_after
from chatgpt4o._http import Reply as HttpReply
from chatgpt4o._nonce_cache import read_page
from chatgpt4o._page import Page, extract_page
from chatgpt4o._wpaicg import interpret_reply

NONCE = re.compile(r"[0-9a-fA-F]{6,32}")
PAGE_URLS = (
    "http://127.0.0.1:8080/",
    "https://chatgpt4o.one/",
    "https://example.org/blog/chat/",
    "http://localhost/?p=4",
)
TESTS = Path(__file__).resolve().parent.parent

# -- both branches -----------------------------------------------------------------------------

# A property whose examples nearly all take one branch tests only that one. Both branches must
# keep at least this share of a property's examples (today each has a third or more).
MIN_SHARE = 0.15
_branches: Counter[str] = Counter()


def took(branch: str) -> None:
    """Note the branch an example took (``"success"`` or ``"error: <type>"``): shown by
    ``--hypothesis-show-statistics`` and counted for ``keeps_both_branches``."""
    event(branch)
    _branches[branch] += 1


def keeps_both_branches(test: Callable[..., None]) -> Callable[..., None]:
    """Run the property, then fail if its success or its other branches got under MIN_SHARE.

    The examples are derandomized (tests/conftest.py), so the counts are the same on every run.
    """

    @functools.wraps(test)
    def run(*args: object, **kwargs: object) -> None:
        _branches.clear()
        test(*args, **kwargs)
        total = sum(_branches.values())
        success = _branches["success"]
        seen = ", ".join(f"{branch}: {count}" for branch, count in _branches.most_common())
        assert success >= MIN_SHARE * total, (
            f"only {success} of {total} examples reach the success branch ({seen}); "
            "bias the strategies toward valid input"
        )
        assert total - success >= MIN_SHARE * total, (
            f"only {total - success} of {total} examples reach an error branch ({seen}); "
            "mix invalid input back into the strategies"
        )

    return run


def _php_json(value: object) -> str:
    """JSON as PHP's json_encode() prints it: compact, with ``/`` and non-ASCII escaped."""
    return json.dumps(value, separators=(",", ":")).replace("/", "\\/")


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

_GOOD_NONCES = ("3f9c2a7b1e", "14004b0807", "ABCDEF012345")
_SHORTCODE_CLASS = "wpaicg-chat-shortcode"
_SITES = ("https://example.org", "http://127.0.0.1:8080", "https://example.org/blog")
_CHAT_BODY = (
    '<div class="wpaicg-chat-shortcode-content"><ul class="wpaicg-chat-shortcode-messages">'
    '<li class="wpaicg-ai-message"><strong>AI:</strong> Hello, how can I help you today?</li>'
    '</ul></div><textarea class="wpaicg-chat-shortcode-typing" placeholder="Type a message">'
    "</textarea>"
)
_IMG_DECOY = '<input type="hidden" id="wpaicg-img-nonce" value="aaaaaaaaaa" />'
_COMMENT_DECOY = '<!-- <div class="wpaicg-chat-shortcode" data-nonce="bbbbbbbbbb"></div> -->'


def _html_attr(name: str, value: str, *, minified: bool, spaced: bool) -> str:
    if minified and value and not any(char in value for char in " \t\n\"'=<>`"):
        text = value
    else:
        text = '"' + value.replace("&", "&amp;").replace('"', "&quot;") + '"'
    return f"{name} = {text}" if spaced else f"{name}={text}"


@st.composite
def _wpaicg_pages(draw: st.DrawFn) -> str:
    """A page of an old-plugin era as the plugin prints it (chatgpt4o/testing/_pages.py models
    the real ones): 1.7's ``wpaicg_ajax_url`` script, 1.8's ``wpaicgParams``, 1.9's spaced
    attributes, the widget's ``data-post-id="<123"``; minified or not; decoy nonces; then up to
    three fragments inserted between its parts, which may hide or break the chat."""
    era = draw(st.sampled_from(["1.7", "1.8", "1.9", "widget"]))
    site, nonce = draw(st.sampled_from(_SITES)), draw(st.sampled_from(_GOOD_NONCES))
    post_id, minified = draw(st.integers(1, 10**5)), draw(st.booleans())
    ajax_url = f"{site}/wp-admin/admin-ajax.php"
    attrs = [
        ("data-ai-name", "AI"),
        ("data-nonce", nonce),
        ("data-post-id", f"<{post_id}" if era == "widget" else str(post_id)),
        ("data-url", site),
        ("data-bot-id", "0"),
        ("data-width", "100%"),
        ("data-typewriter-effect", ""),
        ("data-openai_stream_nav", draw(st.sampled_from(["0", "1"]))),
        ("data-type", "widget" if era == "widget" else "shortcode"),
    ]
    spaced = ("data-typewriter-effect", "data-width") if era == "1.9" else ()
    css = "wpaicg-chatbox wpaicg-chat-widget-no-footer" if era == "widget" else _SHORTCODE_CLASS
    opening = ("" if minified else "\n     ").join(
        [
            "<div " + _html_attr("class", css, minified=minified, spaced=False),
            *(
                (" " if minified else "")
                + _html_attr(name, value, minified=minified, spaced=name in spaced)
                for name, value in attrs
            ),
        ]
    )
    chat = opening + ">" + _CHAT_BODY + ("" if era == "1.7" else _IMG_DECOY) + "</div>"
    if era == "widget":
        chat = (
            '<div class="wpaicg_chat_widget wpaicg_widget_right">'
            f'<div class="wpaicg_chat_widget_content">{chat}</div></div>'
        )
    head = "<!doctype html><html lang='en-US'><head><title>Chat</title>"
    if era == "1.7":
        head += f"<script>\n    var wpaicg_ajax_url = '{ajax_url}';\n</script>\n"
    head += f'<link rel="https://api.w.org/" href="{site}/wp-json/" /></head><body>'
    tail = "</body></html>"
    if era != "1.7":
        params = _php_json({"ajax_url": ajax_url, "search_nonce": nonce, "logged_in": "0"})
        tail = f"<script id='wpaicg-init-js-extra'>\nvar wpaicgParams = {params};\n</script>" + tail
    parts = [head, _COMMENT_DECOY, chat, tail]
    for _ in range(draw(st.integers(0, 3))):
        parts.insert(draw(st.integers(0, len(parts))), draw(_fragments))
    return "".join(parts)


# Pages recorded from real sites: AI Power 1.8.79's front page, AI Puffer 2.4.71's.
_RECORDED_PAGES = (
    (TESTS / "aipower-1.8.79-front-page.html").read_text("utf-8"),
    (TESTS / "fixtures" / "aipkit" / "2.4.71" / "front-page.html").read_text("utf-8"),
)


@st.composite
def _recorded_pages(draw: st.DrawFn) -> str:
    """A recorded page with up to two fragments inserted anywhere (in a tag, a script...)."""
    page = draw(st.sampled_from(_RECORDED_PAGES))
    for _ in range(draw(st.integers(0, 2))):
        at = draw(st.integers(0, len(page)))
        page = page[:at] + draw(_fragments) + page[at:]
    return page


# Pages that carry a chat, built from valid pieces (and maybe spoilt by the fragments added).
chat_pages = st.one_of(_pages_with_a_chat, _wpaicg_pages(), _recorded_pages())
pages = st.one_of(
    st.text(max_size=300),
    st.lists(_fragments, max_size=12).map("".join),
    chat_pages,
    chat_pages,
)
link_headers = st.one_of(
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
# Bots as the plugin prints them with a usable nonce: whether the page is usable is then up to
# what comes before them.
_usable_aipkit_bots = st.lists(
    st.tuples(_aipkit_configs.filter(_usable_nonce), st.just("plugin"), st.booleans()),
    min_size=1,
    max_size=3,
)


@keeps_both_branches
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
            took("error: UnsupportedPluginError")
            return
        if not _usable_nonce(config):
            with pytest.raises(ChatPageError, match="nonce of AIPKit bot"):
                extract_page(html, url)
            took("error: ChatPageError")
            return
    page = extract_page(html, url)
    took("success")
    assert_usable(page, url)
    assert page.generation == "aipkit"
    assert len(page.chats) == len(configs)
    for chat, (config, _, _) in zip(page.chats, configs):
        assert (chat.nonce, chat.bot_id) == (str(config["nonce"]).strip(), str(config["botId"]))
        assert chat.streams == bool(config.get("streamEnabled", True))
        assert page.chat(int(chat.bot_id)).bot_id == chat.bot_id


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


# Valid replies of the old plugin: the JSON success object (PHP warnings before it, in some
# setups) and the SSE streams of each era, as chatgpt4o/testing/_replies.py has them.
PHP_WARNING = "<br />\n<b>Warning</b>: Undefined array key in /var/www/x.php on line 1<br />\n"
_reply_texts = st.one_of(
    st.sampled_from(
        [
            "Echo: Hello",
            "Hello! How can I help you today?",
            'A <b>bold</b> & "quoted" reply: a/b\\c',
            "Ünïcödé ✓ 😀",
            "line one\nline two",
        ]
    ),
    st.text(max_size=20).map(lambda text: "Echo: " + text),
)
_BLANK_TEXTS = ("", " ", "\n", "\t \u2003")
_REFUSALS = (
    {"status": "error", "msg": "Nonce verification failed"},
    {"msg": "You have reached your token limit.", "tokenLimitReached": True},
    {"msg": "Your message contains prohibited words.", "messageFlagged": True},
    {"msg": "You are not allowed to access this feature.", "ipBanned": True},
    {"msg": "Pinecone: index not found", "pineconeError": True},
    {"status": "error", "msg": "Incorrect API key provided: sk-abc.", "log": False},
)


def _success_payload(text: str) -> dict[str, object]:
    # The observed key order: status, msg (a leftover default), greeting_message, data, log.
    return {
        "status": "success",
        "msg": "Something went wrong",
        "greeting_message": "You are a helpful AI Assistant.",
        "data": text,
        "log": False,
    }


def _chunk_event(delta: dict[str, str], finish: Optional[str]) -> str:
    chunk = {
        "id": "chatcmpl-9Xk2",
        "object": "chat.completion.chunk",
        "created": 1700000000,
        "model": "gpt-4o-mini",
        "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
    }
    # Relayed from the upstream as it sent it: compact JSON, non-ASCII as is.
    return "data: " + json.dumps(chunk, ensure_ascii=False, separators=(",", ":")) + "\n\n"


Exchange = tuple[int, dict[str, str], bytes]
# And the text the reply must give, for a valid one.
ChatExchange = tuple[int, dict[str, str], bytes, Optional[str]]


@st.composite
def _replies(draw: st.DrawFn, *, spoil: bool) -> ChatExchange:
    """An old-plugin reply carrying a text: JSON, or a stream ending the 1.9 way (``[DONE]``),
    the 1.8.79 way (``[DONE]`` then the JSON reply) or with ``finish_reason`` only. With
    ``spoil``, one thing is changed that may make it a refusal or a broken reply (and no text is
    expected of it)."""
    spoilt = draw(
        st.sampled_from(
            ["cut", "status", "content type", "blank", "refusal", "challenge", "prefix"]
        )
        if spoil
        else st.none()
    )
    text = draw(st.sampled_from(_BLANK_TEXTS) if spoilt == "blank" else _reply_texts)
    kind = draw(st.sampled_from(["json", "json", "[DONE]", "1.8.79", "finish_reason"]))
    refusal = draw(st.sampled_from(_REFUSALS)) if spoilt == "refusal" else None
    if kind == "json":
        body = draw(st.sampled_from(["", "", PHP_WARNING])) + _php_json(
            refusal or _success_payload(text)
        )
        content_type = draw(
            st.sampled_from(["application/json; charset=UTF-8", "text/html; charset=UTF-8"])
        )
    else:
        pieces = re.findall(r"\s*\S+|\s+$", text)
        events = [_chunk_event({"role": "assistant", "content": ""}, None)]
        events += [_chunk_event({"content": piece}, None) for piece in pieces]
        if refusal is not None:
            events.insert(draw(st.integers(0, len(events))), f"data: {_php_json(refusal)}\n\n")
        events.append(_chunk_event({}, "stop"))
        if kind != "finish_reason":
            events.append("data: [DONE]\n\n")
        if kind == "1.8.79":
            events.append(_php_json(_success_payload(text)))
        for _ in range(draw(st.integers(0, 2))):
            events.insert(draw(st.integers(0, len(events))), ": keep-alive\n\n")
        body = "".join(events)
        if draw(st.booleans()):
            body = body.replace("data: ", "event: message\ndata: ")
        if draw(st.booleans()):  # raw newlines only end lines: JSON escapes those inside
            body = body.replace("\n", "\r\n")
        content_type = draw(
            st.sampled_from(
                ["text/event-stream", "text/event-stream; charset=UTF-8", "text/event-stream;"]
            )
        )
    status, headers = 200, {"content-type": content_type, "server": "nginx"}
    if spoilt == "cut":
        body = body[: draw(st.integers(0, len(body) - 1))]
    elif spoilt == "status":
        status = draw(st.sampled_from([400, 403, 404, 429, 500, 502, 503, 504, 520]))
        headers["retry-after"] = draw(_header_values)
    elif spoilt == "content type":
        headers["content-type"] = draw(_header_values)
    elif spoilt == "challenge":
        headers["cf-mitigated"] = "challenge"
        status = draw(st.sampled_from([200, 403, 503]))
    elif spoilt == "prefix":
        body = draw(st.sampled_from(["0", "<html>", "{", "data: x\n\n", "\ufeff"])) + body
    return status, headers, body.encode(), None if spoil else text


replies = st.one_of(
    _replies(spoil=False),
    _replies(spoil=False),
    _replies(spoil=True),
    st.tuples(statuses, headers, bodies, st.none()),
)


@keeps_both_branches
@given(exchange=replies, now=st.floats(0, 4e9))
def test_interpret_reply_returns_text_or_a_typed_error(exchange: ChatExchange, now: float) -> None:
    status, headers, body, expected = exchange
    reply = HttpReply(status, headers, body, "https://example.org/wp-admin/admin-ajax.php", now=now)
    try:
        text = interpret_reply(reply)
    except Chatgpt4oError as exc:
        took(f"error: {type(exc).__name__}")
        assert expected is None, "a valid reply was refused (the error is above)"
        return
    took("success")
    assert isinstance(text, str)
    assert text != ""  # a call never returns an empty string as success
    assert expected is None or text == expected


_page_headers = st.fixed_dictionaries(
    {"content-type": st.sampled_from(["text/html; charset=UTF-8", "text/html"])},
    optional={
        "link": link_headers,
        "server": st.sampled_from(["nginx", "cloudflare", "Apache"]),
        "cache-control": st.just("max-age=0, no-store"),
    },
)
# AIPKit bots after anything that may hide them or make them unusable.
_aipkit_pages = st.tuples(
    st.one_of(
        st.sampled_from(["", "<p>Hi</p>", "<!-- note -->", "<!--", "<template>", "<textarea>"]),
        st.text(max_size=20),
    ),
    st.one_of(_aipkit_bots, _usable_aipkit_bots),
).map(lambda parts: f"<html><body>{parts[0]}{_aipkit_elements(parts[1])}</body></html>")
_page_bodies = st.one_of(pages, _aipkit_pages).map(str.encode)
page_replies = st.one_of(
    st.tuples(statuses, headers, st.one_of(bodies, _page_bodies)),
    st.tuples(st.sampled_from([200, 200, 203]), _page_headers, _page_bodies),
    st.tuples(st.sampled_from([200, 200, 203]), _page_headers, chat_pages.map(str.encode)),
)
BAD_REST_LINK = '<http://[x/wp-json/>; rel="https://api.w.org/"'
BAD_AJAX_URLS = (
    '<div class="wpaicg-chat-shortcode" data-nonce="3f9c2a7b1e"></div>'
    "<script>var wpaicg_ajax_url = 'http://[oops/';</script>",
    '<div class="aipkit_chat_container" data-config="'
    + html.escape(json.dumps({"botId": 5, "nonce": "3f9c2a7b1e", "ajaxUrl": "http://[oops/"}))
    + '"></div>',
)


@keeps_both_branches
@settings(max_examples=300)
@example(exchange=(200, {}, BAD_AJAX_URLS[0].encode()), url=PAGE_URLS[0])
@example(exchange=(200, {}, BAD_AJAX_URLS[1].encode()), url=PAGE_URLS[1])
@example(
    exchange=(
        200,
        {"link": BAD_REST_LINK},
        b'<div class="wpaicg-chat-shortcode" data-nonce=abcdef1234>',
    ),
    url=PAGE_URLS[2],
)
@given(exchange=page_replies, url=st.sampled_from(PAGE_URLS))
def test_read_page_returns_usable_chats_or_a_typed_error(exchange: Exchange, url: str) -> None:
    status, headers, body = exchange
    try:
        page = read_page(Reply(status, headers, body, url))
    except Chatgpt4oError as exc:
        took(f"error: {type(exc).__name__}")
        return
    took("success")
    assert_usable(page, url)


_retry_after_values = st.one_of(
    st.none(),
    st.text(max_size=40),
    _header_values,
    # What servers send: delta-seconds, and HTTP-dates (before or after `now`).
    st.integers(0, 10**6).map(str),
    st.floats(0, 1e6).map(lambda seconds: f" {seconds} "),
    st.floats(0, 4e9).map(lambda when: email.utils.formatdate(when, usegmt=True)),
)


@keeps_both_branches
@given(value=_retry_after_values, now=st.floats(0, 4e9))
def test_retry_after_is_none_or_a_non_negative_number(value: Optional[str], now: float) -> None:
    seconds = parse_retry_after(value, now=now)
    took("success" if seconds is not None else "none: absent or unreadable")
    assert seconds is None or (isinstance(seconds, float) and seconds >= 0)
    assert seconds is None or not math.isnan(seconds)
