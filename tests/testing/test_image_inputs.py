"""The stand-in's reading of ``image_inputs``, replayed against the recorded 2.4.71 and 2.4.0 cases.

Each recorded cache POST (cases 62-78; 2.4.0's JSON POST, 80-86) is fed to read_image_inputs():
a refusal must match the recorded status and body byte for byte, an acceptance must give the
user turn that reached the recorded upstream model, and the recorded reply must name the same
pictures describe_content_images() names.
"""

from __future__ import annotations

import base64
import json
import re

import pytest

from chatgpt4o.testing import _image_inputs
from chatgpt4o.testing._image_inputs import (
    MAX_IMAGE_BYTES,
    ImagePart,
    ImageRefusal,
    describe_content_images,
    read_image_inputs,
    user_turn,
)
from tests.image_recordings import Recorded, read_recording, upstream

ACCEPTED_2471 = [
    "62-image-png",
    "63-image-jpeg",
    "64-image-three",
    "65-image-four",
    "70-image-data-url-prefix",
    "71-image-type-trust",
    "72-image-whitespace-base64",
    "73-image-empty-message",
    "74-image-upload-off-accepted",
]
REFUSED = {
    "2.4.71": ["66-image-five", "67-image-gif", "68-image-bad-base64", "69-image-payload-shapes"],
    "2.4.0": ["67-image-gif", "68-image-bad-base64", "69-image-payload-shapes"],
}
JSON_PATH_REFUSED = [
    "82-json-image-gif",
    "83-json-image-bad-base64",
    "86-json-image-payload-shapes",
]
_DELTA = re.compile(r'^data: (\{"delta".*\})\r?$', re.MULTILINE)


def _posts(version: str, name: str) -> list[Recorded]:
    return [r for r in read_recording(version, name) if any(k == "image_inputs" for k, _ in r.form)]


def _reply(version: str, name: str) -> str:
    stream = read_recording(version, name)[-1].body
    return "".join(json.loads(match)["delta"] for match in _DELTA.findall(stream))


def _model_inputs(version: str, name: str) -> list[list[dict[str, object]]]:
    calls = json.loads(upstream(version, name))
    return [call["body"].get("input") or call["body"]["messages"] for call in calls]


@pytest.mark.parametrize(
    ("version", "name", "with_code"),
    [(version, name, True) for version, names in REFUSED.items() for name in names]
    + [("2.4.0", name, False) for name in JSON_PATH_REFUSED],
)
def test_refusals_match_the_recordings_byte_for_byte(
    version: str, name: str, with_code: bool
) -> None:
    posts = _posts(version, name)
    assert posts
    for post in posts:
        result = read_image_inputs(post.field("image_inputs"), multiple=version != "2.4.0")
        if post.status == 200:  # "0" among the shapes: no pictures
            assert result == ()
            continue
        assert isinstance(result, ImageRefusal), post.field("image_inputs")
        assert (result.status, result.body(with_code=with_code)) == (post.status, post.body)


@pytest.mark.parametrize("name", ACCEPTED_2471)
def test_accepted_pictures_reach_the_model_as_recorded(name: str) -> None:
    post = _posts("2.4.71", name)[0]
    parts = read_image_inputs(post.field("image_inputs"))
    assert isinstance(parts, tuple)
    assert post.status == 200
    model_input = _model_inputs("2.4.71", name)[0]
    turn = user_turn(post.field("message"), parts)
    if turn is None:  # case 73: an empty message is dropped, picture and all
        assert [item["role"] for item in model_input] == ["system"]
        assert _reply("2.4.71", name) == "ECHO: "
        return
    assert model_input[-1] == turn
    note = describe_content_images(turn["content"])
    assert note == f"[images: {', '.join(part.describe() for part in parts)}]"
    assert _reply("2.4.71", name) == f"ECHO: {post.field('message')} {note}"


