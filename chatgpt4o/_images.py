"""Pictures in a message: read them, check them and encode the site's ``image_inputs`` (no network).

AI Puffer 2.3.71+ passes pictures to the model when the cache POST (or 2.4.0's JSON POST) carries
``image_inputs``, a JSON list of ``{"mime_type", "base64_data"}``. The site trusts the declared
type, so the type is read here from the bytes' magic numbers (a tiny hand-written table: no
well-kept library sniffs three formats without an imaging stack). Remote ``http(s)`` URLs are only
recognised (``RemoteImage``): fetching them is the caller's I/O, and only when the user allowed it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import BinaryIO, Optional, Union

from ._exceptions import (
    ImageRejectedError,
    ImagesNotSupportedError,
    ImageTooLargeError,
    ImageTooLargeForSiteError,
    InvalidImageError,
    InvalidRequestError,
    InvalidRequestTypeError,
)

__all__ = [
    "DEFAULT_IMAGE_PROMPT",
    "DEFAULT_MAX_IMAGE_BYTES",
    "HOST_LIMIT_SUSPECT_BYTES",
    "SITE_MAX_IMAGES",
    "SITE_MAX_IMAGE_BYTES",
    "ImageInput",
    "ImageLike",
    "ImageSource",
    "Images",
    "RemoteImage",
    "allowed_images",
    "check_images_allowed",
    "check_max_image_bytes",
    "classify_image_refusal",
    "image_from_bytes",
    "image_from_content_part",
    "image_from_data_url",
    "image_from_file",
    "image_inputs_field",
    "load_image",
    "load_images",
    "message_text_for_images",
    "sniff_image_type",
    "split_content",
    "with_image_inputs",
]

# The plugin's own limits (ChatImageInputValidator, 2.4.1+; 2.3.71 -> 2.4.0 read one picture).
SITE_MAX_IMAGES = 4
SITE_MAX_IMAGE_BYTES = 20 * 1024 * 1024  # 20971520 decoded bytes

# What a typical host takes: PHP's usual 8 MiB post_max_size holds a picture of about 5.9 MB as
# urlencoded base64 (a recorded 6.5 MB one got 400 ``0``); past it wait PHP's 128 MiB
# memory_limit (13 MB crashed the plugin) and MySQL 5.7's 4 MiB max_allowed_packet.
DEFAULT_MAX_IMAGE_BYTES = 5 * 1024 * 1024

# Below this many bytes of pictures, a 400 ``0`` or a 500 page is not blamed on their size.
HOST_LIMIT_SUSPECT_BYTES = 1024 * 1024

# The plugin drops a turn whose trimmed text is empty, picture and all, and says nothing; a
# picture without words gets this question instead, which is what a user sending one means.
DEFAULT_IMAGE_PROMPT = "What is in this image?"

_TAKEN_TYPES = ("image/jpeg", "image/png", "image/webp")
_PHP_TRIM = " \t\n\r\0\x0b"
_BASE64_SPACE = re.compile(r"[ \t\n\r\f\v]+")
_DETAILS = ("auto", "low", "high")


@dataclass(frozen=True)
class ImageInput:
    """One picture to send; ``mime_type`` was read from ``data``'s first bytes.

    Example::

        picture = image_from_bytes(open("cat.png", "rb").read(), field="images[0]")
        picture.describe()  # 'image/png 70 bytes sha256:49e1dad481e9'
    """

    mime_type: str
    data: bytes = field(repr=False)

    @property
    def size(self) -> int:
        """The picture's size in bytes."""
        return len(self.data)

    @property
    def base64_data(self) -> str:
        """The bytes in standard base64 with padding, as the browser sends them."""
        return base64.b64encode(self.data).decode("ascii")

    def describe(self) -> str:
        """Type, size and the first 12 hex digits of the SHA-256, e.g. for logs and tests."""
        digest = hashlib.sha256(self.data).hexdigest()[:12]
        return f"{self.mime_type} {self.size} bytes sha256:{digest}"


@dataclass(frozen=True)
class RemoteImage:
    """An ``http(s)`` picture URL the user allowed to be fetched; fetching is the caller's job."""

    url: str
    field: str  # where it was given, for errors about it


ImageSource = Union[ImageInput, RemoteImage]

ImageLike = Union[
    str, "os.PathLike[str]", bytes, bytearray, memoryview, BinaryIO, Mapping[str, object],
    ImageInput,
]  # fmt: skip
"""One picture as a script has it: a path, bytes, a binary file, a data: URL, an image_url part."""

