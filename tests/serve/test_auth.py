"""The API-key check on its own: Bearer parsing, constant-time compare, OpenAI's 401s."""

from __future__ import annotations

from typing import Optional

import pytest

from chatgpt4o.serve._auth import authorize

KEY = b"s3cret-key"


@pytest.mark.parametrize(
    "header",
    [b"Bearer s3cret-key", b"bearer s3cret-key", b"BEARER  s3cret-key ", b" Bearer s3cret-key"],
)
def test_the_right_key_passes(header: bytes) -> None:
    assert authorize(header, KEY) is None


@pytest.mark.parametrize(
    ("header", "code"),
    [
        (None, None),
        (b"", None),
        (b"Bearer", None),
        (b"Bearer ", None),
        (b"Basic czNjcmV0LWtleQ==", None),
        (b"s3cret-key", None),
        (b"Bearer s3cret-ke", "invalid_api_key"),
        (b"Bearer s3cret-key2", "invalid_api_key"),
        (b"Bearer S3CRET-KEY", "invalid_api_key"),
        (b"Bearer \xff\xfe", "invalid_api_key"),
    ],
)
def test_anything_else_is_401(header: Optional[bytes], code: Optional[str]) -> None:
    refusal = authorize(header, KEY)
    assert refusal is not None
    assert refusal.status == 401
    assert refusal.body["error"]["code"] == code
    assert b"s3cret" not in refusal.to_bytes()


def test_the_compare_is_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[bytes, bytes]] = []

    def compare(a: bytes, b: bytes) -> bool:
        seen.append((a, b))
        return a == b

    monkeypatch.setattr("chatgpt4o.serve._auth.hmac.compare_digest", compare)
    assert authorize(b"Bearer guess", KEY) is not None
    assert seen == [(b"guess", KEY)]
