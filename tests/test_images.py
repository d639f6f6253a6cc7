"""The pictures core (chatgpt4o._images): types from bytes, loaders, limits, form, refusals."""

from __future__ import annotations

import base64
import io
import json
import urllib.request
from pathlib import Path

import pytest

from chatgpt4o import (
    ImageRejectedError,
    ImagesNotSupportedError,
    ImageTooLargeError,
    ImageTooLargeForSiteError,
    InvalidImageError,
    InvalidRequestError,
    InvalidRequestTypeError,
)
from chatgpt4o._images import (
    DEFAULT_IMAGE_PROMPT,
    DEFAULT_MAX_IMAGE_BYTES,
    HOST_LIMIT_SUSPECT_BYTES,
    SITE_MAX_IMAGE_BYTES,
    ImageInput,
    RemoteImage,
    allowed_images,
    check_images_allowed,
    check_max_image_bytes,
    classify_image_refusal,
    image_from_bytes,
    image_from_content_part,
    image_from_data_url,
    image_from_file,
    image_inputs_field,
    load_image,
    load_images,
    message_text_for_images,
    sniff_image_type,
    split_content,
    with_image_inputs,
)
from chatgpt4o._page import extract_page
from chatgpt4o.testing import LocalSite
from tests.canned import GIF, JPEG, PNG, PNG_URL, WEBP
from tests.image_recordings import read_recording

# -- the type, from the bytes --------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (PNG, "image/png"),
        (JPEG, "image/jpeg"),
        (WEBP, "image/webp"),
        (GIF, "image/gif"),
        (b"BM\x3a\x00\x00\x00", "image/bmp"),
        (b"II*\x00\x08\x00", "image/tiff"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00", "image/heic"),
        (b"\x00\x00\x00\x1cftypavif\x00\x00", "image/avif"),
        (b"\x00\x00\x01\x00\x01\x00", "image/x-icon"),
        (b"%PDF-1.7\n", "application/pdf"),
        (b'  <?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"/>', "image/svg+xml"),
        (b"RIFF\x24\x00\x00\x00WAVEfmt ", None),
        (b"hello, world", None),
    ],
)
def test_sniff_image_type_reads_magic_numbers(data: bytes, expected: str | None) -> None:
    assert sniff_image_type(data) == expected


@pytest.mark.parametrize(
    ("data", "mime_type"), [(PNG, "image/png"), (JPEG, "image/jpeg"), (WEBP, "image/webp")]
)
def test_image_from_bytes_accepts_the_three_types(data: bytes, mime_type: str) -> None:
    picture = image_from_bytes(data, field="images[0]")
    assert (picture.mime_type, picture.data) == (mime_type, data)


def test_image_describes_itself_as_the_recorded_model_names_it() -> None:
    picture = image_from_bytes(PNG, field="images[0]")
    assert picture.describe() == "image/png 70 bytes sha256:49e1dad481e9"
    assert "data" not in repr(picture)


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (GIF, "images[2]: a GIF file (image/gif); the site takes JPEG, PNG or WEBP pictures only"),
        (b"%PDF-1.4", "images[2]: a PDF file (application/pdf)"),
        (
            b"hello",
            "images[2]: not a picture this client recognises (it starts with 68 65 6c 6c 6f)",
        ),
        (b"", "images[2]: the picture is empty (0 bytes)"),
    ],
)
def test_image_from_bytes_refuses_by_name(data: bytes, words: str) -> None:
    with pytest.raises(InvalidImageError) as caught:
        image_from_bytes(data, field="images[2]")
    assert str(caught.value).startswith(words)
    assert caught.value.field == "images[2]"


def test_a_picture_over_the_cap_is_refused_with_size_and_limit() -> None:
    with pytest.raises(ImageTooLargeError) as caught:
        image_from_bytes(PNG + bytes(100), field="images[0]", max_bytes=100)
    assert (caught.value.size, caught.value.limit, caught.value.field) == (170, 100, "images[0]")
    assert "images[0]: the picture is 0.0 MB (170 bytes); at most" in str(caught.value)
    assert "post_max_size" in str(caught.value)
    assert image_from_bytes(PNG, field="x", max_bytes=70).size == 70


def test_the_default_cap_fits_php_post_max_size_after_encoding() -> None:
    # base64 (4/3), then urlencoding of + and / (each 3 bytes; worst case every character)
    worst_form_bytes = DEFAULT_MAX_IMAGE_BYTES * 4 // 3 * 1.1
    assert worst_form_bytes < 8 * 1024 * 1024 < SITE_MAX_IMAGE_BYTES