def test_the_declared_type_is_trusted_and_lower_cased() -> None:
    post = _posts("2.4.71", "71-image-type-trust")[0]  # JPEG bytes declared IMAGE/PNG
    parts = read_image_inputs(post.field("image_inputs"))
    assert isinstance(parts, tuple)
    assert parts[0].mime_type == "image/png"
    assert parts[0].data.startswith(b"\xff\xd8\xff")


def test_chat_completions_mode_sends_image_url_parts() -> None:
    post = _posts("2.4.71", "76-image-chat-completions-mode")[0]
    parts = read_image_inputs(post.field("image_inputs"))
    assert isinstance(parts, tuple)
    turn = user_turn(post.field("message"), parts, api_mode="chat_completions")
    assert _model_inputs("2.4.71", "76-image-chat-completions-mode")[0][-1] == turn
    assert describe_content_images(turn and turn["content"]) in _reply(
        "2.4.71", "76-image-chat-completions-mode"
    )


def test_later_turns_replay_the_picture_turn_as_text() -> None:
    first, second = _model_inputs("2.4.71", "75-image-conversation")
    post = _posts("2.4.71", "75-image-conversation")[0]
    parts = read_image_inputs(post.field("image_inputs"))
    assert isinstance(parts, tuple)
    assert first[-1] == user_turn(post.field("message"), parts)
    assert second[1] == user_turn(post.field("message"), ())


@pytest.mark.parametrize(
    ("name", "count"), [("62-image-png", 1), ("64-image-three", 1), ("66-image-five", 1)]
)
def test_240_reads_the_first_picture_only(name: str, count: int) -> None:
    post = _posts("2.4.0", name)[0]
    parts = read_image_inputs(post.field("image_inputs"), multiple=False)
    assert isinstance(parts, tuple)
    assert len(parts) == count
    assert _model_inputs("2.4.0", name)[0][-1] == user_turn(post.field("message"), parts)
    assert _reply("2.4.0", name).endswith(f"[images: {parts[0].describe()}]")


def test_240_json_path_reads_the_first_picture_too() -> None:
    post = _posts("2.4.0", "81-json-image-five")[0]
    parts = read_image_inputs(post.field("image_inputs"), multiple=False)
    assert isinstance(parts, tuple)
    assert _model_inputs("2.4.0", "81-json-image-five")[0][-1] == user_turn(
        post.field("message"), parts
    )
    assert json.loads(post.body)["data"]["reply"].endswith(f"[images: {parts[0].describe()}]")


def test_the_413_matches_case_78_and_sits_at_20_mib(monkeypatch: pytest.MonkeyPatch) -> None:
    recorded = read_recording("2.4.71", "78-image-too-large")[3]
    assert MAX_IMAGE_BYTES == 20 * 1024 * 1024
    assert recorded.picture_bytes > MAX_IMAGE_BYTES
    monkeypatch.setattr(_image_inputs, "MAX_IMAGE_BYTES", 3)
    at_limit = json.dumps([{"mime_type": "image/png", "base64_data": "QUJD"}])  # 3 bytes
    over = json.dumps([{"mime_type": "image/png", "base64_data": "QUJDRA=="}])  # 4 bytes
    assert read_image_inputs(at_limit) == (ImagePart("image/png", "QUJD", b"ABC"),)
    refusal = read_image_inputs(over)
    assert isinstance(refusal, ImageRefusal)
    assert (refusal.status, refusal.body()) == (recorded.status, recorded.body)


def _one(base64_data: object, mime_type: object = "image/png") -> str:
    return json.dumps([{"mime_type": mime_type, "base64_data": base64_data}])


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, ()),
        ("", ()),
        ("0", ()),
        (_one("QQ"), (ImagePart("image/png", "QQ", b"A"),)),  # no padding
        (
            '{"0": {"mime_type": "image/png", "base64_data": "QQ"}}',
            (ImagePart("image/png", "QQ", b"A"),),
        ),
        (_one(" Q Q\n==\t"), (ImagePart("image/png", "QQ==", b"A"),)),
        (_one("data:x;base64,QUJD"), (ImagePart("image/png", "QUJD", b"ABC"),)),
        (_one("QUJD", " Image/WEBP "), (ImagePart("image/webp", "QUJD", b"ABC"),)),
        (_one(1234), (ImagePart("image/png", "1234", base64.b64decode("1234")),)),
        (_one("QUJD", "image/<b>png</b>"), (ImagePart("image/png", "QUJD", b"ABC"),)),
    ],
)
def test_what_2471_accepts(value: str | None, expected: tuple[ImagePart, ...]) -> None:
    assert read_image_inputs(value) == expected


