"""Raw HTTP helpers for the stand-in's AIPKit profiles: a browser-like guest, SSE parsing."""

from __future__ import annotations

import html
import http.client
import json
import re
import socket
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from chatgpt4o.testing import LocalSite

from ._http import address, multipart

PREAMBLE = b":" + b" " * 4096 + b"\n\n"
CONFIG = re.compile(r"""<div class="([^"]*)"[^>]*?\sdata-config='([^']*)'""")


@dataclass
class Raw:
    """A reply read from a raw socket: chunks as they arrived (or the fixed-length body)."""

    status: int
    headers: dict[str, str]
    header_names: list[str]
    chunks: list[bytes]
    times: list[float]
    terminated: bool  # a fixed-length body, or the zero-length chunk arrived

    @property
    def body(self) -> bytes:
        return b"".join(self.chunks)

    def json(self) -> Any:
        return json.loads(self.body)


def fetch(
    site: LocalSite,
    method: str,
    target: str,
    *,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
) -> Raw:
    """Send one request over a raw socket and read the reply without any HTTP library."""
    host, port = address(site)
    lines = [f"{method} {target} HTTP/1.1", f"Host: {host}:{port}", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    if body or method == "POST":
        lines.append(f"Content-Length: {len(body)}")
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    with socket.create_connection((host, port), timeout=10) as sock, sock.makefile("rb") as f:
        sock.sendall(head + body)
        status_line = f.readline().decode("latin-1")
        if not status_line:
            raise http.client.RemoteDisconnected("the server closed the connection, no reply")
        status = int(status_line.split()[1])
        names: list[str] = []
        got: dict[str, str] = {}
        while True:
            line = f.readline().decode("latin-1")
            if line in ("\r\n", ""):
                break
            name, _, value = line.partition(":")
            names.append(name.strip())
            got[name.strip().lower()] = value.strip()
        if got.get("transfer-encoding") != "chunked":
            data = f.read(int(got.get("content-length", "0")))
            return Raw(status, got, names, [data], [time.monotonic()], True)
        chunks: list[bytes] = []
        times: list[float] = []
        terminated = False
        while True:
            size_line = f.readline()
            if not size_line:
                break
            size = int(size_line.strip(), 16)
            if size == 0:
                f.readline()
                terminated = True
                break
            chunks.append(f.read(size))
            times.append(time.monotonic())
            f.readline()
        return Raw(status, got, names, chunks, times, terminated)


@dataclass
class Event:
    """One server-sent event."""

    name: str | None
    id: str | None
    data: Any
    raw: bytes


def sse_events(body: bytes) -> list[Event]:
    """Parse an event-stream body; comments (the preamble) are skipped."""
    events: list[Event] = []
    for block in body.split(b"\n\n"):
        if not block or block.startswith(b":"):
            continue
        name = event_id = None
        data_lines: list[str] = []
        for line in block.decode("utf-8").split("\n"):
            key, _, value = line.partition(": ")
            if key == "event":
                name = value
            elif key == "id":
                event_id = value
            elif key == "data":
                data_lines.append(value)
        data = json.loads("\n".join(data_lines)) if data_lines else None
        events.append(Event(name, event_id, data, block + b"\n\n"))
    return events


def text_of(events: list[Event]) -> str:
    """Join the ``delta`` of the unnamed ``data:`` events, as a browser shows them."""
    return "".join(e.data["delta"] for e in events if e.name is None)


def names(events: list[Event]) -> list[str]:
    """The events' names, ``"delta"`` for unnamed text pieces."""
    return [e.name or "delta" for e in events]


def page_configs(page: str) -> list[tuple[str, dict[str, Any]]]:
    """``(class, config)`` of every element with a ``data-config``, in page order."""
    return [(m.group(1), json.loads(html.unescape(m.group(2)))) for m in CONFIG.finditer(page)]


def form_post(
    site: LocalSite,
    fields: dict[str, str],
    *,
    as_multipart: bool = True,
    headers: dict[str, str] | None = None,
    query: str = "",
) -> Raw:
    """POST fields to the AJAX endpoint (multipart, as the browser's FormData, or urlencoded)."""
    if as_multipart:
        content_type, body = multipart(fields)
    else:
        content_type, body = "application/x-www-form-urlencoded", urlencode(fields).encode()
    target = site.ajax_path + (f"?{query}" if query else "")
    return fetch(
        site,
        "POST",
        target,
        body=body,
        headers={"Content-Type": content_type, **(headers or {})},
    )


@dataclass
class Guest:
    """A browser-like visitor of an AIPKit page."""

    site: LocalSite
    nonce: str = ""
    bot_id: int = 0
    post_id: int = 0
    session_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    conversation_uuid: str = field(default_factory=lambda: str(uuid.uuid4()))

    def __post_init__(self) -> None:
        self.nonce = self.nonce or self.site.nonce
        self.bot_id = self.bot_id or self.site.bot_id
        self.post_id = self.post_id or self.site.post_id

    def cache(self, message: str, **overrides: str | None) -> Raw:
        fields: dict[str, str | None] = {
            "action": "aipkit_cache_sse_message",
            "message": message,
            "_ajax_nonce": self.nonce,
            "bot_id": str(self.bot_id),
            "user_client_message_id": f"aipkit-client-msg-{self.bot_id}-{time.time_ns()}-abcde",
        }
        fields.update(overrides)
        return form_post(self.site, {k: v for k, v in fields.items() if v is not None})

    def stream(
        self, cache_key: str, headers: dict[str, str] | None = None, **overrides: str | None
    ) -> Raw:
        fields: dict[str, str | None] = {
            "action": "aipkit_frontend_chat_stream",
            "cache_key": cache_key,
            "bot_id": str(self.bot_id),
            "session_id": self.session_id,
            "conversation_uuid": self.conversation_uuid,
            "post_id": str(self.post_id),
            "_ts": str(time.time_ns() // 1_000_000),
            "_ajax_nonce": self.nonce,
        }
        fields.update(overrides)
        query = urlencode({k: v for k, v in fields.items() if v is not None})
        sse = {"Accept": "text/event-stream", "Cache-Control": "no-cache", **(headers or {})}
        return fetch(self.site, "GET", f"{self.site.ajax_path}?{query}", headers=sse)

    def key(self, message: str = "hi") -> str:
        reply = self.cache(message)
        assert reply.status == 200, reply.body
        return str(reply.json()["data"]["cache_key"])

    def send(self, message: str) -> list[Event]:
        """Cache then stream one message; returns the stream's events."""
        reply = self.stream(self.key(message))
        assert reply.status == 200
        return sse_events(reply.body)

    def refresh(self, **fields: str) -> Raw:
        return form_post(self.site, {"action": "aipkit_get_frontend_chat_nonce", **fields})

    def history(self, **overrides: str | None) -> Raw:
        fields: dict[str, str | None] = {
            "action": "aipkit_get_conversation_history",
            "_ajax_nonce": self.nonce,
            "bot_id": str(self.bot_id),
            "session_id": self.session_id,
            "conversation_uuid": self.conversation_uuid,
        }
        fields.update(overrides)
        return form_post(self.site, {k: v for k, v in fields.items() if v is not None})

    def json_message(self, message: str, **overrides: str | None) -> Raw:
        fields: dict[str, str | None] = {
            "action": "aipkit_frontend_chat_message",
            "_ajax_nonce": self.nonce,
            "bot_id": str(self.bot_id),
            "session_id": self.session_id,
            "conversation_uuid": self.conversation_uuid,
            "post_id": str(self.post_id),
            "message": message,
        }
        fields.update(overrides)
        return form_post(self.site, {k: v for k, v in fields.items() if v is not None})
