"""What the stand-in site saw: request records and the form parsing behind them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable
from urllib.parse import parse_qsl

_PARAM = re.compile(r';\s*([A-Za-z0-9_*-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)')


@dataclass(frozen=True)
class RecordedRequest:
    """One request the site received, as WordPress would have seen it.
    Attributes:
        method: ``"GET"``, ``"POST"``, ...
        path: the URL path without the query.
        query: the query string's fields (last value wins, like PHP).
        content_type: the ``Content-Type`` header, ``""`` if none.
        fields: the form fields: from an urlencoded or multipart body, or for GET from the query.
        headers: request headers, names lower-cased (repeats joined with ``", "``).
        cookies: cookies sent in ``Cookie`` headers.
        body: the raw request body.
        remote_addr: the client's IP address (PHP's ``REMOTE_ADDR``).
    """

    method: str
    path: str
    query: dict[str, str]
    content_type: str
    fields: dict[str, str]
    headers: dict[str, str]
    cookies: dict[str, str]
    body: bytes = field(default=b"", repr=False)
    remote_addr: str = ""

    @property
    def action(self) -> str:
        """The AJAX ``action`` as admin-ajax.php reads it (``$_REQUEST``: POST over query)."""
        if self.method == "POST" and "action" in self.fields:
            return self.fields["action"]
        return self.query.get("action", "")


def _params(header_value: str) -> dict[str, str]:
    params: dict[str, str] = {}
    for name, raw in _PARAM.findall(";" + header_value.split(";", 1)[-1]):
        value = raw.strip()
        if value.startswith('"') and value.endswith('"') and len(value) >= 2:
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        params[name.lower()] = value
    return params


def parse_multipart(content_type: str, body: bytes) -> dict[str, str]:
    """Parse a ``multipart/form-data`` body into fields (files become their decoded content)."""
    boundary = _params(content_type).get("boundary", "")
    if not boundary:
        return {}
    fields: dict[str, str] = {}
    delimiter = b"--" + boundary.encode("latin-1")
    for part in body.split(delimiter)[1:]:
        if part.startswith(b"--"):
            break
        part = part[2:] if part.startswith(b"\r\n") else part.lstrip(b"\n")
        head, sep, content = part.partition(b"\r\n\r\n")
        if not sep:
            continue
        if content.endswith(b"\r\n"):
            content = content[:-2]
        name = None
        for line in head.decode("latin-1").split("\r\n"):
            key, _, value = line.partition(":")
            if key.strip().lower() == "content-disposition":
                name = _params(value).get("name")
        if name is not None:
            fields[name] = content.decode("utf-8", "replace")
    return fields


def parse_form(content_type: str, body: bytes) -> dict[str, str]:
    """Parse a request body the way PHP fills ``$_POST``; JSON and other types give ``{}``."""
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind == "application/x-www-form-urlencoded":
        return parse_query(body.decode("latin-1"), encoding="utf-8")
    if kind == "multipart/form-data":
        return parse_multipart(content_type, body)
    return {}


def parse_query(query: str, *, encoding: str = "utf-8") -> dict[str, str]:
    """Parse a query string; a repeated name keeps its last value, as in PHP."""
    return dict(parse_qsl(query, keep_blank_values=True, encoding=encoding, errors="replace"))


def parse_cookies(values: Iterable[str]) -> dict[str, str]:
    """Parse ``Cookie`` header values into a dict."""
    cookies: dict[str, str] = {}
    for value in values:
        for item in value.split(";"):
            name, sep, content = item.strip().partition("=")
            if sep and name:
                cookies[name] = content.strip().strip('"')
    return cookies


def header_dict(items: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Lower-case header names; repeated headers are joined with ``", "``."""
    headers: dict[str, str] = {}
    for name, value in items:
        key = name.lower()
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    return headers