Images = Union[ImageLike, Sequence[ImageLike]]
"""The ``images=`` argument of the entry points: one picture, or a list of up to 4."""


def sniff_image_type(data: bytes) -> Optional[str]:
    """The MIME type the bytes' magic numbers show, or None when unrecognised.

    Types the site refuses are recognised only so that the refusal can name them.

    Example::

        >>> sniff_image_type(b"\\x89PNG\\r\\n\\x1a\\n...")
        'image/png'
    """
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data[:2] == b"BM":
        return "image/bmp"
    if data[:4] in (b"II*\x00", b"MM\x00*"):
        return "image/tiff"
    if data[4:8] == b"ftyp":
        brand = data[8:12]
        if brand in (b"avif", b"avis"):
            return "image/avif"
        if brand in (b"heic", b"heix", b"hevc", b"heim", b"heis", b"mif1", b"msf1"):
            return "image/heic"
    if data[:4] == b"\x00\x00\x01\x00":
        return "image/x-icon"
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    head = data[:256].lstrip().lower()
    if head.startswith((b"<svg", b"<?xml")) and b"<svg" in data[:4096].lower():
        return "image/svg+xml"
    return None


def check_max_image_bytes(value: object, field: str = "max_image_bytes") -> int:
    """Check a user's size cap: an int from 1 to the site's 20 MB."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidRequestTypeError(
            f"{field}: expected an int (bytes), got {type(value).__name__}"
        )
    if not 1 <= value <= SITE_MAX_IMAGE_BYTES:
        raise InvalidRequestError(
            f"{field}: expected 1 to {SITE_MAX_IMAGE_BYTES} bytes (the site's 20 MB), got {value}"
        )
    return value


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB"


def _too_large(field: str, size: int, limit: int, *, at_least: bool = False) -> ImageTooLargeError:
    why = (
        "the site's own limit"
        if limit >= SITE_MAX_IMAGE_BYTES
        else "what a typical host accepts: PHP's usual 8 MB post_max_size holds about 5.9 MB "
        "of picture; raise max_image_bytes if your site takes more"
    )
    amount = f"more than {_megabytes(limit)}" if at_least else f"{_megabytes(size)} ({size} bytes)"
    return ImageTooLargeError(
        f"{field}: the picture is {amount}; at most {_megabytes(limit)} ({limit} bytes) "
        f"is sent, {why}",
        field=field,
        size=size,
        limit=limit,
    )


def _at_most_four(count: int, field: str) -> None:
    if count > SITE_MAX_IMAGES:
        raise InvalidImageError(
            f"{field}: {count} pictures; the site takes at most {SITE_MAX_IMAGES} per message",
            field=field,
        )


def image_from_bytes(
    data: bytes, *, field: str, max_bytes: int = DEFAULT_MAX_IMAGE_BYTES
) -> ImageInput:
    """A picture from its bytes, its type read from them: JPEG, PNG or WEBP, at most ``max_bytes``.

    Example::

        picture = image_from_bytes(png_bytes, field="images[0]")
    """
    if not data:
        raise InvalidImageError(f"{field}: the picture is empty (0 bytes)", field=field)
    mime_type = sniff_image_type(data)
    if mime_type not in _TAKEN_TYPES:
        if mime_type is None:
            what = f"not a picture this client recognises (it starts with {data[:8].hex(' ')})"
        else:
            what = f"a {mime_type.split('/')[-1].split('+')[0].upper()} file ({mime_type})"
        raise InvalidImageError(
            f"{field}: {what}; the site takes JPEG, PNG or WEBP pictures only", field=field
        )
    if len(data) > max_bytes:
        raise _too_large(field, len(data), max_bytes)
    return ImageInput(mime_type, bytes(data))


def image_from_file(
    source: Union[str, os.PathLike[str], BinaryIO],
    *,
    field: str,
    max_bytes: int = DEFAULT_MAX_IMAGE_BYTES,
) -> ImageInput:
    """A picture from a path or a file opened in binary mode, reading at most ``max_bytes + 1``."""
    if isinstance(source, (str, os.PathLike)):
        try:
            size = os.stat(source).st_size
            if size > max_bytes:
                raise _too_large(field, size, max_bytes)
            with open(source, "rb") as file:
                data = file.read(max_bytes + 1)
        except OSError as exc:
            raise InvalidImageError(
                f"{field}: cannot read {os.fspath(source)!r}: {exc.strerror or exc}", field=field
            ) from exc
    else:
        chunk: object = source.read(max_bytes + 1)
        if not isinstance(chunk, bytes):
            raise InvalidImageError(
                f"{field}: the file gave {type(chunk).__name__}, not bytes; open it with 'rb'",
                field=field,
            )
        data = chunk
    if len(data) > max_bytes:
        raise _too_large(field, len(data), max_bytes, at_least=True)
    return image_from_bytes(data, field=field, max_bytes=max_bytes)


def image_from_data_url(
    url: str, *, field: str, max_bytes: int = DEFAULT_MAX_IMAGE_BYTES
) -> ImageInput:
    """A picture from a ``data:<type>;base64,<data>`` URL; the declared type is not trusted
    (whitespace and missing padding are accepted, as the site accepts them)."""
    header, comma, payload = url.partition(",")
    if not header[:5].lower() == "data:" or not comma:
        raise InvalidImageError(f"{field}: expected a data: URL with a comma", field=field)
    if not header.lower().endswith(";base64"):
        raise InvalidImageError(
            f"{field}: expected a base64 data: URL ('data:image/png;base64,...')", field=field
        )
    compact = _BASE64_SPACE.sub("", payload).rstrip("=")
    # Decoded size is 3/4 of the base64: refuse a huge URL before decoding it.
    if len(compact) * 3 // 4 > max_bytes:
        raise _too_large(field, len(compact) * 3 // 4, max_bytes)
    try:
        data = base64.b64decode(compact + "=" * (-len(compact) % 4), validate=True)
    except binascii.Error as exc:
        raise InvalidImageError(
            f"{field}: the data: URL's base64 does not decode ({exc})", field=field
        ) from None
    return image_from_bytes(data, field=field, max_bytes=max_bytes)


def _from_url(url: str, *, field: str, max_bytes: int, fetch_urls: bool) -> Optional[ImageSource]:
    """A ``data:`` URL's picture, an allowed ``http(s)`` URL, or None for anything else."""
    if url[:5].lower() == "data:":
        return image_from_data_url(url, field=field, max_bytes=max_bytes)
    if not url[:8].lower().startswith(("http://", "https://")):
        return None
    if not fetch_urls:
        raise InvalidImageError(
            f"{field}: chatgpt4o does not fetch remote pictures; download it and send the "
            "picture itself (a path, bytes or a data: URL)",
            field=field,
        )
    return RemoteImage(url, field)


