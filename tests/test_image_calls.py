"""Pictures through every entry point, on both clients: what reaches the model, what is refused.

The stand-in's model ends its answer with a note naming each picture it received (type, size and
a hash of the bytes), so a reply shows which bytes arrived. The site's refusals are scripted
(``tests/fakesite.py``): a client never sends what the site would refuse for its type.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import urllib.request
from collections.abc import Iterator
from typing import Any, Callable

import pytest

import chatgpt4o
from chatgpt4o import (
    ImageRejectedError,
    ImagesNotSupportedError,
    ImageTooLargeError,
    ImageTooLargeForSiteError,
    InvalidImageError,
    InvalidRequestError,
)
from chatgpt4o._images import (
    DEFAULT_IMAGE_PROMPT,
    DEFAULT_MAX_IMAGE_BYTES,
    ImageInput,
)
from chatgpt4o.testing import LocalSite
from tests.canned import PNG, PNG_URL, WEBP
from tests.fakesite import BASE_URL, HTML, FakeSite, Runner, Step

NOTE = "[images: image/png 70 bytes sha256:49e1dad481e9]"  # as the recorded model named a.png
QUESTION = "What is in this picture?"
SETTINGS: dict[str, Any] = {"timeout": 5, "max_retries": 2}


def then(value: Any, finish: Callable[[Any], Any]) -> Any:
    """``finish(value)``, after awaiting ``value`` when it is awaitable (the async client)."""
    if inspect.isawaitable(value):

        async def later() -> Any:
            result = finish(await value)
            return await result if inspect.isawaitable(result) else result

        return later()
    return finish(value)


def joined(stream: Any) -> Any:
    """The pieces of a Stream joined, or a coroutine joining an AsyncStream's."""
    if hasattr(stream, "__aiter__"):

        async def collect() -> str:
            return "".join([piece async for piece in stream])

        return collect()
    return "".join(stream)


def completion_text(client: Any, **kwargs: Any) -> Any:
    content = [
        {"type": "text", "text": QUESTION},
        {"type": "image_url", "image_url": {"url": PNG_URL}},
    ]
    created = client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": content}], **kwargs
    )
    if kwargs.get("stream"):
        return then(created, _chunks_text)
    return then(created, lambda completion: completion.choices[0].message.content)


def _pieces(chunks: list[Any]) -> str:
    return "".join(chunk.choices[0].delta.content or "" for chunk in chunks)


def _chunks_text(stream: Any) -> Any:
    if hasattr(stream, "__aiter__"):

        async def collect() -> str:
            return _pieces([chunk async for chunk in stream])

        return collect()
    return _pieces(list(stream))


# Each entry point, called the same way on both clients: a str, or an awaitable of one.
ENTRY_POINTS: dict[str, Callable[[Any], Any]] = {
    "create": lambda c: c.create(None, [{"role": "user", "content": QUESTION}], images=[PNG]),
    "ask": lambda c: c.ask(QUESTION, images=PNG),
    "stream": lambda c: joined(c.stream(None, QUESTION, images=PNG_URL)),
    "conversation.send": lambda c: c.conversation().send(QUESTION, images=[PNG]),
    "conversation.stream": lambda c: joined(c.conversation().stream(QUESTION, images=PNG)),
    "chat.completions": completion_text,
    "chat.completions stream": lambda c: completion_text(c, stream=True),
}


def run(kind: str, site: LocalSite, call: Callable[[Any], Any], **options: Any) -> Any:
    """``call(client)`` on a fresh client of ``kind`` for ``site``; awaited for the async one."""
    if kind == "sync":
        with chatgpt4o.Client(site.url, **{**SETTINGS, **options}) as client:
            return call(client)

    async def main() -> Any:
        async with chatgpt4o.AsyncClient(site.url, **{**SETTINGS, **options}) as client:
            return await call(client)

    return asyncio.run(main())


@pytest.fixture(scope="module")
def upload_site() -> Iterator[LocalSite]:
    with LocalSite("2.4.71", image_upload=True) as site:
        yield site


