"""The plugin's reading of ``image_inputs`` (2.4.1+ and 2.3.71 → 2.4.0), and what the model gets.

Pure functions, byte for byte as ``ChatImageInputValidator::parse_and_validate`` answers (2.4.71:
``classes/chat/core/validation/``; 2.4.0: ``classes/chat/core/ajax-processor/frontend-chat/``),
with PHP's ``json_decode``, ``(string)`` casts, ``trim``, ``preg_replace('/\\s+/')`` and strict
``base64_decode`` written out here because the refusals depend on their exact edges. The site
trusts the declared type and never looks at the bytes; so does this module. Then the parts the
model receives (Responses ``input_image`` or Chat Completions ``image_url``, last user turn only)
and a note naming each picture the model got, as the recordings' stand-in model wrote it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Optional, Union

from chatgpt4o.testing._php import php_empty, php_json, sanitize_text_field

MAX_IMAGES = 4
MAX_IMAGE_BYTES = 20971520
_ALLOWED = ("image/jpeg", "image/png", "image/webp")
_PHP_TRIM = " \t\n\r\0\x0b"
_PCRE_SPACE = re.compile(r"[ \t\n\x0b\f\r]+")
_BASE64_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")


@dataclass(frozen=True)
class ImagePart:
    """One picture as the plugin keeps it and hands it to the model.

    Attributes:
        mime_type: the declared type, lower-cased (trusted: the bytes are never looked at).
        base64: the base64 with whitespace and any ``data:…base64,`` prefix removed.
        data: the decoded bytes.
    """

    mime_type: str
    base64: str
    data: bytes

    @property
    def data_url(self) -> str:
        """``data:<type>;base64,<base64>``, as the plugin sends it upstream."""
        return f"data:{self.mime_type};base64,{self.base64}"

    def describe(self) -> str:
        """``image/png 70 bytes sha256:49e1dad481e9`` (the recordings' model note)."""
        digest = hashlib.sha256(self.data).hexdigest()[:12]
        return f"{self.mime_type} {len(self.data)} bytes sha256:{digest}"


@dataclass(frozen=True)
class ImageRefusal:
    """A refusal of ``image_inputs``: the HTTP status, the plugin's code and its message."""

    status: int
    code: str
    message: str

    def body(self, *, with_code: bool = True) -> str:
        """The ``wp_send_json_error`` body: the cache POST sends the code, 2.4.0's JSON POST not."""
        data = (
            {"message": self.message, "code": self.code} if with_code else {"message": self.message}
        )
        return php_json({"success": False, "data": data})


_BAD_PAYLOAD = ImageRefusal(400, "invalid_image_payload", "Invalid image upload payload.")
_BAD_DATA = ImageRefusal(400, "invalid_image_payload", "Invalid image data provided.")
_BAD_TYPE = ImageRefusal(400, "invalid_image_type", "Invalid image type. Allowed: JPG, PNG, WEBP.")
_TOO_MANY = ImageRefusal(
    400, "too_many_images", f"Too many images uploaded. Max images: {MAX_IMAGES}."
)
_TOO_LARGE = ImageRefusal(413, "image_too_large", "Image is too large. Max size: 20MB.")

_NOT_JSON = object()


def _reject_constant(name: str) -> object:
    raise ValueError(name)  # PHP's json_decode has no NaN or Infinity


def _json_decode(text: str) -> object:
    """PHP's ``json_decode($text, true)``, or ``_NOT_JSON`` where PHP returns null for bad JSON."""
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        return _NOT_JSON


def _php_string(value: object) -> str:
    """PHP's ``(string)`` cast of a decoded JSON value."""
    if isinstance(value, bool):
        return "1" if value else ""
    if isinstance(value, float):
        if math.isfinite(value) and value == int(value) and abs(value) < 1e15:
            return str(int(value))
        return repr(value).replace("e+", "E+").replace("e-", "E-")
    if isinstance(value, (list, dict)):
        return "Array"
    return str(value)


def _php_field(item: object, key: str) -> str:
    """``isset($item[$key]) ? (string) $item[$key] : ''`` for a decoded JSON item."""
    value = item.get(key) if isinstance(item, dict) else None
    return "" if value is None else _php_string(value)


def _strict_base64(text: str) -> Optional[bytes]:
    """PHP's ``base64_decode($text, true)``: padding may be missing but never wrong."""
    padding = count = 0
    for char in text:
        if char == "=":
            padding += 1
            continue
        if char not in _BASE64_ALPHABET or padding:
            return None
        count += 1
    if count % 4 == 1 or (padding and (padding > 2 or (count + padding) % 4)):
        return None
    body = text.rstrip("=")
    return base64.b64decode(body + "=" * (-len(body) % 4))


def _read_item(item: object) -> Union[ImagePart, ImageRefusal]:
    if not isinstance(item, (list, dict)):
        return _BAD_PAYLOAD
    # strtolower() changes ASCII letters only
    mime_type = sanitize_text_field(_php_field(item, "mime_type")).encode().lower().decode()
    data = _php_field(item, "base64_data").strip(_PHP_TRIM)
    if mime_type == "" or data == "":
        return _BAD_PAYLOAD
    if data.startswith("data:"):
        _, found, rest = data.partition("base64,")
        if found:
            data = rest
    if mime_type not in _ALLOWED:
        return _BAD_TYPE
    data = _PCRE_SPACE.sub("", data)
    if data == "":
        return _BAD_DATA
    decoded = _strict_base64(data)
    if not decoded:
        return _BAD_DATA
    if len(decoded) > MAX_IMAGE_BYTES:
        return _TOO_LARGE
    return ImagePart(mime_type, data, decoded)


def read_image_inputs(
    value: Optional[str], *, multiple: bool = True
) -> Union[tuple[ImagePart, ...], ImageRefusal]:
    """The pictures of a posted ``image_inputs`` field, or the plugin's refusal of it.

    ``multiple``: 2.4.1+ (up to 4, each checked in order); False for 2.3.71 → 2.4.0, which reads
    the first item and ignores the rest unread. No field, ``""`` or ``"0"``: no pictures.
    """
    if value is None or php_empty(value):
        return ()
    decoded = _json_decode(value)
    if not multiple:
        first: object = None
        if isinstance(decoded, list) and decoded:
            first = decoded[0]
        elif isinstance(decoded, dict):
            first = decoded.get("0")  # PHP turns the key "0" into the index 0
        if not isinstance(first, (list, dict)):
            return _BAD_PAYLOAD
        part = _read_item(first)
        return part if isinstance(part, ImageRefusal) else (part,)
    if not isinstance(decoded, (list, dict)) or not decoded:
        return _BAD_PAYLOAD
    if len(decoded) > MAX_IMAGES:
        return _TOO_MANY
    parts = []
    for item in decoded.values() if isinstance(decoded, dict) else decoded:
        part = _read_item(item)
        if isinstance(part, ImageRefusal):
            return part
        parts.append(part)
    return tuple(parts)


def user_turn(
    message: str, parts: Sequence[ImagePart], *, api_mode: str = "responses"
) -> Optional[dict[str, object]]:
    """The last user turn the model receives, or None: the plugin trims the text and drops an
    empty turn, pictures and all.

    ``api_mode``: ``"responses"`` (``input_text`` + ``input_image`` parts) or
    ``"chat_completions"`` (``text`` + ``image_url`` parts). Without pictures the content is the
    text alone; earlier turns are always replayed as text.
    """
    text = message.strip(_PHP_TRIM)
    if not text:
        return None
    if not parts:
        return {"role": "user", "content": text}
    content: list[dict[str, object]]
    if api_mode == "chat_completions":
        content = [{"type": "text", "text": text}]
        content += [{"type": "image_url", "image_url": {"url": p.data_url}} for p in parts]
    else:
        content = [{"type": "input_text", "text": text}]
        content += [{"type": "input_image", "image_url": p.data_url} for p in parts]
    return {"role": "user", "content": content}


def _data_url(part: object) -> Optional[str]:
    if not isinstance(part, dict):
        return None
    if part.get("type") == "input_image":
        url = part.get("image_url")
    elif part.get("type") == "image_url" and isinstance(part.get("image_url"), dict):
        url = part["image_url"].get("url")
    else:
        return None
    return url if isinstance(url, str) else None


def describe_content_images(content: object) -> str:
    """``[images: image/png 70 bytes sha256:49e1dad481e9, …]`` for the pictures in a user turn's
    content as the model received it (either API mode); ``""`` when there are none.

    The model-side proof of which bytes arrived: the type is the one in the data URL, size and
    hash are of the decoded bytes.
    """
    if not isinstance(content, list):
        return ""
    notes = []
    for part in content:
        url = _data_url(part)
        if url is None:
            continue
        head, _, data = url.partition(",")
        mime_type = head[len("data:") :].split(";")[0]
        raw = base64.b64decode(data)
        notes.append(f"{mime_type} {len(raw)} bytes sha256:{hashlib.sha256(raw).hexdigest()[:12]}")
    return f"[images: {', '.join(notes)}]" if notes else ""