@pytest.mark.parametrize(
    ("value", "error"),
    [
        (0, InvalidRequestError),
        (SITE_MAX_IMAGE_BYTES + 1, InvalidRequestError),
        (1.5, InvalidRequestTypeError),
        (True, InvalidRequestTypeError),
        ("5000000", InvalidRequestTypeError),
    ],
)
def test_check_max_image_bytes(value: object, error: type[Exception]) -> None:
    assert check_max_image_bytes(SITE_MAX_IMAGE_BYTES) == SITE_MAX_IMAGE_BYTES
    with pytest.raises(error, match=r"^max_image_bytes: expected (1 to 20971520|an int)"):
        check_max_image_bytes(value)


# -- data: URLs ------------------------------------------------------------------------------


def test_data_url_type_is_read_from_the_bytes_not_the_label() -> None:
    url = "data:image/png;base64," + base64.b64encode(JPEG).decode()
    assert image_from_data_url(url, field="u").mime_type == "image/jpeg"


@pytest.mark.parametrize(
    "url",
    [
        PNG_URL,
        PNG_URL.rstrip("="),  # missing padding, as the site accepts
        "DATA:image/png;BASE64," + PNG_URL.split(",")[1],
        "data:image/png;base64,"
        + "\n".join(PNG_URL.split(",")[1][i : i + 16] for i in range(0, 96, 16))
        + " \t",
    ],
)
def test_data_url_accepts_what_the_site_accepts(url: str) -> None:
    assert image_from_data_url(url, field="u").data == PNG


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("data:image/png;base64", "u: expected a data: URL with a comma"),
        ("data:image/png,%89PNG", "u: expected a base64 data: URL"),
        ("data:image/png;base64,@@not-base64@@", "u: the data: URL's base64 does not decode"),
        ("data:image/png;base64,iVBOR", "u: the data: URL's base64 does not decode"),
        ("data:image/png;base64,", "u: the picture is empty"),
    ],
)
def test_data_url_refusals_name_the_field(url: str, words: str) -> None:
    with pytest.raises(InvalidImageError) as caught:
        image_from_data_url(url, field="u")
    assert str(caught.value).startswith(words)


def test_a_huge_data_url_is_refused_before_decoding() -> None:
    with pytest.raises(ImageTooLargeError) as caught:
        image_from_data_url("data:image/png;base64," + "A" * 400, field="u", max_bytes=100)
    assert caught.value.size == 300


# -- files -----------------------------------------------------------------------------------


def test_image_from_a_path_str_pathlike_and_binary_file(tmp_path: Path) -> None:
    path = tmp_path / "photo.gif"  # the name says GIF; the bytes say PNG
    path.write_bytes(PNG)
    assert image_from_file(str(path), field="f").mime_type == "image/png"
    assert image_from_file(path, field="f").data == PNG
    with path.open("rb") as file:
        assert image_from_file(file, field="f").data == PNG


def test_image_from_file_refusals(tmp_path: Path) -> None:
    missing = tmp_path / "missing.png"
    with pytest.raises(InvalidImageError, match=r"images\[0\]: cannot read .*missing.png"):
        image_from_file(missing, field="images[0]")
    with pytest.raises(InvalidImageError, match="open it with 'rb'"):
        image_from_file(io.StringIO("text"), field="f")  # type: ignore[arg-type]
    big = tmp_path / "big.png"
    big.write_bytes(PNG + bytes(1000))
    with pytest.raises(ImageTooLargeError) as caught:
        image_from_file(big, field="f", max_bytes=500)
    assert caught.value.size == 1070
    stream = io.BytesIO(PNG + bytes(1000))
    with pytest.raises(ImageTooLargeError, match="more than"):
        image_from_file(stream, field="f", max_bytes=500)
    assert stream.tell() == 501  # read no further than the cap


# -- content parts and the keyword -----------------------------------------------------------


@pytest.mark.parametrize(
    "part",
    [
        {"type": "image_url", "image_url": {"url": PNG_URL}},
        {"type": "image_url", "image_url": {"url": PNG_URL, "detail": "low"}},
        {"type": "image_url", "image_url": PNG_URL},
    ],
)
def test_content_part_shapes(part: dict[str, object]) -> None:
    picture = image_from_content_part(part, field="messages[0].content[1]")
    assert picture == ImageInput("image/png", PNG)