@pytest.mark.parametrize(
    ("value", "code", "message"),
    [
        (_one("QQ==="), "invalid_image_payload", "Invalid image data provided."),  # 3 pads
        (_one("QQ="), "invalid_image_payload", "Invalid image data provided."),  # 1 pad short
        (_one("Q"), "invalid_image_payload", "Invalid image data provided."),  # truncated
        (_one("QQ==QQ=="), "invalid_image_payload", "Invalid image data provided."),  # after pad
        (_one("QQ-_"), "invalid_image_payload", "Invalid image data provided."),  # URL-safe
        (_one("data:image/png;base64,"), "invalid_image_payload", "Invalid image data provided."),
        (_one(" \n "), "invalid_image_payload", "Invalid image upload payload."),  # trimmed away
        (_one(None), "invalid_image_payload", "Invalid image upload payload."),
        (_one("QQ==", True), "invalid_image_type", "Invalid image type. Allowed: JPG, PNG, WEBP."),
        (
            _one("QQ==", ["image/png"]),
            "invalid_image_type",
            "Invalid image type. Allowed: JPG, PNG, WEBP.",
        ),
        (
            _one("@@", "image/gif"),
            "invalid_image_type",
            "Invalid image type. Allowed: JPG, PNG, WEBP.",
        ),
        ("[NaN]", "invalid_image_payload", "Invalid image upload payload."),
        ("5", "invalid_image_payload", "Invalid image upload payload."),
        (
            '{"a":1,"b":2,"c":3,"d":4,"e":5}',
            "too_many_images",
            "Too many images uploaded. Max images: 4.",
        ),
        ("[1, 2, 3, 4, 5]", "too_many_images", "Too many images uploaded. Max images: 4."),
    ],
)
def test_what_2471_refuses(value: str, code: str, message: str) -> None:
    refusal = read_image_inputs(value)
    assert isinstance(refusal, ImageRefusal)
    assert (refusal.code, refusal.message) == (code, message)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (
            json.dumps([{"mime_type": "image/png", "base64_data": "QQ"}, "junk", 5, 6, 7]),
            (ImagePart("image/png", "QQ", b"A"),),
        ),
        (
            '{"0": {"mime_type": "image/png", "base64_data": "QQ"}, "1": 5}',
            (ImagePart("image/png", "QQ", b"A"),),
        ),
    ],
)
def test_what_240_accepts_where_2471_would_not(value: str, expected: tuple[ImagePart, ...]) -> None:
    assert read_image_inputs(value, multiple=False) == expected
    assert isinstance(read_image_inputs(value), ImageRefusal)


@pytest.mark.parametrize(
    ("message", "expected"),
    [("  padded  \n", "padded"), ("", None), (" \t\n", None)],
)
def test_user_turn_trims_and_drops_empty_turns(message: str, expected: str | None) -> None:
    parts = (ImagePart("image/png", "QQ", b"A"),)
    turn = user_turn(message, parts)
    if expected is None:
        assert turn is None
    else:
        assert turn is not None
        assert turn["content"] == [
            {"type": "input_text", "text": expected},
            {"type": "input_image", "image_url": "data:image/png;base64,QQ"},
        ]
    assert user_turn("  hi ", ()) == {"role": "user", "content": "hi"}


def test_describe_content_images_ignores_text_and_plain_content() -> None:
    assert describe_content_images("hi") == ""
    assert describe_content_images([{"type": "input_text", "text": "hi"}]) == ""