@pytest.mark.parametrize("kind", ["sync", "async"])
@pytest.mark.parametrize("entry", list(ENTRY_POINTS))
def test_a_picture_reaches_the_model_through_every_entry_point_within_its_cap(
    kind: str, entry: str, upload_site: LocalSite
) -> None:
    upload_site.clear_log()
    with pytest.raises(ImageTooLargeError, match=r"at most 0.0 MB \(69 bytes\)") as caught:
        run(kind, upload_site, ENTRY_POINTS[entry], max_image_bytes=len(PNG) - 1)
    assert upload_site.requests == []
    assert (caught.value.size, caught.value.limit) == (len(PNG), len(PNG) - 1)

    reply = run(kind, upload_site, ENTRY_POINTS[entry])

    assert reply == f"Echo: {QUESTION} {NOTE}"
    (call,) = upload_site.upstream_calls
    assert [part.data for part in call.images] == [PNG]
    (cache_post,) = upload_site.cache_posts
    fields = list(cache_post.fields)
    assert fields[fields.index("bot_id") + 1] == "image_inputs"  # where the browser puts it


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_pictures_alone_are_sent_with_the_default_question(
    kind: str, upload_site: LocalSite
) -> None:
    upload_site.clear_log()

    reply = run(kind, upload_site, lambda c: c.create(None, "  ", images=[PNG, WEBP]))

    webp = ImageInput("image/webp", WEBP).describe()
    assert (
        reply
        == f"Echo: {DEFAULT_IMAGE_PROMPT} [images: image/png 70 bytes sha256:49e1dad481e9, {webp}]"
    )
    assert upload_site.cache_posts[0].fields["message"] == DEFAULT_IMAGE_PROMPT


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_a_conversation_keeps_the_text_and_the_site_replays_it(
    kind: str, upload_site: LocalSite
) -> None:
    def talk(client: Any) -> Any:
        chat = client.conversation(history="native")
        first = chat.send("", images=PNG)

        def second(_: object) -> Any:
            return then(chat.send("And now?"), lambda _reply: chat.turns)

        return then(first, second)

    upload_site.clear_log()
    turns = run(kind, upload_site, talk)

    assert [t["content"] for t in turns] == [
        DEFAULT_IMAGE_PROMPT,
        f"Echo: {DEFAULT_IMAGE_PROMPT} {NOTE}",
        "And now?",
        "Echo: And now?",
    ]
    later = upload_site.upstream_calls[-1]
    assert later.images == ()
    assert later.input[1] == {"role": "user", "content": DEFAULT_IMAGE_PROMPT}


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_the_2_4_0_json_path_takes_one_picture(kind: str) -> None:
    with LocalSite("2.4.0", image_upload=True) as site:
        reply = run(kind, site, lambda c: c.ask(QUESTION, images=PNG))
        (post,) = site.json_posts

    assert reply == f"Echo: {QUESTION} {NOTE}"
    fields = list(post.fields)
    assert fields[fields.index("message") + 1] == "image_inputs"


# -- refused before anything is sent ---------------------------------------------------------


@pytest.mark.parametrize("kind", ["sync", "async"])
@pytest.mark.parametrize(
    ("profile", "options", "pictures", "words"),
    [
        ("2.4.71", {}, [PNG], "offers no image upload"),
        ("1.9.18", {}, [PNG], "old AI Power chat plugin"),
        ("2.4.0", {"image_upload": True, "stream": True}, [PNG, WEBP], "reads only the first"),
    ],
    ids=["upload off", "old plugin", "2.4.0 two pictures"],
)
def test_a_bot_that_does_not_take_them_refuses_before_sending(
    kind: str, profile: str, options: dict[str, Any], pictures: list[bytes], words: str
) -> None:
    with LocalSite(profile, **options) as site:
        with pytest.raises(ImagesNotSupportedError, match=words) as caught:
            run(kind, site, lambda c: c.ask(QUESTION, images=pictures))
        assert site.page_fetches == 1
        assert site.posts == []
        assert site.url in str(caught.value)


@pytest.mark.parametrize("kind", ["sync", "async"])
@pytest.mark.parametrize(
    ("call", "error", "words"),
    [
        (lambda c: c.ask("hi", images="https://example.com/a.png"), InvalidImageError, "remote"),
        (
            lambda c: c.create(
                None,
                [
                    {"role": "user", "content": [{"type": "image_url", "image_url": PNG_URL}]},
                    {"role": "assistant", "content": "A dot."},
                    {"role": "user", "content": "Bigger?"},
                ],
            ),
            InvalidImageError,
            r"messages\[0\]\.content: pictures go with the last message",
        ),
    ],
    ids=["remote url", "picture in an earlier message"],
)
def test_bad_pictures_are_refused_before_any_request(
    kind: str, call: Callable[[Any], Any], error: type[Exception], words: str
) -> None:
    with LocalSite("2.4.71", image_upload=True) as site:
        with pytest.raises(error, match=words):
            run(kind, site, call)
        assert site.requests == []