def test_content_part_remote_url_needs_permission() -> None:
    part = {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}}
    with pytest.raises(InvalidImageError) as caught:
        image_from_content_part(part, field="messages[0].content[1]")
    assert caught.value.field == "messages[0].content[1].image_url.url"
    assert "does not fetch remote pictures" in str(caught.value)
    allowed = image_from_content_part(part, field="p", fetch_urls=True)
    assert allowed == RemoteImage("https://example.com/a.png", "p.image_url.url")


@pytest.mark.parametrize(
    ("part", "words"),
    [
        (
            {"type": "image_url", "image_url": {"url": "/etc/passwd"}},
            "p.image_url.url: expected a data: URL",
        ),
        (
            {"type": "image_url", "image_url": {"url": "file:///etc/passwd"}},
            "p.image_url.url: expected a data:",
        ),
        (
            {"type": "image_url", "image_url": {"url": PNG_URL, "detail": "max"}},
            "p.image_url.detail: expected",
        ),
        ({"type": "input_image", "image_url": PNG_URL}, "p.type: expected 'image_url'"),
    ],
)
def test_content_part_refusals(part: dict[str, object], words: str) -> None:
    with pytest.raises(InvalidImageError) as caught:
        image_from_content_part(part, field="p")
    assert str(caught.value).startswith(words)


def test_content_part_url_must_be_a_str() -> None:
    with pytest.raises(
        InvalidRequestTypeError, match=r"p.image_url.url: expected a str URL, got int"
    ):
        image_from_content_part({"type": "image_url", "image_url": {"url": 5}}, field="p")


def test_load_image_takes_every_shape_a_script_has(tmp_path: Path) -> None:
    path = tmp_path / "a.png"
    path.write_bytes(PNG)
    picture = ImageInput("image/png", PNG)
    shapes: list[object] = [PNG, bytearray(PNG), memoryview(PNG), str(path), path, PNG_URL, picture]
    shapes.append({"type": "image_url", "image_url": {"url": PNG_URL}})
    assert all(load_image(shape, field="images") == picture for shape in shapes)
    with path.open("rb") as file:
        assert load_image(file, field="images") == picture
    assert load_image("http://h/a.png", field="i", fetch_urls=True) == RemoteImage(
        "http://h/a.png", "i"
    )
    with pytest.raises(InvalidImageError, match="does not fetch remote pictures"):
        load_image("HTTPS://h/a.png", field="i")
    with pytest.raises(
        InvalidRequestTypeError, match=r"images: expected a path, bytes, .* got int"
    ):
        load_image(5, field="images")
    with pytest.raises(ImageTooLargeError):
        load_image(picture, field="images", max_bytes=10)


def test_load_images_counts_and_names_each_index() -> None:
    assert load_images(None) == ()
    assert load_images(PNG) == (ImageInput("image/png", PNG),)
    assert len(load_images([PNG, JPEG, WEBP, PNG])) == 4
    with pytest.raises(InvalidImageError, match="images: 5 pictures; the site takes at most 4"):
        load_images([PNG] * 5)
    with pytest.raises(InvalidImageError) as caught:
        load_images([PNG, GIF])
    assert caught.value.field == "images[1]"


def test_split_content_separates_text_and_pictures() -> None:
    text, pictures = split_content(
        [
            {"type": "text", "text": "What is"},
            {"type": "image_url", "image_url": {"url": PNG_URL}},
            {"type": "text", "text": "in it?"},
        ],
        field="messages[1].content",
    )
    assert (text, pictures) == ("What is\nin it?", (ImageInput("image/png", PNG),))
    assert split_content("plain", field="c") == ("plain", ())


@pytest.mark.parametrize(
    ("content", "kind", "words"),
    [
        ([{"type": "audio"}], InvalidRequestError, r"c\[0\].type: expected 'text' or 'image_url'"),
        (["text"], InvalidRequestTypeError, r"c\[0\]: expected a content part mapping, got str"),
        ([{"type": "text", "text": 1}], InvalidRequestTypeError, r"c\[0\].text: expected a str"),
        (5, InvalidRequestTypeError, "c: expected a str or a list of content parts"),
        ([{"type": "image_url", "image_url": PNG_URL}] * 5, InvalidImageError, "c: 5 pictures"),
        (
            [{"type": "image_url", "image_url": "data:image/gif;base64,R0lGODlh"}],
            InvalidImageError,
            r"c\[0\].image_url: a GIF",
        ),
    ],
)
def test_split_content_refusals(content: object, kind: type[Exception], words: str) -> None:
    with pytest.raises(kind, match=words):
        split_content(content, field="c")


