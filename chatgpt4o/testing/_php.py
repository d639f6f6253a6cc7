"""The PHP and WordPress string functions whose exact output the plugin's replies depend on."""

from __future__ import annotations

import json
import re
from typing import Any

_ENTITY = re.compile(r"&(?!#[0-9]+;|#[xX][0-9a-fA-F]+;|[A-Za-z][A-Za-z0-9]*;)")
_LESS_THAN = re.compile(r"<[^>]*?((?=<)|>|$)")
_SCRIPT_STYLE = re.compile(r"<(script|style)[^>]*?>.*?</\1>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<(?=\S)[^>]*>")  # PHP strip_tags keeps "<" before whitespace
_UNCLOSED_TAG = re.compile(r"<(?=\S)[^>]*$")
_BLANKS = re.compile(r"[\r\n\t ]+")
_OCTET = re.compile(r"%[a-f0-9]{2}", re.IGNORECASE)


def php_json(value: Any) -> str:
    """Encode like PHP's ``wp_send_json``: compact, ``/`` as ``\\/``, non-ASCII as ``\\uXXXX``.

    Example:
        >>> php_json({"url": "http://x/y", "text": "café"})
        '{"url":"http:\\\\/\\\\/x\\\\/y","text":"caf\\\\u00e9"}'

    Args:
        value: a JSON-serialisable value; dict order is kept.
    """
    return json.dumps(value, ensure_ascii=True, separators=(",", ":")).replace("/", "\\/")


def esc_html(text: str) -> str:
    """Escape like WordPress's ``esc_html()``: ``& < > " '``, without double-encoding entities.

    Example:
        >>> esc_html("It's <b> & &amp;")
        'It&#039;s &lt;b&gt; &amp; &amp;'

    Args:
        text: the text to escape.
    """
    text = _ENTITY.sub("&amp;", text)
    return (
        text.replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;").replace("'", "&#039;")
    )


def esc_url(url: str) -> str:
    """Escape a URL for an ``href`` roughly like WordPress's ``esc_url()`` (``&`` as ``&#038;``).

    Example:
        >>> esc_url("http://x/?a=1&b=2")
        'http://x/?a=1&#038;b=2'

    Args:
        url: the URL to escape.
    """
    return url.replace("&", "&#038;").replace('"', "%22").replace("'", "&#039;").replace(" ", "%20")


def addslashes(text: str) -> str:
    """Add PHP magic quotes (``wp_magic_quotes``): backslash before ``'``, ``"``, ``\\`` and NUL.

    Example:
        >>> addslashes('say "hi"')
        'say \\\\"hi\\\\"'

    Args:
        text: a request field as received.
    """
    return text.replace("\\", "\\\\").replace("'", "\\'").replace('"', '\\"').replace("\0", "\\0")


def _escape_lone_less_than(match: re.Match[str]) -> str:
    matched = match.group(0)
    return matched if ">" in matched else esc_html(matched)


def sanitize_text_field(text: str) -> str:
    """Sanitise like WordPress's ``sanitize_text_field()``.

    Lone ``<`` become ``&lt;``, tags (and script/style bodies) are stripped, runs of whitespace
    become one space, the ends are trimmed and ``%xx`` octets are removed.

    Example:
        >>> sanitize_text_field("<b>bold</b>  100%25\\n sure")
        'bold 100 sure'

    Args:
        text: the text to sanitise (already slashed, as the plugin reads it).
    """
    filtered = text
    if "<" in filtered:
        filtered = _LESS_THAN.sub(_escape_lone_less_than, filtered)
        filtered = _SCRIPT_STYLE.sub("", filtered)
        filtered = _TAG.sub("", filtered)
        filtered = _UNCLOSED_TAG.sub("", filtered)
        filtered = filtered.strip(" \t\n\r\0\x0b")
        filtered = filtered.replace("<\n", "&lt;\n")
    filtered = _BLANKS.sub(" ", filtered)
    filtered = filtered.strip(" \t\n\r\0\x0b")
    found = False
    while True:
        match = _OCTET.search(filtered)
        if match is None:
            break
        filtered = filtered.replace(match.group(0), "")
        found = True
    if found:
        filtered = re.sub(" +", " ", filtered).strip(" \t\n\r\0\x0b")
    return filtered