def image_from_content_part(
    part: Mapping[str, object],
    *,
    field: str,
    max_bytes: int = DEFAULT_MAX_IMAGE_BYTES,
    fetch_urls: bool = False,
) -> ImageSource:
    """A picture from an OpenAI ``{"type": "image_url", "image_url": {"url": ...}}`` part.

    Never a local path, so a server that passes parts on cannot be made to read its own files.
    """
    if part.get("type") != "image_url":
        raise InvalidImageError(f"{field}.type: expected 'image_url'", field=f"{field}.type")
    url = part.get("image_url")
    where = f"{field}.image_url"
    if isinstance(url, Mapping):
        detail = url.get("detail", "auto")
        if detail not in _DETAILS:
            raise InvalidImageError(
                f"{where}.detail: expected one of {', '.join(_DETAILS)}, got {detail!r}",
                field=f"{where}.detail",
            )
        url, where = url.get("url"), f"{where}.url"
    if not isinstance(url, str):
        raise InvalidRequestTypeError(f"{where}: expected a str URL, got {type(url).__name__}")
    picture = _from_url(url, field=where, max_bytes=max_bytes, fetch_urls=fetch_urls)
    if picture is None:
        raise InvalidImageError(
            f"{where}: expected a data: URL or an http(s) URL, got {url[:40]!r}", field=where
        )
    return picture


def load_image(
    value: object,
    *,
    field: str,
    max_bytes: int = DEFAULT_MAX_IMAGE_BYTES,
    fetch_urls: bool = False,
) -> ImageSource:
    """One picture: a path, bytes, a binary file, a ``data:``/``http(s)`` URL or a content part.

    Example::

        picture = load_image("photo.jpg", field="images[0]")
    """
    if isinstance(value, ImageInput):
        if value.size > max_bytes:
            raise _too_large(field, value.size, max_bytes)
        return value
    if isinstance(value, (bytes, bytearray, memoryview)):
        return image_from_bytes(bytes(value), field=field, max_bytes=max_bytes)
    if isinstance(value, str):
        picture = _from_url(value, field=field, max_bytes=max_bytes, fetch_urls=fetch_urls)
        if picture is not None:
            return picture
    if isinstance(value, Mapping):
        return image_from_content_part(
            value, field=field, max_bytes=max_bytes, fetch_urls=fetch_urls
        )
    if isinstance(value, (str, os.PathLike)) or callable(getattr(value, "read", None)):
        return image_from_file(value, field=field, max_bytes=max_bytes)  # type: ignore[arg-type]
    raise InvalidRequestTypeError(
        f"{field}: expected a path, bytes, a binary file, a data: URL or an image_url part, "
        f"got {type(value).__name__}"
    )


