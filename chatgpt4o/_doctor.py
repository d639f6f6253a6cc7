"""``chatgpt4o doctor URL``: diagnose a site step by step, timed, as text or ``--json``.

The exit code is 0 only when a message can be sent (with ``--send``: when the test message got
its reply).
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Optional

from ._exceptions import APIError, ChatPageError
from ._images import allowed_images
from ._network import describe_network_error
from ._output import EXIT_BLOCKED, EXIT_NO_CHAT, EXIT_SITE, Output, describe_failure

if TYPE_CHECKING:
    import argparse

    from ._client import Client
    from ._page import Page

__all__ = ["Report", "Step", "diagnose", "run_doctor", "version_hints"]

TEST_MESSAGE = "Hello from chatgpt4o doctor: please answer with one word."

# /wp-content/plugins/<slug>/...?ver=<version> in the page's script and style URLs.
_PLUGIN_ASSET = re.compile(
    r"""/wp-content/plugins/([A-Za-z0-9_.-]+)/[^"'\s?<>]*\?(?:[^"'\s<>]*&(?:amp;)?)?ver=([\w.-]+)"""
)
_GENERATOR = re.compile(r"""<meta\s+name=["']generator["']\s+content=["']([^"']+)["']""", re.I)
_CHAT_PLUGINS = ("gpt3-ai-content-generator", "ai-power", "aipkit", "ai-puffer", "wpaicg")


@dataclass
class Step:
    """One step of the diagnosis: ``ok`` is None when only informative; ``data`` goes to
    ``--json`` (never the nonce)."""

    name: str
    ok: Optional[bool]
    detail: str
    seconds: float = 0.0
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class Report:
    """What the doctor found: the steps in order, and whether a message can be sent."""

    url: str
    steps: list[Step] = field(default_factory=list)
    can_send: bool = False
    exit_code: int = 0


def version_hints(html: str) -> dict[str, list[str]]:
    """The ``ver=`` of each chat plugin's script and style URLs, and WordPress's generator.

    Example::

        >>> version_hints("<script src='/wp-content/plugins/aipkit/main.js?ver=2.4.71'>")
        {'aipkit': ['2.4.71']}
    """
    hints: dict[str, list[str]] = {}
    for slug, version in _PLUGIN_ASSET.findall(html):
        if any(name in slug.lower() for name in _CHAT_PLUGINS):
            versions = hints.setdefault(slug, [])
            if version not in versions:
                versions.append(version)
    generator = _GENERATOR.search(html)
    if generator:
        hints["generator"] = [generator.group(1)]
    return hints


def diagnose(client: Client, *, send: bool = False) -> Report:
    """Diagnose the site of ``client`` (its nonce cache left alone); ``send`` one test message.

    Example::

        report = diagnose(client, send=True)
    """
    from ._cloudflare import is_cloudflare_page
    from ._nonce_cache import page_request
    from ._page import extract_page

    report = Report(client.base_url)
    started = time.perf_counter()

    def add(
        name: str, ok: Optional[bool], detail: str, data: Optional[dict[str, Any]] = None
    ) -> None:
        nonlocal started
        now = time.perf_counter()
        report.steps.append(Step(name, ok, detail, now - started, data or {}))
        started = now

    try:
        reply = client.perform(page_request(client.base_url, bust_cache=False))
    except APIError as exc:
        cause = describe_network_error(exc)
        add("reach", False, f"cannot reach {client.base_url}: {cause}", {"cause": cause})
        report.exit_code = describe_failure(exc)[0]
        return report
    status, size, missing = reply.status_code, len(reply.body), reply.status_code in (404, 410)
    detail = f"HTTP {status} from {reply.url} ({size} bytes)"
    detail += ": no such page, check the URL" if missing else ""
    add("reach", status < 400, detail, {"status": status, "final_url": reply.url, "bytes": size})

    blocked = is_cloudflare_page(reply.text, reply.headers)
    if blocked or status == 429:
        add(
            "block",
            False,
            "a Cloudflare challenge or block page: the site blocks automated clients"
            if blocked
            else "HTTP 429: the site rate-limits this client",
        )
        report.exit_code = EXIT_BLOCKED
        return report
    add("block", True, "no Cloudflare challenge or block page")
    if status >= 400:
        report.exit_code = EXIT_NO_CHAT if missing else EXIT_SITE
        return report

    hints = version_hints(reply.text)
    plugin_hints = {slug: vers for slug, vers in hints.items() if slug != "generator"}
    detail = (
        "version hints: "
        + "; ".join(f"{slug} ver={', '.join(vers)}" for slug, vers in plugin_hints.items())
        if plugin_hints
        else "no version hints from the chat plugin's scripts or styles"
    ) + (f"; {hints['generator'][0]}" if "generator" in hints else "")
    add("plugin", None, detail, {"versions": hints})

    try:
        page = extract_page(reply.text, reply.url, link_header=reply.headers.get("link"))
    except ChatPageError as exc:
        add("chats", False, f"no usable chat: {exc.message}", {"missing": exc.missing})
        report.exit_code = EXIT_NO_CHAT
        return report
    add("chats", True, *_describe_chats(page))
    report.can_send = True
    add("pictures", None, *_describe_pictures(page))
    add("refresh", *_refresh(client, page))

    if send:
        try:
            answer = client.ask(TEST_MESSAGE)
        except APIError as exc:
            report.exit_code, line = describe_failure(exc)
            add("send", False, line, {"error": type(exc).__name__})
            report.can_send = False
            return report
        shown = " ".join(answer.split())
        detail = f"the test message got a reply: {shown[:80]!r}" + ("…" if len(shown) > 80 else "")
        add("send", True, detail, {"reply_chars": len(answer)})
    return report


