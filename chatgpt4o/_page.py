"""Scrape the chat tokens (nonce, post id, ajax URL) from a page; spot Cloudflare block pages."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Dict, Iterator, List, Literal, Mapping, Optional, Tuple
from urllib.parse import urljoin, urlsplit, urlunsplit

from ._constants import AJAX_PATH
from ._exceptions import BlockedError, TokenError, UnsupportedPluginError

if TYPE_CHECKING:
    from bs4.builder import TreeBuilder

__all__ = ["ChatType", "PageTokens", "extract_tokens", "is_cloudflare_page"]

ChatType = Literal["shortcode", "widget"]

_SHORTCODE = "wpaicg-chat-shortcode"
_WIDGET = "wpaicg-chatbox"
_AIPKIT = "aipkit_chat_container"
_REST_API_REL = "https://api.w.org/"

# A page is about 300 KB, so nothing here parses all of it. Fast literal searches find the few
# places that can matter (a class token, the settings script, the REST link); each hit is then
# checked in place: is it inside a real start tag, and is that tag outside comments and raw text?
# Only that one start tag goes through BeautifulSoup. HTML whitespace is ASCII, hence re.ASCII
# on the markup patterns (faster, too).

# The class tokens as they appear in a class attribute (after a quote, "=" or a space), never as a
# CSS selector (after a "."). The lookbehind follows the literal so the search keeps its fast
# literal prefix.
_CHAT_CLASS = re.compile(
    r"""wpaicg-chat(?<=[\s"'=]wpaicg-chat)(-shortcode|box)(?![\w-])""", re.ASCII
)
_SHORTCODE_CLASS = re.compile(
    r"""wpaicg-chat-shortcode(?<=[\s"'=]wpaicg-chat-shortcode)(?![\w-])""", re.ASCII
)
_AIPKIT_CLASS = re.compile(
    r"""aipkit_chat_container(?<=[\s"'=]aipkit_chat_container)(?![\w-])""", re.ASCII
)

# A start tag up to its closing ">". Quotes count only where HTML5 (and html.parser, our parser
# of record) gives them meaning: right after "=". Every step is forced, so a tag cut off by a
# truncated page fails in linear time instead of backtracking.
_START_TAG = re.compile(
    r"""<([a-zA-Z][^\s/>\x00]*)[^>=]*(?:=\s*(?:"[^"]*"|'[^']*'|(?![\s"']))[^>=]*)*>""", re.ASCII
)
# One attribute as HTML5 splits them; the whole attribute is captured when it is one we read, so
# that findall hands BeautifulSoup only those (see _parse_attributes).
_ATTRIBUTE_VALUE = r"""(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>]*))?"""
_READ_ATTRIBUTE = re.compile(
    r"[\s/]*(?:("
    r"(?i:class|data-nonce|data-post-id|data-url|data-bot-id|data-openai_stream_nav|rel|href)"
    r"(?![^\s/>=])" + _ATTRIBUTE_VALUE + r")|[^\s/>][^\s/>=]*" + _ATTRIBUTE_VALUE + ")",
    re.ASCII,
)
# A quoted "<" in an earlier attribute value (the widget's data-post-id="<123") is not a tag start.
_MAX_TAG_LOOKBACK = 8
# Bounds the work per hit on hostile pages; the chat element's start tag is about 2 KB.
_MAX_TAG_LENGTH = 64 * 1024

_COMMENT = re.compile(r"<!--(?:-?>|.*?--!?>)", re.DOTALL)
_RAW_TEXT_TAG = re.compile(
    r"<(/?)(script|style|textarea|title|xmp|iframe|noembed|noframes)(?=[\s/>])",
    re.IGNORECASE | re.ASCII,
)

_JS_STRING = r"""\s*(?:"((?:[^"\\\n]|\\.)*)"|'((?:[^'\\\n]|\\.)*)')"""
_PARAMS = re.compile(r"wpaicgParams\s*=\s*\{")
_PARAMS_AJAX_URL = re.compile(r"""["']?\bajax_url["']?\s*:""" + _JS_STRING)
_PARAMS_SEARCH_NONCE = re.compile(r"""["']?\bsearch_nonce["']?\s*:""" + _JS_STRING)
_SETTINGS = (("ajax_url", _PARAMS_AJAX_URL), ("search_nonce", _PARAMS_SEARCH_NONCE))
_LEGACY_AJAX_URL = re.compile(r"wpaicg_ajax_url\s*=" + _JS_STRING)
_JS_ESCAPE = re.compile(r"\\(u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|.)", re.DOTALL)
_JS_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f", "v": "\v", "0": "\0"}

_REST_API_LINK = re.compile(r"https://api\.w\.org/")
_LINK_HEADER_ITEM = re.compile(r"<([^>]*)>([^<]*)")
_LINK_REL = re.compile(r"""\brel\s*=\s*(?:"([^"]*)"|([^\s;,"]*))""", re.IGNORECASE)
_DIGITS = re.compile(r"[0-9]+")

# WordPress nonces are 10 lowercase hex digits (part of an MD5). wp_create_nonce() is pluggable,
# so other hex lengths and upper case pass; placeholders, markup and garbage do not.
_NONCE = re.compile(r"[0-9a-fA-F]{6,32}")

_CLOUDFLARE_MARKERS = re.compile(
    r"<title>\s*Just a moment\.\.\.\s*</title>"
    r"|<title>\s*Attention Required! \| Cloudflare\s*</title>"
    r"""|\bid\s*=\s*["']?(?:cf-please-wait|cf-cloudflare-status)\b"""
    r"|cf-spinner-please-wait"
    r"|window\._cf_chl_opt\b"
    # Bot Management injects .../challenge-platform/scripts/jsd/... into ordinary pages too.
    r"|/cdn-cgi/challenge-platform/(?!(?:h/\w+/)?scripts/jsd/)",
    re.IGNORECASE,
)

_BUILDERS = threading.local()

_PAGE_HINT = (
    "check that the URL points at a page that shows the AI Power chat (shortcode or widget) "
    "and that no cache or security plugin serves a stripped copy of it"
)


@dataclass(frozen=True)
class PageTokens:
    """The chat tokens scraped from a page.

    Example::

        tokens = extract_tokens(html, "https://chatgpt4o.one/")
        form = {"_wpnonce": tokens.nonce, "post_id": tokens.post_id, "bot_id": tokens.bot_id}

    Attributes:
        nonce: the ``data-nonce`` of the chat element (left out of ``repr``).
        post_id: the digits of ``data-post-id``; ``""`` when the page has none (the server
            ignores a missing one).
        bot_id: the digits of ``data-bot-id``; ``"0"`` when absent.
        page_url: ``data-url`` without a trailing slash, else the URL the page came from.
        ajax_url: the absolute ``admin-ajax.php`` URL, always on the fetched page's origin.
        chat_type: ``"shortcode"`` or ``"widget"``: the chat element the tokens came from.
        streams: whether the page says the server streams replies (``data-openai_stream_nav``).
    """

    nonce: str = field(repr=False)
    post_id: str
    bot_id: str
    page_url: str
    ajax_url: str
    chat_type: ChatType
    streams: bool


def extract_tokens(html: str, url: str, *, link_header: Optional[str] = None) -> PageTokens:
    """Read the chat tokens from a page that runs the AI Power chat.

    Takes the first ``div.wpaicg-chat-shortcode``, else the first ``.wpaicg-chatbox`` (widget),
    ignoring copies inside comments, scripts and other raw text. Only a page without any chat
    element falls back to ``wpaicgParams.search_nonce``.

    Example::

        tokens = extract_tokens(response.text, str(response.url),
                                link_header=response.headers.get("Link"))

    Args:
        html: the page's HTML.
        url: the URL the page was fetched from; the ajax URL never leaves its origin.
        link_header: the page's ``Link`` response header; its REST API link locates the
            WordPress root when the page does not name its ajax URL.

    Raises:
        TokenError: the page has no chat element, or no usable nonce in it.
        UnsupportedPluginError: the page runs AI Power 2.3+ ("AIPKit").
        BlockedError: the page is a Cloudflare challenge or block page.
    """
    params = _plugin_settings(html)
    element = _chat_element(html)
    if element is not None:
        chat_type, attrs = element
        nonce = attrs.get("data-nonce", "").strip()
        _check_nonce(nonce, url, f"the {chat_type} chat element's data-nonce")
        return PageTokens(
            nonce=nonce,
            post_id=_digits(attrs.get("data-post-id", ""), default=""),
            bot_id=_digits(attrs.get("data-bot-id", ""), default="0"),
            page_url=attrs.get("data-url", "").strip().rstrip("/") or _page_url(url),
            ajax_url=_ajax_url(html, url, params, link_header),
            chat_type=chat_type,
            streams=attrs.get("data-openai_stream_nav", "").strip() == "1",
        )

    if _has_aipkit(html):
        raise UnsupportedPluginError(
            f"unsupported plugin version: AI Power 2.3+ (AIPKit) at {url} speaks another chat "
            "protocol (aipkit_* actions) that this client does not implement; point the client "
            "at a site that runs AI Power 2.2 or older.",
            url=url,
            missing="chat protocol",
        )

    search_nonce = params.get("search_nonce", "").strip()
    if search_nonce:
        _check_nonce(search_nonce, url, "wpaicgParams.search_nonce")
        return PageTokens(
            nonce=search_nonce,
            post_id="",
            bot_id="0",
            page_url=_page_url(url),
            ajax_url=_ajax_url(html, url, params, link_header),
            chat_type="shortcode",
            streams=False,
        )

    # Checked last: Cloudflare injects challenge-platform scripts into ordinary pages too, and a
    # page that carries the chat is never a challenge.
    if is_cloudflare_page(html):
        raise BlockedError(status_code=200, url=url)
    raise TokenError(
        f"No nonce found at {url}: the page has no AI Power chat element "
        f"(div.{_SHORTCODE} or .{_WIDGET}) and no wpaicgParams.search_nonce; {_PAGE_HINT}.",
        url=url,
        missing="nonce",
    )


def is_cloudflare_page(text: str, headers: Optional[Mapping[str, str]] = None) -> bool:
    """Tell whether a reply is a Cloudflare challenge or block page.

    A ``cf-mitigated: challenge`` header or a challenge/block page marker in the body counts;
    the scripts Cloudflare adds to ordinary pages (email protection, bot detection) do not.

    Example::

        if is_cloudflare_page(response.text, response.headers):
            raise BlockedError(status_code=response.status_code, url=str(response.url))

    Args:
        text: the reply body.
        headers: the reply headers, any mapping; names match case-insensitively.
    """
    if headers:
        for name, value in headers.items():
            if name.lower() == "cf-mitigated" and value.strip().lower() == "challenge":
                return True
    return _CLOUDFLARE_MARKERS.search(text) is not None


def _chat_element(html: str) -> Optional[Tuple[ChatType, Dict[str, str]]]:
    for hit, tag in _live_tags(html, _CHAT_CLASS):
        attrs = _parse_attributes(html, tag)
        if hit.group(1) == "-shortcode":
            if _SHORTCODE in _classes(attrs):
                return "shortcode", attrs
        elif _WIDGET in _classes(attrs):
            # A shortcode later on the page still wins over this widget.
            for _, later in _live_tags(html, _SHORTCODE_CLASS, tag.end()):
                shortcode = _parse_attributes(html, later)
                if _SHORTCODE in _classes(shortcode):
                    return "shortcode", shortcode
            return "widget", attrs
    return None


def _has_aipkit(html: str) -> bool:
    return any(
        _AIPKIT in _classes(_parse_attributes(html, tag))
        for _, tag in _live_tags(html, _AIPKIT_CLASS)
    )


def _live_tags(
    html: str, pattern: re.Pattern[str], pos: int = 0
) -> Iterator[Tuple[re.Match[str], re.Match[str]]]:
    """Each hit of ``pattern`` inside a live start tag (not in a comment or raw text), with it."""
    hidden = _HiddenRegions(html, pos)
    while True:
        hit = pattern.search(html, pos)
        if hit is None:
            return
        pos = hit.end()
        tag = _enclosing_start_tag(html, hit.start())
        if tag is None:
            continue
        hidden_until = hidden.end(tag.start())
        if hidden_until is None:
            yield hit, tag
            pos = tag.end()
        else:
            pos = max(pos, hidden_until)


def _enclosing_start_tag(html: str, pos: int) -> Optional[re.Match[str]]:
    """The start tag that ``pos`` lies in, if any."""
    start = pos
    window = max(0, pos - _MAX_TAG_LENGTH)
    for _ in range(_MAX_TAG_LOOKBACK):
        start = html.rfind("<", window, start)
        if start < 0:
            return None
        tag = _START_TAG.match(html, start, start + _MAX_TAG_LENGTH)
        if tag is not None and tag.end() > pos:
            return tag
    return None


class _HiddenRegions:
    """Tells whether positions, asked about in page order, lie in a comment or in raw text.

    Remembers what earlier answers established, so that many hits on one page cost one pass.
    """

    def __init__(self, html: str, pos: int) -> None:
        self._html = html
        self._outside_comments = pos  # no comment is open here
        self._raw_text_from = len(html) + 1
        self._raw_text_tag: Optional[re.Match[str]] = None  # the first one after _raw_text_from

    def end(self, pos: int) -> Optional[int]:
        """Where the comment or raw text holding ``pos`` ends; None when ``pos`` is live."""
        floor = self._outside_comments if self._outside_comments <= pos else 0
        end = _comment_end(self._html, pos, floor)
        if end is None:
            cached_until = self._raw_text_tag.start() if self._raw_text_tag else len(self._html)
            if not self._raw_text_from <= pos + 1 <= cached_until:
                self._raw_text_from = pos + 1
                self._raw_text_tag = _RAW_TEXT_TAG.search(self._html, pos + 1)
            if self._raw_text_tag is not None and self._raw_text_tag.group(1):
                end = self._raw_text_tag.start()
        self._outside_comments = pos if end is None else end
        return end


def _parse_attributes(html: str, tag: re.Match[str]) -> Dict[str, str]:
    """Read the attributes of a start tag (a ``_START_TAG`` match) with BeautifulSoup."""
    # Imported here so that importing chatgpt4o does not import bs4.
    from bs4 import BeautifulSoup, Tag

    # html.parser costs about 5 us per attribute and the chat element carries about 50, so it
    # gets only the few we read, each exactly as written.
    wanted = " ".join(_READ_ATTRIBUTE.findall(html, tag.end(1), tag.end() - 1))
    soup = BeautifulSoup(f"<div {wanted} >", builder=_tree_builder())
    element = soup.contents[0] if soup.contents else None
    if not isinstance(element, Tag):
        return {}
    return {
        name: " ".join(value) if isinstance(value, list) else value
        for name, value in element.attrs.items()
    }


def _tree_builder() -> TreeBuilder:
    """This thread's html.parser tree builder: building one costs more than the parse itself."""
    builder: Optional[TreeBuilder] = getattr(_BUILDERS, "builder", None)
    if builder is None:
        from bs4.builder._htmlparser import HTMLParserTreeBuilder

        builder = _BUILDERS.builder = HTMLParserTreeBuilder(on_duplicate_attribute="ignore")
    return builder


def _classes(attrs: Mapping[str, str]) -> List[str]:
    return attrs.get("class", "").split()


def _comment_end(html: str, pos: int, floor: int = 0) -> Optional[int]:
    """Where the comment holding ``pos`` ends; None when it is in none (or opened before floor)."""
    opened = html.rfind("<!--", floor, pos)
    if opened < 0:
        return None
    comment = _COMMENT.match(html, opened)
    end = comment.end() if comment is not None else len(html)
    # A "<!--" inside a script (document.write, old hiding tricks) opens no comment.
    return end if end > pos and _raw_text_end(html, opened) is None else None


def _raw_text_end(html: str, pos: int) -> Optional[int]:
    """Where the script, style, textarea… holding ``pos`` ends; None when ``pos`` is outside."""
    tag = _RAW_TEXT_TAG.search(html, pos + 1)
    return tag.start() if tag is not None and tag.group(1) else None


def _script_end(html: str, pos: int) -> Optional[int]:
    """Where the live script holding ``pos`` ends; None when ``pos`` is not in one."""
    tag = _RAW_TEXT_TAG.search(html, pos)
    if tag is None or not tag.group(1) or tag.group(2).lower() != "script":
        return None
    return None if _comment_end(html, pos) is not None else tag.start()


def _plugin_settings(html: str) -> Dict[str, str]:
    """``ajax_url`` and ``search_nonce`` from the plugin's inline settings script, if any."""
    settings: Dict[str, str] = {}
    pos = len(html)
    while True:
        # wp_localize_script prints wpaicgParams near the end of the page: search backwards.
        pos = html.rfind("wpaicgParams", 0, pos)
        if pos < 0:
            break
        params = _PARAMS.match(html, pos)
        end = _script_end(html, pos) if params is not None and _word_start(html, pos) else None
        if params is not None and end is not None:
            for key, pattern in _SETTINGS:
                value = _js_string(pattern.search(html, params.end(), end))
                if value is not None:
                    settings[key] = value
            return settings

    # AI Power 1.7 printed `var wpaicg_ajax_url = '…';` in <head> instead.
    pos = 0
    while True:
        pos = html.find("wpaicg_ajax_url", pos)
        if pos < 0:
            return settings
        legacy = _js_string(_LEGACY_AJAX_URL.match(html, pos))
        if legacy is not None and _word_start(html, pos) and _script_end(html, pos) is not None:
            settings["ajax_url"] = legacy
            return settings
        pos += 1


def _word_start(html: str, pos: int) -> bool:
    return pos == 0 or not (html[pos - 1].isalnum() or html[pos - 1] in "_$")


def _js_string(match: Optional[re.Match[str]]) -> Optional[str]:
    if match is None:
        return None
    double, single = match.group(1), match.group(2)
    return _JS_ESCAPE.sub(_js_unescape, double if double is not None else single)


def _js_unescape(match: re.Match[str]) -> str:
    escape = match.group(1)
    if len(escape) > 1:
        return chr(int(escape[1:], 16))
    return _JS_ESCAPES.get(escape, escape)


def _rest_url(html: str, link_header: Optional[str]) -> Optional[str]:
    """The REST API root URL: the ``Link`` header's, else the page's ``<link>`` tag's."""
    for item in _LINK_HEADER_ITEM.finditer(link_header or ""):
        for rel in _LINK_REL.finditer(item.group(2)):
            if _REST_API_REL in (rel.group(1) or rel.group(2) or "").split():
                return item.group(1).strip()
    for _, tag in _live_tags(html, _REST_API_LINK):
        attrs = _parse_attributes(html, tag)
        href = attrs.get("href", "").strip()
        if (
            tag.group(1).lower() == "link"
            and _REST_API_REL in attrs.get("rel", "").split()
            and href
        ):
            return href
    return None


def _site_root(rest_url: str) -> str:
    """The WordPress root of a REST API URL: ``https://x/blog/wp-json/`` -> ``https://x/blog``."""
    parts = urlsplit(rest_url)
    path = parts.path
    for suffix in ("/wp-json/", "/wp-json", "/index.php"):
        if path.endswith(suffix):
            path = path[: -len(suffix)]
            break
    return urlunsplit((parts.scheme, parts.netloc, path.rstrip("/"), "", ""))


def _origin(url: str) -> Tuple[str, str, Optional[int]]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    return scheme, (parts.hostname or "").lower(), port or {"http": 80, "https": 443}.get(scheme)


def _on_page_origin(candidate: str, page_url: str) -> str:
    """``candidate`` resolved against the page URL and kept on the page's origin."""
    absolute = (
        candidate
        if candidate.startswith(("http://", "https://"))
        else (urljoin(page_url, candidate))
    )
    if _origin(absolute) == _origin(page_url):
        return absolute
    # The nonce and the prompt go only to the host the user configured: keep just the path.
    target, page = urlsplit(absolute), urlsplit(page_url)
    return urlunsplit((page.scheme, page.netloc, target.path or AJAX_PATH, target.query, ""))


def _ajax_url(html: str, url: str, params: Mapping[str, str], link_header: Optional[str]) -> str:
    named = params.get("ajax_url", "").strip()
    try:
        if named:
            return _on_page_origin(named, url)
        rest_url = _rest_url(html, link_header)
        root = _site_root(urljoin(url, rest_url)) if rest_url else ""
        return _on_page_origin(root + AJAX_PATH, url)
    except ValueError:
        # A malformed URL on the page (e.g. "http://[oops/"): use WordPress's default path.
        return _on_page_origin(AJAX_PATH, url)


def _page_url(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))


def _digits(value: str, *, default: str) -> str:
    match = _DIGITS.search(value)
    return match.group() if match else default


def _check_nonce(nonce: str, url: str, source: str) -> None:
    if not nonce:
        raise TokenError(
            f"No nonce found at {url}: {source} is missing or empty; {_PAGE_HINT}.",
            url=url,
            missing="nonce",
        )
    if _NONCE.fullmatch(nonce) is None:
        raise TokenError(
            f"No nonce found at {url}: {source} is not a WordPress nonce (expected 10 hex "
            f"digits, got {len(nonce)} characters); {_PAGE_HINT}.",
            url=url,
            missing="nonce",
        )