def load_images(
    values: object,
    *,
    field: str = "images",
    max_bytes: int = DEFAULT_MAX_IMAGE_BYTES,
    fetch_urls: bool = False,
) -> tuple[ImageSource, ...]:
    """The ``images=`` keyword: None, one picture, or a list or tuple of at most 4."""
    if values is None:
        return ()
    if not isinstance(values, (list, tuple)):
        return (load_image(values, field=field, max_bytes=max_bytes, fetch_urls=fetch_urls),)
    _at_most_four(len(values), field)
    return tuple(
        load_image(value, field=f"{field}[{index}]", max_bytes=max_bytes, fetch_urls=fetch_urls)
        for index, value in enumerate(values)
    )


def split_content(
    content: object,
    *,
    field: str,
    max_bytes: int = DEFAULT_MAX_IMAGE_BYTES,
    fetch_urls: bool = False,
) -> tuple[str, tuple[ImageSource, ...]]:
    """A message's text (parts joined by newlines) and pictures: a str, or OpenAI parts.

    Example::

        text, pictures = split_content(
            [{"type": "text", "text": "What is it?"},
             {"type": "image_url", "image_url": {"url": "data:image/png;base64,..."}}],
            field="messages[0].content",
        )
    """
    if isinstance(content, str):
        return content, ()
    if not isinstance(content, (list, tuple)):
        raise InvalidRequestTypeError(
            f"{field}: expected a str or a list of content parts, got {type(content).__name__}"
        )
    texts: list[str] = []
    pictures: list[ImageSource] = []
    for index, part in enumerate(content):
        where = f"{field}[{index}]"
        if not isinstance(part, Mapping):
            raise InvalidRequestTypeError(
                f"{where}: expected a content part mapping, got {type(part).__name__}"
            )
        kind = part.get("type")
        if kind == "text":
            text = part.get("text")
            if not isinstance(text, str):
                raise InvalidRequestTypeError(
                    f"{where}.text: expected a str, got {type(text).__name__}"
                )
            texts.append(text)
        elif kind == "image_url":
            pictures.append(
                image_from_content_part(
                    part, field=where, max_bytes=max_bytes, fetch_urls=fetch_urls
                )
            )
        else:
            raise InvalidRequestError(f"{where}.type: expected 'text' or 'image_url', got {kind!r}")
    _at_most_four(len(pictures), field)
    return "\n".join(texts), tuple(pictures)


def allowed_images(*, generation: str, upload_enabled: bool, plugin_version: Optional[str]) -> int:
    """How many pictures one message to a bot may carry: 0, 1 or 4.

    None for the old plugin or a bot whose page offers no upload; 2.4.0 and earlier (or an
    unknown version) read only the first; 2.4.1+ up to 4.

    Example::

        >>> allowed_images(generation="aipkit", upload_enabled=True, plugin_version="2.4.71")
        4
    """
    if generation != "aipkit" or not upload_enabled:
        return 0
    if plugin_version is None or not re.fullmatch(r"\d+(\.\d+)*", plugin_version):
        return 1
    version = tuple(int(piece) for piece in plugin_version.split("."))
    return SITE_MAX_IMAGES if version >= (2, 4, 1) else 1


def check_images_allowed(
    count: int,
    *,
    generation: str,
    upload_enabled: bool,
    plugin_version: Optional[str],
    bot_id: str,
    url: str,
) -> None:
    """Refuse (``ImagesNotSupportedError``) more pictures than the bot's page allows (the site
    itself passes them on even when the bot's upload is off)."""
    allowed = allowed_images(
        generation=generation, upload_enabled=upload_enabled, plugin_version=plugin_version
    )
    if count <= allowed:
        return
    if generation != "aipkit":
        why = "the site runs the old AI Power chat plugin, which takes no pictures"
    elif allowed == 0:
        why = "its page offers no image upload (the site's owner has not turned it on)"
    else:
        version = plugin_version or "unknown"
        why = (
            f"it reads only the first picture of a message (AI Puffer {version}; "
            "2.4.1 and later read up to 4); send one picture per message"
        )
    raise ImagesNotSupportedError(
        f"bot {bot_id} at {url} takes "
        + (f"no pictures: {why}" if allowed == 0 else f"at most {allowed}, not {count}: {why}"),
        url=url,
        bot_id=bot_id,
        max_images=allowed,
    )