def _describe_chats(page: Page) -> tuple[str, dict[str, Any]]:
    generation = "AIPKit (AI Puffer 2.3+)" if page.generation == "aipkit" else "wpaicg (1.7-2.2)"
    chats = [
        {
            "bot_id": chat.bot_id,
            "post_id": chat.post_id,
            "chat_type": chat.chat_type,
            "streams": chat.streams,
            "nonce_found": bool(chat.nonce),
            "ajax_url": chat.ajax_url,
        }
        for chat in page.chats
    ]
    first = page.chats[0]
    detail = (
        f"{generation}: {len(chats)} chat(s), bot ids {', '.join(page.bot_ids)}, "
        f"{first.chat_type}, post id {first.post_id or 'none'}, nonce found "
        f"({len(first.nonce)} characters), {'streams' if first.streams else 'JSON replies'}, "
        f"AJAX {first.ajax_url}"
    )
    return detail, {"generation": page.generation, "chats": chats, "streams": first.streams}


def _describe_pictures(page: Page) -> tuple[str, dict[str, Any]]:
    """Which bots take pictures and how many per message, as the clients will allow them."""
    if page.generation != "aipkit":
        detail = "the old AI Power plugin (1.7-2.2) takes no pictures"
        return detail, {"bots": [{"bot_id": chat.bot_id, "max_images": 0} for chat in page.chats]}
    bots: list[dict[str, Any]] = []
    parts: list[str] = []
    for chat in page.chats:
        count = allowed_images(
            generation=chat.generation,
            upload_enabled=chat.image_upload,
            plugin_version=chat.plugin_version,
        )
        bots.append({"bot_id": chat.bot_id, "image_upload": chat.image_upload, "max_images": count})
        if count == 0:
            parts.append(f"bot {chat.bot_id} takes none (its page offers no image upload)")
        elif count == 1:
            version = chat.plugin_version or "an unknown version"
            parts.append(
                f"bot {chat.bot_id} takes 1 per message (AI Puffer {version} reads only the first)"
            )
        else:
            parts.append(f"bot {chat.bot_id} takes up to {count} per message")
    return "; ".join(parts), {"bots": bots}


def _refresh(client: Client, page: Page) -> tuple[Optional[bool], str, dict[str, Any]]:
    from . import _aipkit

    if page.generation != "aipkit":
        detail = "no nonce refresh action on this plugin generation: a page fetch renews it"
        return None, detail, {"exists": None}
    try:
        reply = client.perform(_aipkit.refresh_request(page.chats[0]))
        nonce = _aipkit.read_refreshed_nonce(reply)
    except APIError as exc:
        detail = f"the nonce refresh action failed: {' '.join(exc.message.split())}"
        return None, detail, {"exists": None, "error": type(exc).__name__}
    if nonce is None:
        detail = "no nonce refresh action (400 0): an expired nonce costs a page fetch"
        return None, detail, {"exists": False}
    return True, "the nonce refresh action answers with a fresh nonce", {"exists": True}


def run_doctor(client: Client, args: argparse.Namespace, out: Output) -> int:
    """Run ``chatgpt4o doctor`` on ``client``'s site; print the report; its exit code."""
    report = diagnose(client, send=args.send)
    if args.json:
        data = asdict(report)
        out.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
        return report.exit_code
    out.write(f"chatgpt4o doctor {report.url}\n")
    marks = {True: "ok  ", False: "FAIL", None: "info"}
    for step in report.steps:
        out.write(f"  {marks[step.ok]} {step.name:<8} {step.detail} ({step.seconds:.2f} s)\n")
    verdict = (
        "a message can be sent"
        if report.can_send and report.exit_code == 0
        else "no message can be sent"
    )
    out.write(f"Verdict: {verdict}.\n")
    return report.exit_code
