"""The gpt4free-compatible Chatgpt4o provider: its class surface, and pictures as gpt4free hands
them over (calls on every plugin era: tests/e2e/test_provider.py)."""

from __future__ import annotations

import asyncio
import base64
import inspect
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Callable

import pytest

import chatgpt4o
from chatgpt4o import (
    Chatgpt4o,
    ImagesNotSupportedError,
    InvalidImageError,
    InvalidRequestTypeError,
)
from chatgpt4o._images import ImageInput, sniff_image_type
from chatgpt4o._provider_pool import ClientPools
from chatgpt4o.testing import LocalSite
from tests.canned import PNG, WEBP


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