def message_text_for_images(text: str, picture_count: int) -> str:
    """The ``message`` field for a turn with pictures: ``DEFAULT_IMAGE_PROMPT`` when blank (the
    plugin drops a turn whose PHP-trimmed text is empty, pictures and all).

    Example::

        >>> message_text_for_images("  ", 1)
        'What is in this image?'
    """
    if picture_count and not text.strip(_PHP_TRIM):
        return DEFAULT_IMAGE_PROMPT
    return text


def image_inputs_field(images: Sequence[ImageInput]) -> str:
    """The ``image_inputs`` form value, byte for byte as the browser's ``JSON.stringify``.

    Example::

        >>> image_inputs_field([ImageInput("image/png", b"\\x89PNG")])
        '[{"mime_type":"image/png","base64_data":"iVBORw=="}]'
    """
    items = [{"mime_type": image.mime_type, "base64_data": image.base64_data} for image in images]
    return json.dumps(items, separators=(",", ":"))


def with_image_inputs(
    form: Mapping[str, str], images: Sequence[ImageInput], *, after: str
) -> dict[str, str]:
    """``form`` with ``image_inputs`` (if any pictures) right after ``after``, as the browser."""
    result: dict[str, str] = {}
    for key, value in form.items():
        result[key] = value
        if key == after and images:
            result["image_inputs"] = image_inputs_field(images)
    return result


# The plugin's refusals of a picture; its messages are translatable, its codes are not (2.4.0's
# JSON path sends the message alone, so English messages map to codes as a fallback).
_REJECTION_CODES = ("invalid_image_payload", "too_many_images", "invalid_image_type")
_REJECTION_MESSAGES = (
    ("invalid image upload payload", "invalid_image_payload"),
    ("invalid image data provided", "invalid_image_payload"),
    ("too many images uploaded", "too_many_images"),
    ("invalid image type", "invalid_image_type"),
    ("image is too large", "image_too_large"),
)


def _plugin_error(body: str) -> Optional[tuple[str, Optional[str]]]:
    try:
        payload = json.loads(body)
    except ValueError:
        return None
    if not isinstance(payload, dict) or payload.get("success") is not False:
        return None
    data = payload.get("data")
    if not isinstance(data, dict) or not isinstance(data.get("message"), str):
        return None
    code = data.get("code")
    return data["message"], code if isinstance(code, str) else None


def classify_image_refusal(
    status_code: int, body: str, *, picture_bytes: int, url: str, method: str = "POST"
) -> Optional[ImageRejectedError]:
    """The typed error for a reply to a POST that carried pictures, or None if it is not one.

    The plugin's refusals are always recognised; the host's limits (400 ``0``, a 500 "critical
    error" page, ``sse_cache_db_insert_failed``) only from ``HOST_LIMIT_SUSPECT_BYTES`` of pictures.

    Example::

        >>> type(classify_image_refusal(400, "0", picture_bytes=6_500_000, url="u")).__name__
        'ImageTooLargeForSiteError'
    """
    refusal = _plugin_error(body)

    def refused(kind: type[ImageRejectedError], message: str, code: str) -> ImageRejectedError:
        return kind(
            message, url=url, method=method, status_code=status_code, body=body[:500], code=code
        )

    if refusal is not None:
        message, code = refusal
        if code is None:
            lowered = message.strip().lower()
            code = next(
                (tag for prefix, tag in _REJECTION_MESSAGES if lowered.startswith(prefix)), None
            )
        if code == "image_too_large":
            return refused(ImageTooLargeForSiteError, message, code)
        if code in _REJECTION_CODES:
            return refused(ImageRejectedError, message, code)
    if picture_bytes < HOST_LIMIT_SUSPECT_BYTES:
        return None
    if refusal is not None and refusal[1] == "sse_cache_db_insert_failed":
        tag, why = "sse_cache_db_insert_failed", "its database would not store it"
    elif status_code == 400 and body.strip() == "0":
        tag, why = "host_post_max_size", "its host dropped the request (400 0: PHP's post_max_size)"
    elif status_code == 500 and "critical error" in body.lower():
        tag, why = "host_critical_error", "it crashed reading it (PHP's memory_limit)"
    else:
        return None
    return refused(
        ImageTooLargeForSiteError,
        f"the site could not take a picture this large ({_megabytes(picture_bytes)}): {why}; "
        "send a smaller one",
        tag,
    )
