"""Who may call, on its own: the API key's Bearer check, and a keyless server's header checks."""

from __future__ import annotations

from typing import Optional

import pytest

from chatgpt4o.serve._auth import authorize, local_caller

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


# -- a keyless server: Host, Origin and Content-Type ------------------------------------------

SERVER = ("127.0.0.1", 8000)
JSON = "application/json"


@pytest.mark.parametrize(
    "host",
    ["127.0.0.1:8000", "localhost:8000", "LOCALHOST:8000", "[::1]:8000", "proxy.example"],
)
def test_a_keyless_server_answers_to_its_own_names(host: str) -> None:
    assert local_caller("POST", host, None, JSON, SERVER, allowed_hosts={"proxy.example"}) is None


def test_a_keyless_server_answers_to_the_address_it_was_reached_on() -> None:
    lan = ("192.168.1.5", 8000)
    assert local_caller("GET", "192.168.1.5:8000", None, None, lan) is None
    assert local_caller("GET", "[fe80::1]:8000", None, None, ("fe80::1", 8000)) is None


@pytest.mark.parametrize(
    "host",
    [
        None,
        "",
        "attacker.example:8000",  # DNS rebinding: the page's own name, now pointing here
        "attacker.example",
        "127.0.0.1:8001",  # another port: another program
        "localhost",  # port 80, not this server's
        "127.0.0.1:8000/x",
        "user@127.0.0.1:8000",
        "127.0.0.1:port",
        "127.0.0.1.attacker.example:8000",
    ],
)
def test_a_keyless_server_refuses_other_hosts(host: Optional[str]) -> None:
    refusal = local_caller("GET", host, None, None, SERVER)
    assert refusal is not None
    assert (refusal.status, refusal.body["error"]["code"]) == (400, "invalid_host")
    assert "--allowed-host" in refusal.message


def test_a_keyless_server_refuses_a_web_page_origin_cors_does_not_allow() -> None:
    evil = "https://evil.example"
    refusal = local_caller("POST", "127.0.0.1:8000", evil, JSON, SERVER)
    assert refusal is not None
    assert (refusal.status, refusal.body["error"]["code"]) == (403, "origin_not_allowed")
    assert evil in refusal.message
    for allowed in ({evil}, {"*"}):
        assert (
            local_caller("POST", "127.0.0.1:8000", evil, JSON, SERVER, cors_origins=allowed) is None
        )


@pytest.mark.parametrize(
    "content_type",
    [None, "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; b=x"],
)
def test_a_keyless_server_takes_only_json_bodies(content_type: Optional[str]) -> None:
    refusal = local_caller("POST", "127.0.0.1:8000", None, content_type, SERVER)
    assert refusal is not None
    assert (refusal.status, refusal.body["error"]["code"]) == (415, "unsupported_media_type")
    assert (
        local_caller("POST", "127.0.0.1:8000", None, "Application/JSON; charset=utf-8", SERVER)
        is None
    )
