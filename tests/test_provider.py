"""The gpt4free-compatible Chatgpt4o provider, over a mocked httpx transport (pictures: the
stand-in)."""

from __future__ import annotations

import asyncio
import base64
import inspect
import io
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Callable, Optional

import httpx
import pytest

import chatgpt4o
from chatgpt4o import (
    Chatgpt4o,
    ImagesNotSupportedError,
    InvalidImageError,
    InvalidRequestError,
    InvalidRequestTypeError,
    ModelError,
    NonceError,
    _async_client,
)
from chatgpt4o._images import ImageInput, sniff_image_type
from chatgpt4o._provider_pool import ClientPools
from chatgpt4o.testing import LocalSite
from tests.fakesite import BASE_URL, FakeSite, Step, httpx_transport, success

NONCE_18 = Step(200, b'{"status":"error","msg":"Nonce verification failed"}')


@pytest.fixture
def site(monkeypatch: pytest.MonkeyPatch) -> FakeSite:
    """Point the provider at a FakeSite and give each test an empty token cache."""
    fake = FakeSite()

    def new_session(
        verify: bool, proxy: Optional[str], headers: Mapping[str, str]
    ) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx_transport(fake), headers=headers)

    monkeypatch.setattr(_async_client, "_new_session", new_session)
    monkeypatch.setattr(Chatgpt4o, "url", BASE_URL)
    monkeypatch.setattr("chatgpt4o._provider._POOLS", ClientPools())
    return fake


MESSAGES = [{"role": "user", "content": "Hi"}]


def test_class_surface_matches_the_original() -> None:
    assert Chatgpt4o.url == "https://chatgpt4o.one"
    assert Chatgpt4o.working is True
    assert Chatgpt4o.needs_auth is False
    assert Chatgpt4o.default_model == "gpt-4o-mini-2024-07-18"
    assert Chatgpt4o.models == ["gpt-4o-mini-2024-07-18"]
    assert isinstance(Chatgpt4o.supports_stream, bool)
    assert isinstance(Chatgpt4o.supports_message_history, bool)
    params = inspect.signature(Chatgpt4o.create_async).parameters
    assert list(params) == ["model", "messages", "proxy", "timeout", "cookies", "kwargs"]
    assert params["timeout"].default == 120
    assert params["proxy"].default is None
    assert params["cookies"].default is None
    assert inspect.iscoroutinefunction(Chatgpt4o.create_async)
    assert chatgpt4o.Chatgpt4o is Chatgpt4o


def test_create_async_returns_the_reply(site: FakeSite) -> None:
    site.posts = [Step(body=success("Hello"))]
    assert asyncio.run(Chatgpt4o.create_async("gpt-4o-mini", MESSAGES)) == "Hello"
    assert site.forms[0]["message"] == "Hi"


def test_tokens_are_cached_across_calls_and_refreshed_on_nonce_failure(site: FakeSite) -> None:
    site.posts = [Step(body=success("one")), NONCE_18, Step(body=success("two"))]
    assert asyncio.run(Chatgpt4o.create_async("", MESSAGES)) == "one"
    assert asyncio.run(Chatgpt4o.create_async("", MESSAGES)) == "two"
    assert site.page_fetches == 2
    assert site.forms[2]["_wpnonce"] == site.nonces_served[1]


def test_concurrent_cold_calls_fetch_once(site: FakeSite) -> None:
    site.posts = [Step(body=success("ok"))] * 20
    site.page_delay = 0.02

    async def main() -> list[str]:
        calls = (Chatgpt4o.create_async("", MESSAGES) for _ in range(20))
        return list(await asyncio.gather(*calls))

    assert asyncio.run(main()) == ["ok"] * 20
    assert site.page_fetches == 1


def test_create_completion_yields_the_reply_from_sync_code(site: FakeSite) -> None:
    site.posts = [Step(body=success("sync hello"))]
    assert list(Chatgpt4o.create_completion("", MESSAGES, stream=False)) == ["sync hello"]


def test_create_completion_inside_a_running_loop_says_what_to_do(site: FakeSite) -> None:
    async def main() -> None:
        list(Chatgpt4o.create_completion("", MESSAGES))

    with pytest.raises(RuntimeError, match=r"await Chatgpt4o\.create_async"):
        asyncio.run(main())
    assert site.page_fetches == 0


def test_unknown_model_and_bad_messages_fail_before_io(site: FakeSite) -> None:
    with pytest.raises(ModelError):
        asyncio.run(Chatgpt4o.create_async("gpt-9", MESSAGES))
    with pytest.raises(InvalidRequestError):
        asyncio.run(Chatgpt4o.create_async("", [{"role": "user"}]))
    assert site.page_fetches == 0


def test_errors_are_typed_and_still_runtime_errors(site: FakeSite) -> None:
    site.posts = [NONCE_18, NONCE_18]
    with pytest.raises(NonceError) as info:
        asyncio.run(Chatgpt4o.create_async("", MESSAGES))
    assert isinstance(info.value, RuntimeError)