# -- the client's size cap -------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_a_raised_max_image_bytes_sends_a_picture_over_the_default(kind: str) -> None:
    big = PNG + bytes(DEFAULT_MAX_IMAGE_BYTES)  # trailing bytes: still a PNG by its signature
    with LocalSite("2.4.71", image_upload=True) as site:
        with pytest.raises(ImageTooLargeError, match="raise max_image_bytes"):
            run(kind, site, lambda c: c.ask(QUESTION, images=big))

        # Over 7 MB of form: a loaded machine may take longer than the suite's 5 s to move it.
        reply = run(
            kind, site, lambda c: c.ask(QUESTION, images=big), max_image_bytes=len(big), timeout=120
        )

        (call,) = site.upstream_calls
    assert reply == f"Echo: {QUESTION} [images: {ImageInput('image/png', big).describe()}]"
    assert call.images[0].data == big


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_with_options_carries_max_image_bytes_and_checks_it(kind: str) -> None:
    def strict_ask(client: Any) -> Any:
        strict = client.with_options(max_image_bytes=len(PNG) - 1).with_options(timeout=9)
        return strict.ask(QUESTION, images=PNG)

    def original_ask(client: Any) -> Any:
        with pytest.raises(InvalidRequestError, match=r"^max_image_bytes: expected 1 to"):
            client.with_options(max_image_bytes=0)
        client.with_options(max_image_bytes=len(PNG) - 1)
        return client.ask(QUESTION, images=PNG)  # the original keeps its own cap

    with LocalSite("2.4.71", image_upload=True) as site:
        with pytest.raises(ImageTooLargeError, match="69 bytes"):
            run(kind, site, strict_ask)
        assert site.requests == []
        assert run(kind, site, original_ask) == f"Echo: {QUESTION} {NOTE}"


# -- the site's refusals ---------------------------------------------------------------------


def scripted_page(profile: str) -> str:
    """The stand-in's page for ``profile`` with picture upload on, as if served at BASE_URL."""
    with (
        LocalSite(profile, image_upload=True) as site,
        urllib.request.urlopen(site.url) as response,
    ):
        html: str = response.read().decode()
        return html.replace(site.url, BASE_URL).replace(
            site.url.replace("/", "\\/"), BASE_URL.replace("/", "\\/")
        )


def plugin_error(message: str, code: str | None = None) -> str:
    data = {"message": message, **({"code": code} if code else {})}
    return json.dumps({"success": False, "data": data}, separators=(",", ":"))


BIG = PNG[:8] + bytes(1_500_000)  # a PNG as far as we can tell; over the host-limit threshold


@pytest.mark.parametrize("kind", ["sync", "async"])
@pytest.mark.parametrize(
    ("profile", "picture", "status", "body", "error", "code"),
    [
        (
            "2.4.71",
            PNG,
            400,
            plugin_error("Invalid image type. Allowed: JPG, PNG, WEBP.", "invalid_image_type"),
            ImageRejectedError,
            "invalid_image_type",
        ),
        ("2.4.71", BIG, 400, "0", ImageTooLargeForSiteError, "host_post_max_size"),
        (
            "2.4.0",
            PNG,
            400,
            plugin_error("Invalid image data provided."),
            ImageRejectedError,
            "invalid_image_payload",
        ),
    ],
    ids=["type", "post_max_size", "2.4.0 json path"],
)
def test_the_sites_refusals_are_typed_and_not_retried(
    kind: str,
    profile: str,
    picture: bytes,
    status: int,
    body: str,
    error: type[Exception],
    code: str,
) -> None:
    html = HTML if body == "0" else None
    step = Step(status, body, dict(html)) if html else Step(status, body)
    site = FakeSite(pages=[Step(200, scripted_page(profile), dict(HTML))], posts=[step])

    with pytest.raises(error) as caught:
        Runner(kind, site).run(lambda c: c.ask(QUESTION, images=picture))

    assert getattr(caught.value, "code", None) == code
    (form,) = site.forms  # one POST: a refusal of the picture is not retried
    assert json.loads(form["image_inputs"])[0]["mime_type"] == "image/png"
