"""The PHP and WordPress functions whose exact output the site depends on: strings, JSON, nonces."""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import re
from typing import Any

_ENTITY = re.compile(r"&(?!#[0-9]+;|#[xX][0-9a-fA-F]+;|[A-Za-z][A-Za-z0-9]*;)")
_LESS_THAN = re.compile(r"<[^>]*?((?=<)|>|$)")
_SCRIPT_STYLE = re.compile(r"<(script|style)[^>]*?>.*?</\1>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<(?=\S)[^>]*>")  # PHP strip_tags keeps "<" before whitespace
_UNCLOSED_TAG = re.compile(r"<(?=\S)[^>]*$")
_BLANKS = re.compile(r"[\r\n\t ]+")
_OCTET = re.compile(r"%[a-f0-9]{2}", re.IGNORECASE)
_KEY_DROP = re.compile(r"[^a-z0-9_\-]")
_INT_PREFIX = re.compile(r"[ \t\n\r\v\f]*([+-]?[0-9]+)")
_KSES_TAG = re.compile(r"<[A-Za-z/!][^<>]*>")
_SHORT_ESCAPES = {"\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
NONCE_LIFE = 86400.0  # WordPress's default nonce_life, in seconds
_HEX_ESCAPES = {"<": "\\u003C", ">": "\\u003E", "&": "\\u0026", "'": "\\u0027", '"': "\\u0022"}


def php_json(value: Any) -> str:
    """Encode like PHP's ``wp_send_json``: compact, ``/`` as ``\\/``, non-ASCII as ``\\uXXXX``.

    Example:
        >>> php_json({"url": "http://x/y", "text": "café"})
        '{"url":"http:\\\\/\\\\/x\\\\/y","text":"caf\\\\u00e9"}'
    """
    return json.dumps(value, ensure_ascii=True, separators=(",", ":")).replace("/", "\\/")


def _encode_string(text: str, *, unicode: bool, hex_chars: bool) -> str:
    out = ['"']
    for ch in text:
        code = ord(ch)
        if hex_chars and ch in _HEX_ESCAPES:
            out.append(_HEX_ESCAPES[ch])
        elif ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "/":
            out.append("\\/")
        elif ch in "\b\f\n\r\t":
            out.append(_SHORT_ESCAPES[ch])
        elif code < 0x20:
            out.append(f"\\u{code:04x}")
        elif code < 0x80 or (unicode and ch not in "\u2028\u2029"):
            out.append(ch)
        elif code > 0xFFFF:
            high, low = divmod(code - 0x10000, 0x400)
            out.append(f"\\u{0xD800 + high:04x}\\u{0xDC00 + low:04x}")
        else:
            out.append(f"\\u{code:04x}")
    out.append('"')
    return "".join(out)


def php_json_encode(value: Any, *, unicode: bool = False, hex_chars: bool = False) -> str:
    """Encode like PHP's ``json_encode``, with the flags the AIPKit plugin uses.

    ``/`` is always ``\\/``; ``unicode`` is ``JSON_UNESCAPED_UNICODE`` (U+2028/2029 stay
    escaped); ``hex_chars`` is ``JSON_HEX_TAG|JSON_HEX_APOS|JSON_HEX_AMP|JSON_HEX_QUOT``.

    Example:
        >>> php_json_encode({"a": "<é>"}, unicode=True, hex_chars=True)
        '{"a":"\\\\u003Cé\\\\u003E"}'
    """
    if isinstance(value, str):
        return _encode_string(value, unicode=unicode, hex_chars=hex_chars)
    if value is None or isinstance(value, (bool, int, float)):
        return json.dumps(value)
    if isinstance(value, dict):
        items = (
            _encode_string(str(key), unicode=unicode, hex_chars=hex_chars)
            + ":"
            + php_json_encode(item, unicode=unicode, hex_chars=hex_chars)
            for key, item in value.items()
        )
        return "{" + ",".join(items) + "}"
    if isinstance(value, (list, tuple)):
        inner = ",".join(php_json_encode(v, unicode=unicode, hex_chars=hex_chars) for v in value)
        return "[" + inner + "]"
    raise TypeError(f"cannot encode {type(value).__name__} like PHP")


def esc_html(text: str) -> str:
    """Escape like WordPress's ``esc_html()``: ``& < > " '``, without double-encoding entities.

    Example:
        >>> esc_html("It's <b> & &amp;")
        'It&#039;s &lt;b&gt; &amp; &amp;'
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
    """
    return url.replace("&", "&#038;").replace('"', "%22").replace("'", "&#039;").replace(" ", "%20")


def addslashes(text: str) -> str:
    """Add PHP magic quotes (``wp_magic_quotes``): backslash before ``'``, ``"``, ``\\`` and NUL.

    Example:
        >>> addslashes('say "hi"')
        'say \\\\"hi\\\\"'
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


def esc_attr(text: str) -> str:
    """Escape like WordPress's ``esc_attr()`` (the same replacements as ``esc_html()``).

    Example:
        >>> esc_attr('{"a":1}')
        '{&quot;a&quot;:1}'
    """
    return esc_html(text)


def sanitize_key(text: str) -> str:
    """Sanitise like WordPress's ``sanitize_key()``: lower-case, keep ``[a-z0-9_-]`` only.

    Example:
        >>> sanitize_key("AbC-1.2 x")
        'abc-12x'
    """
    return _KEY_DROP.sub("", text.lower())


def absint(text: str) -> int:
    """``absint()``: PHP's ``abs(intval($x))`` for a request string (leading digits count).

    Example:
        >>> (absint("12abc"), absint("-5"), absint("x"))
        (12, 5, 0)
    """
    match = _INT_PREFIX.match(text)
    return abs(int(match.group(1))) if match else 0


def php_empty(text: str) -> bool:
    """PHP's ``empty()`` for a string: ``""`` and ``"0"`` are empty.

    Example:
        >>> (php_empty("0"), php_empty(" "))
        (True, False)
    """
    return text in ("", "0")


def kses_post(text: str) -> str:
    """Approximate ``wp_kses_post()`` as the chat log applies it to stored messages.

    Bare ``&`` become ``&amp;`` and ``<``/``>`` outside tags become ``&lt;``/``&gt;``; tags
    are kept (the real filter also drops tags and attributes outside its allow list).

    Example:
        >>> kses_post("a & b < c <b>d</b>")
        'a &amp; b &lt; c <b>d</b>'
    """
    parts: list[str] = []
    last = 0
    for match in _KSES_TAG.finditer(text):
        parts.append(_kses_text(text[last : match.start()]))
        parts.append(match.group(0))
        last = match.end()
    parts.append(_kses_text(text[last:]))
    return "".join(parts)


def _kses_text(text: str) -> str:
    return _ENTITY.sub("&amp;", text).replace("<", "&lt;").replace(">", "&gt;")


def _nonce_tick(now: float, life: float) -> int:
    """WordPress's nonce tick, ``ceil(now / (life / 2))``: a nonce lives one or two ticks."""
    if life <= 0:
        raise ValueError(f"nonce life must be positive, got {life!r}")
    return math.ceil(now / (life / 2))


def _hash(secret: bytes | str, tick: int, action: str, uid: int, token: str) -> str:
    key = secret.encode() if isinstance(secret, str) else secret
    message = f"{tick}|{action}|{uid}|{token}".encode()
    return hmac.new(key, message, hashlib.md5).hexdigest()[-12:-2]


def create_nonce(
    secret: bytes | str,
    action: str = "wpaicg-chatbox",
    *,
    now: float,
    life: float = NONCE_LIFE,
    uid: int = 0,
    token: str = "",
) -> str:
    """Make the 10-hex nonce WordPress would print for ``action`` at time ``now``.

    ``substr(hash_hmac('md5', "$tick|$action|$uid|$token", $key), -12, 10)``, where the key is
    ``NONCE_KEY . NONCE_SALT`` on a real site and ``secret`` here.

    Example:
        >>> create_nonce("put your unique phrase here", now=1_700_000_000.0)
        'b9afe1f0ff'

    Args:
        secret: the site's nonce key and salt.
        action: the nonce action; ``"wpaicg-chatbox"`` for AI Power's chat.
        now: Unix time in seconds.
        life: the nonce life in seconds.
        uid: the user ID, 0 for anonymous visitors.
        token: the session token, empty for anonymous visitors.
    """
    return _hash(secret, _nonce_tick(now, life), action, uid, token)


def verify_nonce(
    nonce: str,
    secret: bytes | str,
    action: str = "wpaicg-chatbox",
    *,
    now: float,
    life: float = NONCE_LIFE,
    uid: int = 0,
    token: str = "",
) -> int:
    """Check a nonce like ``wp_verify_nonce()``: 1 if from this tick, 2 if from the last, else 0.

    The comparison is constant-time; an empty nonce always fails.

    Example:
        >>> verify_nonce("b9afe1f0ff", "put your unique phrase here", now=1_700_000_000.0)
        1

    Args:
        nonce: the nonce a client sent.
        secret: the site's nonce key and salt.
        action: the nonce action it must have been made for.
        now: Unix time in seconds.
        life: the nonce life in seconds.
        uid: the user ID, 0 for anonymous visitors.
        token: the session token, empty for anonymous visitors.
    """
    if not nonce:
        return 0
    tick = _nonce_tick(now, life)
    for age, candidate_tick in ((1, tick), (2, tick - 1)):
        expected = _hash(secret, candidate_tick, action, uid, token)
        if hmac.compare_digest(expected.encode(), nonce.encode("utf-8", "replace")):
            return age
    return 0
