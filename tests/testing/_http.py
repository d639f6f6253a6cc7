"""Tiny standard-library HTTP helpers for testing the stand-in site (no SDK code)."""

from __future__ import annotations

import http.client
import json
import socket
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

from chatgpt4o.testing import LocalSite

SHORTCODE = "wpaicg_chat_shortcode_message"


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes
    header_names: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    def json(self) -> Any:
        return json.loads(self.body)


def address(site: LocalSite) -> tuple[str, int]:
    parts = urlsplit(site.url)
    assert parts.hostname is not None
    assert parts.port is not None
    return parts.hostname, parts.port


def form(site: LocalSite, message: str = "hi", **overrides: str) -> dict[str, str]:
    fields = {
        "_wpnonce": site.nonce,
        "post_id": str(site.post_id),
        "url": site.url,
        "action": SHORTCODE,
        "message": message,
        "bot_id": "0",
        "chatbot_identity": "shortcode",
        "wpaicg_chat_client_id": "AbCdE12345",
        "wpaicg_chat_history": "[]",
    }
    fields.update(overrides)
    return {k: v for k, v in fields.items() if v is not None}


def multipart(fields: dict[str, str]) -> tuple[str, bytes]:
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in fields.items()
    ]
    body = ("".join(parts) + f"--{boundary}--\r\n").encode()
    return f"multipart/form-data; boundary={boundary}", body


def request(
    site: LocalSite,
    method: str = "GET",
    path: str = "/",
    *,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    conn: http.client.HTTPConnection | None = None,
) -> Response:
    own = conn is None
    connection = conn if conn is not None else http.client.HTTPConnection(*address(site), timeout=5)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        with connection.getresponse() as resp:
            data = resp.read()
            items = resp.getheaders()
            return Response(
                resp.status,
                {k.lower(): v for k, v in items},
                data,
                [k for k, _ in items],
            )
    finally:
        if own:
            connection.close()


def post(
    site: LocalSite,
    fields: dict[str, str],
    *,
    headers: dict[str, str] | None = None,
    path: str | None = None,
    conn: http.client.HTTPConnection | None = None,
) -> Response:
    all_headers = {"Content-Type": "application/x-www-form-urlencoded", **(headers or {})}
    return request(
        site,
        "POST",
        path or site.ajax_path,
        body=urlencode(fields).encode(),
        headers=all_headers,
        conn=conn,
    )


def chat(site: LocalSite, message: str = "hi", **overrides: str) -> Response:
    return post(site, form(site, message, **overrides))


@dataclass
class Stream:
    """A chunked reply read chunk by chunk from a raw socket, with arrival times."""

    status: int
    headers: dict[str, str]
    chunks: list[bytes]
    times: list[float]
    terminated: bool  # the zero-length chunk arrived

    @property
    def body(self) -> bytes:
        return b"".join(self.chunks)


def stream(site: LocalSite, fields: dict[str, str]) -> Stream:
    """POST ``fields`` over a raw socket and read the chunked reply without any HTTP library."""
    body = urlencode(fields).encode()
    host, port = address(site)
    head = (
        f"POST {site.ajax_path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode()
    with socket.create_connection((host, port), timeout=5) as sock, sock.makefile("rb") as f:
        sock.sendall(head + body)
        status_line = f.readline().decode("latin-1")
        status = int(status_line.split()[1])
        headers: dict[str, str] = {}
        while True:
            line = f.readline().decode("latin-1")
            if line in ("\r\n", ""):
                break
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        chunks: list[bytes] = []
        times: list[float] = []
        terminated = False
        if headers.get("transfer-encoding") != "chunked":
            length = int(headers.get("content-length", "0"))
            return Stream(status, headers, [f.read(length)], [time.monotonic()], True)
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
        return Stream(status, headers, chunks, times, terminated)


def content_of(chunks: list[bytes]) -> str:
    """Join the ``delta.content`` of OpenAI-style ``data:`` events."""
    text = ""
    for chunk in chunks:
        if not chunk.startswith(b"data: {"):
            continue
        obj = json.loads(chunk[len(b"data: ") :])
        text += obj["choices"][0].get("delta", {}).get("content", "") or ""
    return text
