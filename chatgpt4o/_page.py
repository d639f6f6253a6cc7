"""Read the chats a page offers (either plugin generation), with BeautifulSoup."""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Dict, Literal, Mapping, Optional
from urllib.parse import parse_qs, urlsplit, urlunsplit

from ._ajax_url import REST_API_REL, ajax_url, rest_url_from_link_header
from ._cloudflare import is_cloudflare_page
from ._exceptions import BlockedError, BotNotFoundError, ChatPageError, UnsupportedPluginError
from ._http import NONCE_SHAPE

if TYPE_CHECKING:
    from bs4 import BeautifulSoup, Tag
    from bs4.filter import SoupStrainer

__all__ = ["ChatType", "Generation", "Page", "PageChat", "extract_page"]

Generation = Literal["wpaicg", "aipkit"]
ChatType = Literal["shortcode", "widget", "aipkit"]

_SHORTCODE = "wpaicg-chat-shortcode"
_WIDGET = "wpaicg-chatbox"
_INLINE = "aipkit_chat_container"
_POPUP = "aipkit_popup_wrapper"
_AIPKIT_SCRIPT = re.compile(r"/public-main\.bundle\.js(?:\?|$)")
# Elements whose content a browser never turns into live markup. html.parser keeps script and
# style content as text; older versions of it parse the content of these as elements.
_INERT = ["template", "textarea", "title", "noscript", "xmp", "iframe", "noembed", "noframes"]

# BeautifulSoup parses HTML, not the JavaScript inside scripts: these read the plugin's settings.
# The name comes first and the "not part of a longer name" check after it, so that re can look
# for the literal name (a regex that starts with a look-behind tries it at every character).
_PARAMS = re.compile(r"wpaicgParams(?<![\w$]wpaicgParams)\s*=\s*(?=\{)")
_LEGACY_AJAX_URL = re.compile(
    r"wpaicg_ajax_url(?<![\w$]wpaicg_ajax_url)\s*=\s*"
    r"""(?:"((?:[^"\\\n]|\\.)*)"|'((?:[^'\\\n]|\\.)*)')"""
)
_JS_ESCAPE = re.compile(r"\\(.)")
# Browsers end a comment at "--!>" and read "<!-->" and "<!--->" as empty comments, but not
# at "-- >"; html.parser before CPython's 2025 fix (gh-102555, not in every patch release of
# 3.9 to 3.13) does the opposite of each, hiding the chat after such a comment or reviving a
# commented-out one. Rewriting the three to forms every version reads alike is simpler than
# patching the parser. Each contains ">", which the plugin escapes in every attribute it
# prints, so only comments, text and scripts change, and "&#45;" decodes back to "-"
# anywhere it is read. The opener is matched first so that its dashes never close it.
_COMMENT_QUIRKS = re.compile(r"<!--(?:-?>)?|--!>|--(?=\s+>)")
_COMMENT_FIXES = {"<!-->": "<!---->", "<!--->": "<!---->", "--!>": "-->", "--": "-&#45;"}
_DIGITS = re.compile(r"[0-9]+")


_PAGE_HINT = (
    "check that the URL points at a page that shows the AI Power chat (a shortcode, widget or "
    "popup bot) and that no cache or security plugin serves a stripped copy of it"
)


@dataclass(frozen=True)
class PageChat:
    """One chat the page offers, with the nonce and ids needed to talk to it.

    Example::

        chat = extract_page(html, "https://chatgpt4o.one/").chat()
        form = {"_wpnonce": chat.nonce, "post_id": chat.post_id, "bot_id": chat.bot_id}

    Attributes:
        generation: ``"wpaicg"`` (AI Power up to 2.2) or ``"aipkit"`` (2.3 and later).
        nonce: the chat nonce (left out of ``repr``).
        post_id: digits; ``""`` when the page has none (aipkit: a ``postId`` of 0 or none).
        bot_id: digits; ``"0"`` when a wpaicg element names no bot.
        page_url: wpaicg: ``data-url`` without a trailing slash, else the page URL;
            aipkit: the page URL. The page URL is taken without query or trailing slash.
        ajax_url: the absolute ``admin-ajax.php`` URL, always on the fetched page's origin.
        chat_type: ``"shortcode"`` or ``"widget"`` (wpaicg), ``"aipkit"``.
        streams: wpaicg: ``data-openai_stream_nav`` is ``"1"``; aipkit: the config's
            ``streamEnabled`` (2.3 to 2.4.0), else True (2.4.1 and later always stream).
        image_upload: aipkit: the page offers picture upload for this bot
            (``imageUploadEnabledUI``); always False for wpaicg.
        plugin_version: aipkit: the version the plugin's script is loaded with
            (``public-main.bundle.js?ver=2.4.71``), None when the page does not say.
    """

    generation: Generation
    nonce: str = field(repr=False)
    post_id: str
    bot_id: str
    page_url: str
    ajax_url: str
    chat_type: ChatType
    streams: bool
    image_upload: bool = False
    plugin_version: Optional[str] = None