def test_url_can_point_at_another_site(site: FakeSite) -> None:
    # The fixture set Chatgpt4o.url to the fake site; tokens are cached under that URL.
    site.posts = [Step(body=success("from the other site"))]
    assert asyncio.run(Chatgpt4o.create_async("", MESSAGES)) == "from the other site"
    assert site.page_fetches == 1


def test_the_attributes_gpt4free_clients_read() -> None:
    # g4f.client.Client reads get_dict(); its AsyncClient reads use_stream_timeout and, when
    # streaming, calls create_async_generator (checked against gpt4free 8.8.6 by hand).
    assert Chatgpt4o.get_dict() == {
        "name": "Chatgpt4o",
        "url": "https://chatgpt4o.one",
        "label": Chatgpt4o.label,
    }
    assert Chatgpt4o.get_parent() == "Chatgpt4o"
    assert Chatgpt4o.use_stream_timeout is False
    assert inspect.isasyncgenfunction(Chatgpt4o.create_async_generator)


# -- pictures, as gpt4free hands them over ----------------------------------------------------

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP4z8DwHwAFAAH/VscvDQAAAABJRU5ErkJggg=="
)
WEBP = base64.b64decode("UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA==")
PICTURE_QUESTION = [{"role": "user", "content": "What is in it?"}]


@pytest.fixture
def upload_site(monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalSite]:
    """A 2.4.71 stand-in whose bot offers image upload, with the provider pointed at it."""
    with LocalSite("2.4.71", image_upload=True) as local:
        monkeypatch.setattr(Chatgpt4o, "url", local.url)
        monkeypatch.setattr("chatgpt4o._provider._POOLS", ClientPools())
        yield local


def notes(*pictures: bytes) -> str:
    described = [ImageInput(sniff_image_type(p) or "", p).describe() for p in pictures]
    return f"Echo: What is in it? [images: {', '.join(described)}]"


def test_media_pairs_reach_the_model_whatever_their_names(
    upload_site: LocalSite, tmp_path: Path
) -> None:
    (tmp_path / "photo.jpg").write_bytes(WEBP)  # the name says JPEG; the bytes say WEBP
    data_url = "data:image/jpeg;base64," + base64.b64encode(PNG).decode()
    media = [
        (PNG, "cat.gif"),
        (str(tmp_path / "photo.jpg"), "photo.jpg"),
        (io.BytesIO(WEBP), None),
        (data_url, None),
    ]

    async def main() -> str:
        pieces = Chatgpt4o.create_async_generator("", PICTURE_QUESTION, media=media)
        return "".join([piece async for piece in pieces])

    assert asyncio.run(main()) == notes(PNG, WEBP, WEBP, PNG)
    (call,) = upload_site.upstream_calls
    assert [image.mime_type for image in call.images] == [
        "image/png",
        "image/webp",
        "image/webp",
        "image/png",
    ]


@pytest.mark.parametrize(
    "call",
    [
        lambda: asyncio.run(Chatgpt4o.create_async("", PICTURE_QUESTION, images=[(PNG, "a")])),
        lambda: "".join(Chatgpt4o.create_completion("", PICTURE_QUESTION, media=[(PNG, "a")])),
        lambda: "".join(
            Chatgpt4o.create_completion("", PICTURE_QUESTION, stream=True, images=[PNG])
        ),
    ],
    ids=["create_async images", "create_completion media", "create_completion stream images"],
)
def test_every_route_takes_media_and_the_older_images(
    upload_site: LocalSite, call: Callable[[], str]
) -> None:
    assert call() == notes(PNG)


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        ({"media": [(PNG, "a.png"), (b"GIF89a...", "b.gif")]}, InvalidImageError, r"^media\[1\]"),
        ({"images": [(object(), "c.png")]}, InvalidRequestTypeError, r"^images\[0\]"),
        ({"media": [("https://example.com/a.png", None)]}, InvalidImageError, "remote"),
    ],
    ids=["gif", "unknown type", "remote url"],
)
def test_bad_media_is_refused_by_its_field_before_any_request(
    upload_site: LocalSite, kwargs: dict[str, Any], error: type[Exception], words: str
) -> None:
    with pytest.raises(error, match=words):
        asyncio.run(Chatgpt4o.create_async("", PICTURE_QUESTION, **kwargs))
    assert upload_site.requests == []


def test_media_for_a_bot_without_image_upload_is_refused_before_sending(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with LocalSite("2.4.71") as local:
        monkeypatch.setattr(Chatgpt4o, "url", local.url)
        monkeypatch.setattr("chatgpt4o._provider._POOLS", ClientPools())
        with pytest.raises(ImagesNotSupportedError, match="offers no image upload"):
            list(Chatgpt4o.create_completion("", PICTURE_QUESTION, media=[(PNG, "a.png")]))
        assert local.posts == []