# -- what the bot allows ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("generation", "upload", "version", "expected"),
    [
        ("aipkit", True, "2.4.71", 4),
        ("aipkit", True, "2.4.1", 4),
        ("aipkit", True, "2.4.0", 1),
        ("aipkit", True, "2.3.71", 1),
        ("aipkit", True, None, 1),
        ("aipkit", True, "latest", 1),
        ("aipkit", False, "2.4.71", 0),
        ("wpaicg", True, "1.8.79", 0),
    ],
)
def test_allowed_images(generation: str, upload: bool, version: str | None, expected: int) -> None:
    assert (
        allowed_images(generation=generation, upload_enabled=upload, plugin_version=version)
        == expected
    )


@pytest.mark.parametrize(
    ("generation", "upload", "version", "count", "words", "allowed"),
    [
        ("aipkit", False, "2.4.71", 1, "its page offers no image upload", 0),
        ("wpaicg", False, None, 1, "old AI Power chat plugin, which takes no pictures", 0),
        (
            "aipkit",
            True,
            "2.4.0",
            2,
            "reads only the first picture of a message (AI Puffer 2.4.0",
            1,
        ),
        ("aipkit", True, None, 2, "(AI Puffer unknown; 2.4.1 and later read up to 4)", 1),
    ],
)
def test_check_images_allowed_refuses_naming_bot_and_site(
    generation: str, upload: bool, version: str | None, count: int, words: str, allowed: int
) -> None:
    with pytest.raises(ImagesNotSupportedError) as caught:
        check_images_allowed(
            count,
            generation=generation,
            upload_enabled=upload,
            plugin_version=version,
            bot_id="5",
            url="https://example.com/",
        )
    takes = "no pictures" if allowed == 0 else f"at most {allowed}, not {count}"
    assert str(caught.value).startswith(f"bot 5 at https://example.com/ takes {takes}: ")
    assert words in str(caught.value)
    assert (caught.value.max_images, caught.value.bot_id, caught.value.url) == (
        allowed,
        "5",
        "https://example.com/",
    )


def test_check_images_allowed_lets_allowed_counts_through() -> None:
    site = {"bot_id": "5", "url": "u"}
    check_images_allowed(
        4, generation="aipkit", upload_enabled=True, plugin_version="2.4.71", **site
    )
    check_images_allowed(
        1, generation="aipkit", upload_enabled=True, plugin_version="2.4.0", **site
    )
    check_images_allowed(0, generation="wpaicg", upload_enabled=False, plugin_version=None, **site)


@pytest.mark.parametrize(
    ("text", "count", "expected"),
    [
        ("", 1, DEFAULT_IMAGE_PROMPT),
        (" \t\n\r\0\x0b", 1, DEFAULT_IMAGE_PROMPT),  # what PHP's trim removes
        ("\f", 1, "\f"),  # PHP's trim keeps a form feed: the turn is not dropped
        ("  padded  \n", 1, "  padded  \n"),
        ("", 0, ""),
    ],
)
def test_message_text_for_images(text: str, count: int, expected: str) -> None:
    assert message_text_for_images(text, count) == expected


# -- the form --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("version", "name"),
    [("2.4.71", "62-image-png"), ("2.4.71", "64-image-three"), ("2.4.71", "65-image-four")],
)
def test_image_inputs_field_matches_the_recorded_bytes(version: str, name: str) -> None:
    recorded = read_recording(version, name)[0].field("image_inputs")
    items = json.loads(recorded)
    pictures = [
        image_from_bytes(base64.b64decode(item["base64_data"]), field="i") for item in items
    ]
    assert image_inputs_field(pictures) == recorded


def test_with_image_inputs_puts_the_field_where_the_browser_does() -> None:
    cache = read_recording("2.4.71", "62-image-png")[0]
    sent = [(key, value) for key, value in cache.form if key != "image_inputs"]
    built = with_image_inputs(dict(sent), [ImageInput("image/png", PNG)], after="bot_id")
    assert list(built.items()) == cache.form
    json_path = read_recording("2.4.0", "80-json-image-png")[0]
    sent = [(key, value) for key, value in json_path.form if key != "image_inputs"]
    built = with_image_inputs(dict(sent), [ImageInput("image/png", PNG)], after="message")
    assert list(built.items()) == json_path.form
    assert with_image_inputs({"a": "1"}, [], after="a") == {"a": "1"}