@dataclass(frozen=True)
class Page:
    """The chats a page offers, in document order (never empty).

    A wpaicg page offers one: the chat the old plugin's rules pick (the first shortcode, else
    the first widget, else the page's ``search_nonce``). An aipkit page offers every bot on it.

    Example::

        page = extract_page(response.text, str(response.url))
        chat = page.chat(bot_id=5)
    """

    url: str
    chats: tuple[PageChat, ...]

    @property
    def generation(self) -> Generation:
        """The plugin generation of the page (that of its first chat)."""
        return self.chats[0].generation

    @property
    def bot_ids(self) -> tuple[str, ...]:
        """The bot id of each chat, in document order."""
        return tuple(chat.bot_id for chat in self.chats)

    def chat(self, bot_id: Optional[int] = None) -> PageChat:
        """The chat to use: the first by default.

        On an aipkit page, ``bot_id`` picks the chat whose bot id matches. On a wpaicg page the
        first chat is returned whatever ``bot_id`` is: the old plugin takes any bot id in the
        form, so the caller overrides it there.

        Raises:
            BotNotFoundError: an aipkit page has no chat for ``bot_id``; lists the page's bots.
        """
        if bot_id is None or self.generation == "wpaicg":
            return self.chats[0]
        for chat in self.chats:
            if chat.bot_id == str(bot_id):
                return chat
        bots = ", ".join(self.bot_ids)
        raise BotNotFoundError(
            f"No chat for bot {bot_id} at {self.url}: the page offers bot {bots}; pass one of "
            f"those as bot_id, or point the client at the page that shows bot {bot_id}.",
            url=self.url,
            bot_id=bot_id,
            bots=self.bot_ids,
        )


def extract_page(html: str, url: str, *, link_header: Optional[str] = None) -> Page:
    """Read the chats a page offers, and the nonce and ids to talk to each.

    A page with ``div.aipkit_chat_container[data-config]`` or
    ``div.aipkit_popup_wrapper[data-config]`` is an aipkit page: each such element is a chat, in
    document order. Otherwise the first ``div.wpaicg-chat-shortcode``, else the first
    ``.wpaicg-chatbox`` (widget) is the chat; only a page without any chat element falls back
    to ``wpaicgParams.search_nonce``. Copies inside comments, scripts, templates and other inert
    content are ignored.

    Example::

        page = extract_page(response.text, str(response.url),
                            link_header=response.headers.get("Link"))

    Args:
        html: the page's HTML.
        url: the URL the page was fetched from; the ajax URL never leaves its origin.
        link_header: the page's ``Link`` response header; its REST API link locates the
            WordPress root when the page does not name its ajax URL.

    Raises:
        ChatPageError: the page has no chat element, or no usable nonce in it.
        UnsupportedPluginError: an aipkit element without a usable ``data-config``.
        BlockedError: the page is a Cloudflare challenge or block page.
    """
    soup = _parse(html, url)
    chats = [_aipkit_chat(element, soup, url, link_header) for element in _aipkit_elements(soup)]
    if chats:
        return Page(url, tuple(chats))

    settings = _plugin_settings(soup)
    ajax_url = _ajax_url(settings.get("ajax_url", ""), soup, url, link_header)
    element = _wpaicg_element(soup)
    if element is not None:
        chat_type: ChatType = "shortcode" if _SHORTCODE in _classes(element) else "widget"
        nonce = _attr(element, "data-nonce").strip()
        _check_nonce(nonce, url, f"the {chat_type} chat element's data-nonce")
        chat = PageChat(
            generation="wpaicg",
            nonce=nonce,
            post_id=_digits(_attr(element, "data-post-id"), default=""),
            bot_id=_digits(_attr(element, "data-bot-id"), default="0"),
            page_url=_attr(element, "data-url").strip().rstrip("/") or _page_url(url),
            ajax_url=ajax_url,
            chat_type=chat_type,
            streams=_attr(element, "data-openai_stream_nav").strip() == "1",
        )
        return Page(url, (chat,))

    search_nonce = settings.get("search_nonce", "").strip()
    if search_nonce:
        _check_nonce(search_nonce, url, "wpaicgParams.search_nonce")
        chat = PageChat(
            generation="wpaicg",
            nonce=search_nonce,
            post_id="",
            bot_id="0",
            page_url=_page_url(url),
            ajax_url=ajax_url,
            chat_type="shortcode",
            streams=False,
        )
        return Page(url, (chat,))

    # Checked last: Cloudflare injects challenge-platform scripts into ordinary pages too, and a
    # page that carries the chat is never a challenge.
    if is_cloudflare_page(html):
        raise BlockedError(
            f"Cloudflare challenge at {url}: the site is blocking automated clients; try again "
            "later, from another network, or through a proxy",
            url=url,
            status_code=200,
            method="GET",
        )
    raise ChatPageError(
        f"No nonce found at {url}: the page has no chat element (div.{_SHORTCODE}, "
        f".{_WIDGET}, div.{_INLINE} or div.{_POPUP}) and no wpaicgParams.search_nonce; "
        f"{_PAGE_HINT}.",
        url=url,
        missing="nonce",
    )


