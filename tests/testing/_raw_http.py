"""Raw-socket HTTP for tests of the stand-in: no HTTP library between the test and its bytes."""

from __future__ import annotations

import html
import http.client
import json
import re
import socket
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from chatgpt4o.testing import LocalSite

PREAMBLE = b":" + b" " * 4096 + b"\n\n"
CONFIG = re.compile(r"""<div class="([^"]*)"[^>]*?\sdata-config='([^']*)'""")


@dataclass
class Raw:
    """A reply read from a raw socket: its chunks (or the fixed-length body)."""

    status: int
    headers: dict[str, str]
    chunks: list[bytes]
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
    """Send one request over a raw socket and read the reply."""
    parts = urlsplit(site.url)
    host, port = str(parts.hostname), int(parts.port or 80)
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
        got: dict[str, str] = {}
        while True:
            line = f.readline().decode("latin-1")
            if line in ("\r\n", ""):
                break
            name, _, value = line.partition(":")
            got[name.strip().lower()] = value.strip()
        status = int(status_line.split()[1])
        if got.get("transfer-encoding") != "chunked":
            return Raw(status, got, [f.read(int(got.get("content-length", "0")))], True)
        chunks: list[bytes] = []
        while True:
            size_line = f.readline()
            if not size_line:
                return Raw(status, got, chunks, False)
            size = int(size_line.strip(), 16)
            if size == 0:
                f.readline()
                return Raw(status, got, chunks, True)
            chunks.append(f.read(size))
            f.readline()


def multipart(fields: dict[str, str]) -> tuple[str, bytes]:
    """A ``multipart/form-data`` body, as a browser's ``FormData`` sends it."""
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in fields.items()
    ]
    body = ("".join(parts) + f"--{boundary}--\r\n").encode()
    return f"multipart/form-data; boundary={boundary}", body


def cache(site: LocalSite, message: str = "hi") -> Raw:
    """AIPKit: the cache POST of one message, with the page's nonce and first bot."""
    fields = {
        "action": "aipkit_cache_sse_message",
        "message": message,
        "_ajax_nonce": site.nonce,
        "bot_id": str(site.bot_id),
    }
    content_type, body = multipart(fields)
    return fetch(site, "POST", site.ajax_path, body=body, headers={"Content-Type": content_type})


def page_configs(page: str) -> list[tuple[str, dict[str, Any]]]:
    """``(class, config)`` of every element with a ``data-config``, in page order."""
    return [(m.group(1), json.loads(html.unescape(m.group(2)))) for m in CONFIG.finditer(page)]