# -- the site's refusals after a picture -----------------------------------------------------

BIG = 6_500_000  # case 77's picture: "a 6.5 MB PNG-labelled image"


@pytest.mark.parametrize(
    ("version", "name", "index", "kind", "code"),
    [
        ("2.4.71", "66-image-five", 0, ImageRejectedError, "too_many_images"),
        ("2.4.71", "67-image-gif", 0, ImageRejectedError, "invalid_image_type"),
        ("2.4.71", "68-image-bad-base64", 0, ImageRejectedError, "invalid_image_payload"),
        ("2.4.71", "69-image-payload-shapes", 0, ImageRejectedError, "invalid_image_payload"),
        ("2.4.71", "69-image-payload-shapes", 7, ImageRejectedError, "invalid_image_payload"),
        ("2.4.0", "82-json-image-gif", 0, ImageRejectedError, "invalid_image_type"),
        ("2.4.0", "83-json-image-bad-base64", 0, ImageRejectedError, "invalid_image_payload"),
        ("2.4.71", "78-image-too-large", 3, ImageTooLargeForSiteError, "image_too_large"),
    ],
)
def test_plugin_refusals_are_typed_at_any_size(
    version: str, name: str, index: int, kind: type[ImageRejectedError], code: str
) -> None:
    recorded = read_recording(version, name)[index]
    assert recorded.status is not None
    error = classify_image_refusal(recorded.status, recorded.body, picture_bytes=70, url="u")
    assert type(error) is kind
    assert error is not None
    assert (error.code, error.status_code) == (code, recorded.status)
    assert error.msg == json.loads(recorded.body)["data"]["message"]


@pytest.mark.parametrize(
    ("name", "index", "code", "words"),
    [
        ("77-image-over-post-max-size", 0, "host_post_max_size", "PHP's post_max_size"),
        ("78-image-too-large", 0, "host_critical_error", "PHP's memory_limit"),
        ("78-image-too-large", 2, "sse_cache_db_insert_failed", "its database would not store it"),
    ],
)
def test_host_limits_after_a_big_picture_say_too_large(
    name: str, index: int, code: str, words: str
) -> None:
    recorded = read_recording("2.4.71", name)[index]
    assert recorded.status is not None
    size = recorded.picture_bytes or BIG
    error = classify_image_refusal(recorded.status, recorded.body, picture_bytes=size, url="u")
    assert isinstance(error, ImageTooLargeForSiteError)
    assert error.code == code
    assert "could not take a picture this large" in str(error)
    assert words in str(error)
    # The same replies after a small picture mean something else: left to the ordinary reading.
    small = HOST_LIMIT_SUSPECT_BYTES - 1
    assert (
        classify_image_refusal(recorded.status, recorded.body, picture_bytes=small, url="u") is None
    )


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (200, '{"success":true,"data":{"cache_key":"aipkit_sse_x"}}'),
        (
            403,
            '{"success":false,"data":{"message":"Your session has expired",'
            '"code":"nonce_failure_cache_sse"}}',
        ),
        (502, "<html>Bad Gateway</html>"),
    ],
)
def test_other_replies_are_not_picture_refusals(status: int, body: str) -> None:
    assert classify_image_refusal(status, body, picture_bytes=BIG, url="u") is None


# -- what a page says of pictures ------------------------------------------------------------


def test_the_page_says_whether_a_bot_takes_pictures_and_the_plugin_version() -> None:
    front = Path(__file__).parent / "fixtures" / "aipkit" / "2.4.71" / "front-page.html"
    recorded = extract_page(front.read_text(encoding="utf-8"), "http://127.0.0.1:8108/").chat()
    assert (recorded.image_upload, recorded.plugin_version) == (False, "2.4.71")
    with (
        LocalSite("2.4.71", bots=(5, 9), image_upload={9}) as site,
        urllib.request.urlopen(site.url) as response,
    ):
        page = extract_page(response.read().decode(), site.url)
    assert [(c.bot_id, c.image_upload, c.plugin_version) for c in page.chats] == [
        ("5", False, "2.4.71"),
        ("9", True, "2.4.71"),
    ]