def _parse(html: str, url: str) -> BeautifulSoup:
    # Imported here so that importing chatgpt4o does not import bs4.
    from bs4 import BeautifulSoup
    from bs4.builder import ParserRejectedMarkup

    # Text without a tag has no chat; BeautifulSoup would only warn that it looks like a URL.
    markup = _COMMENT_QUIRKS.sub(_browser_comment_end, html) if "<" in html else ""
    try:
        # The first of duplicate attributes wins, as in browsers.
        return BeautifulSoup(
            markup, "html.parser", parse_only=_chat_markup(), on_duplicate_attribute="ignore"
        )
    except ParserRejectedMarkup as exc:
        # Some html.parser versions reject malformed declarations (`<![foo`) outright.
        raise ChatPageError(
            f"No nonce found at {url}: html.parser cannot read the page's markup; {_PAGE_HINT}.",
            url=url,
            missing="nonce",
        ) from exc


def _browser_comment_end(match: re.Match[str]) -> str:
    return _COMMENT_FIXES.get(match.group(), match.group())


@functools.lru_cache(maxsize=1)
def _chat_markup() -> SoupStrainer:
    """A filter that builds only what extraction reads: chat elements (with their content),
    scripts, ``<link>`` tags and inert elements (so that a chat inside one shows as such).

    The parser still reads the whole page, comments and scripts included; skipping the rest of
    the tree halves the time a 300 KB page takes.
    """
    from bs4.filter import SoupStrainer

    kept_names = frozenset(["script", "link", *_INERT])
    chat_classes = frozenset([_SHORTCODE, _WIDGET, _INLINE, _POPUP])

    class ChatMarkup(SoupStrainer):
        def allow_tag_creation(
            self, nsprefix: Optional[str], name: str, attrs: Optional[Mapping[str, object]]
        ) -> bool:
            if name in kept_names:
                return True
            classes = attrs.get("class") if attrs else None
            if isinstance(classes, str):
                classes = classes.split()
            return isinstance(classes, list) and not chat_classes.isdisjoint(classes)

        def allow_string_creation(self, string: str) -> bool:
            return False  # text outside the kept elements

    return ChatMarkup()


def _live(element: Tag) -> bool:
    return element.find_parent(_INERT) is None


def _attr(element: Tag, name: str) -> str:
    value = element.get(name)
    return " ".join(value) if isinstance(value, list) else value or ""


def _classes(element: Tag) -> list[str]:
    return _attr(element, "class").split()


def _wpaicg_element(soup: BeautifulSoup) -> Optional[Tag]:
    for css_class in (_SHORTCODE, _WIDGET):
        for element in soup.find_all(class_=css_class):
            if _live(element):
                return element
    return None


def _aipkit_elements(soup: BeautifulSoup) -> list[Tag]:
    """The aipkit chat elements, in document order: inline containers and popup wrappers."""
    elements = []
    for element in soup.find_all("div", class_=[_INLINE, _POPUP]):
        # A container inside a popup wrapper is the popup's chat window: the wrapper has the config.
        window = _POPUP not in _classes(element) and element.find_parent(class_=_POPUP) is not None
        if _live(element) and not window:
            elements.append(element)
    return elements


