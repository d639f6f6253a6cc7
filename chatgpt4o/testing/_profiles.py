"""The plugin eras the stand-in site can play, and what differs between them."""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal, Mapping

Era = Literal["1.7", "1.8", "1.9", "aipkit"]


@dataclass(frozen=True)
class Profile:
    """One AI Power plugin era as the stand-in site plays it.

    Example:
        >>> PROFILES["1.8.79"].stream_trailer
        True

    Attributes:
        name: the profile name accepted by ``LocalSite``.
        version: the plugin version the page advertises.
        era: ``"1.7"``, ``"1.8"``, ``"1.9"`` or ``"aipkit"``.
        description: one line for humans.
        can_stream: whether ``stream=True`` gives SSE replies (1.7 never streams).
        nonce_failure: ``"json-long"`` (1.7.14 text), ``"json"`` (1.8.79) or ``"403"`` (1.8.91+).
        reads_query: whether fields in a GET query count (``$_REQUEST``, up to 1.8.90).
        magic_quotes: whether the message keeps magic quotes and is sanitised (up to 1.8.90).
        stream_trailer: whether the bare JSON reply follows ``data: [DONE]`` (1.8.79).
        widget_only: whether the page has only the floating widget (``data-post-id="<N"``).
        chat_enabled: whether the ``wpaicg_*`` AJAX actions exist at all (not on AIPKit).
        json_action: AIPKit: ``aipkit_frontend_chat_message`` exists and the page config has
            ``streamEnabled`` (2.3 .. 2.4.0).
        refresh_action: AIPKit: ``aipkit_get_frontend_chat_nonce`` exists (2.3.41+).
        origin_gate: AIPKit: a foreign ``Origin`` is refused (the Pro embed check, 2.3.31+).
        status_events: AIPKit: the stream relays upstream ``event: status`` (2.3.69+).
        sse_preamble: AIPKit: the stream starts with ``:`` + 4096 spaces (2.3.93+).
        quota_notice: AIPKit: quota errors carry a ``quota_notice`` object (2.4.5+).
        api_mode_setting: AIPKit: the admin's OpenAI "API mode" setting exists, so the site
            can talk to the Chat Completions API instead of Responses (2.4.68+).
        many_images: AIPKit: ``image_inputs`` is read whole, up to 4 pictures (2.4.1+); before,
            only the first picture is read and the rest ignored unread.
        quota_message: AIPKit: the default quota-reached text of the era's bots.
        model: AIPKit: the bot's OpenAI model, as logged in the stored thread.
    """

    name: str
    version: str
    era: Era
    description: str
    can_stream: bool = True
    nonce_failure: Literal["json-long", "json", "403"] = "403"
    reads_query: bool = False
    magic_quotes: bool = False
    stream_trailer: bool = False
    widget_only: bool = False
    chat_enabled: bool = True
    json_action: bool = False
    refresh_action: bool = False
    origin_gate: bool = False
    status_events: bool = False
    sse_preamble: bool = False
    quota_notice: bool = False
    api_mode_setting: bool = False
    many_images: bool = False
    quota_message: str = ""
    model: str = ""


PROFILES: Mapping[str, Profile] = MappingProxyType(
    {
        "1.7": Profile(
            name="1.7",
            version="1.7.14",
            era="1.7",
            description="AI Power 1.7.x (2023): JSON only, long nonce text, wpaicg_ajax_url",
            can_stream=False,
            nonce_failure="json-long",
            reads_query=True,
            magic_quotes=True,
        ),
        "1.8.79": Profile(
            name="1.8.79",
            version="1.8.79",
            era="1.8",
            description="AI Power 1.8.79 (observed): 200 JSON nonce failure, [DONE] + bare JSON",
            nonce_failure="json",
            reads_query=True,
            magic_quotes=True,
            stream_trailer=True,
        ),
        "1.9.18": Profile(
            name="1.9.18",
            version="1.9.18",
            era="1.9",
            description="AI Power 1.9.18 (to 2.2): 403 HTML nonce failure, raw message, POST only",
        ),
        "widget": Profile(
            name="widget",
            version="1.9.18",
            era="1.9",
            description='AI Power 1.9.18 page with only the floating widget (data-post-id="<N")',
            widget_only=True,
        ),
        "2.3.20": Profile(
            name="2.3.20",
            version="2.3.20",
            era="aipkit",
            description="AI Puffer 2.3.20 .. 2.3.30: AIPKit JSON and SSE chat, no nonce refresh, "
            "no Origin check, no preamble",
            chat_enabled=False,
            json_action=True,
            quota_message="You have reached your token limit for this period.",
            model="gpt-4.1-mini",
        ),
        "2.4.0": Profile(
            name="2.4.0",
            version="2.4.0",
            era="aipkit",
            description="AI Puffer 2.4.0 (observed): SSE pair plus the JSON action, "
            "streamEnabled in data-config",
            chat_enabled=False,
            json_action=True,
            refresh_action=True,
            origin_gate=True,
            status_events=True,
            sse_preamble=True,
            quota_message="You have reached your quota for this period.",
            model="gpt-4.1-mini",
        ),
        "2.4.71": Profile(
            name="2.4.71",
            version="2.4.71",
            era="aipkit",
            description="AI Puffer 2.4.71 (observed, current): cache POST + SSE GET only",
            chat_enabled=False,
            refresh_action=True,
            origin_gate=True,
            status_events=True,
            sse_preamble=True,
            quota_notice=True,
            api_mode_setting=True,
            many_images=True,
            quota_message="You have reached your quota for this period.",
            model="gpt-5.6-luna",
        ),
    }
)


def get_profile(name: str) -> Profile:
    """Look a profile up by name; unknown names raise ``ValueError`` listing the valid ones.

    Example:
        >>> get_profile("widget").widget_only
        True
    """
    try:
        return PROFILES[name]
    except KeyError:
        valid = ", ".join(repr(key) for key in PROFILES)
        raise ValueError(f"unknown profile {name!r}; choose one of {valid}") from None