def _aipkit_chat(
    element: Tag, soup: BeautifulSoup, url: str, link_header: Optional[str]
) -> PageChat:
    where = f"div.{_POPUP if _POPUP in _classes(element) else _INLINE}"
    if element.get("id"):
        where += f"#{_attr(element, 'id')}"
    # BeautifulSoup has already decoded the attribute's entities: the value is the JSON itself.
    config_text = _attr(element, "data-config")
    if not config_text.strip():
        raise _unsupported(
            url, f"the AIPKit chat element {where} has no data-config", "data-config"
        )
    try:
        config = json.loads(config_text)
    except ValueError as exc:
        problem = f"the data-config of the AIPKit chat element {where} is not JSON ({exc})"
        raise _unsupported(url, problem, "data-config") from exc
    if not isinstance(config, dict):
        problem = f"the data-config of the AIPKit chat element {where} is not a JSON object"
        raise _unsupported(url, problem, "data-config")
    bot_id = _positive_id(config.get("botId")) or _positive_id(_attr(element, "data-bot-id"))
    if not bot_id:
        problem = f"the AIPKit chat element {where} names no bot (botId, data-bot-id)"
        raise _unsupported(url, problem, "botId")
    nonce = config.get("nonce")
    nonce = nonce.strip() if isinstance(nonce, str) else ""
    _check_nonce(nonce, url, f"the data-config nonce of AIPKit bot {bot_id}")
    named = config.get("ajaxUrl")
    return PageChat(
        generation="aipkit",
        nonce=nonce,
        post_id=_positive_id(config.get("postId")),
        bot_id=bot_id,
        page_url=_page_url(url),
        ajax_url=_ajax_url(named if isinstance(named, str) else "", soup, url, link_header),
        chat_type="aipkit",
        # As the page script reads it: JavaScript truthiness, and absent means always stream.
        streams=bool(config.get("streamEnabled", True)),
        image_upload=config.get("imageUploadEnabledUI") is True,
        plugin_version=_aipkit_version(soup),
    )


def _aipkit_version(soup: BeautifulSoup) -> Optional[str]:
    """The ``ver`` of the plugin's chat script, e.g. ``"2.4.71"``."""
    for script in soup.find_all("script", src=_AIPKIT_SCRIPT):
        version = parse_qs(urlsplit(_attr(script, "src")).query).get("ver", [""])[0]
        if version:
            return version
    return None


def _unsupported(url: str, problem: str, missing: str) -> UnsupportedPluginError:
    return UnsupportedPluginError(
        f"Unsupported chat at {url}: {problem}, and this client reads the bot, nonce and ajax "
        "URL from it; check that no cache or optimisation plugin rewrites the page's data "
        "attributes, or update chatgpt4o if the plugin changed its markup.",
        url=url,
        missing=missing,
    )


def _positive_id(value: object) -> str:
    """A post or bot id as digits; ``""`` for 0, absent or anything else."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value) if value > 0 else ""
    if isinstance(value, str) and _DIGITS.fullmatch(value.strip()):
        return value.strip().lstrip("0")
    return ""


def _plugin_settings(soup: BeautifulSoup) -> Dict[str, str]:
    """``ajax_url`` and ``search_nonce`` from the plugin's inline settings script, if any."""
    scripts = [script.get_text() for script in soup.find_all("script") if _live(script)]
    # wp_localize_script prints wpaicgParams near the end of the page: the last one counts.
    for text in reversed(scripts):
        for params in _PARAMS.finditer(text):
            try:
                value, _ = json.JSONDecoder().raw_decode(text, params.end())
            except ValueError:
                continue
            if isinstance(value, dict):
                return {
                    key: value[key]
                    for key in ("ajax_url", "search_nonce")
                    if isinstance(value.get(key), str)
                }
    # AI Power 1.7 printed `var wpaicg_ajax_url = '…';` in <head> instead.
    for text in scripts:
        legacy = _LEGACY_AJAX_URL.search(text)
        if legacy is not None:
            value = legacy.group(1) if legacy.group(1) is not None else legacy.group(2)
            return {"ajax_url": _JS_ESCAPE.sub(r"\1", value)}
    return {}


def _ajax_url(named: str, soup: BeautifulSoup, url: str, link_header: Optional[str]) -> str:
    """The ajax URL the page names, else the one its REST API link implies, on its origin."""
    named = named.strip()
    rest_url = None if named else rest_url_from_link_header(link_header) or _rest_link(soup)
    return ajax_url(url, named=named, rest_url=rest_url)


def _rest_link(soup: BeautifulSoup) -> Optional[str]:
    """The REST API root of the page's ``<link rel="https://api.w.org/">``, if live."""
    for link in soup.find_all("link", rel=REST_API_REL):
        href = _attr(link, "href").strip()
        if href and _live(link):
            return href
    return None


def _page_url(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))


def _digits(value: str, *, default: str) -> str:
    match = _DIGITS.search(value)
    return match.group() if match else default


def _check_nonce(nonce: str, url: str, source: str) -> None:
    if not nonce:
        raise ChatPageError(
            f"No nonce found at {url}: {source} is missing or empty; {_PAGE_HINT}.",
            url=url,
            missing="nonce",
        )
    if NONCE_SHAPE.fullmatch(nonce) is None:
        raise ChatPageError(
            f"No nonce found at {url}: {source} is not a WordPress nonce (expected 10 hex "
            f"digits, got {len(nonce)} characters); {_PAGE_HINT}.",
            url=url,
            missing="nonce",
        )
