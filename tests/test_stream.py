"""Client.stream and AsyncClient.stream against the stand-in, from one table."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

import chatgpt4o
from chatgpt4o import APIError, BadReplyError, InvalidRequestError, TokenLimitError
from chatgpt4o.testing import LocalSite, recorded_sleeps
from tests.sites import ALL_IDS, ALL_SITES, chat_sends

KINDS = ["sync", "async"]
MESSAGE = "stream me a few words please"


def collect(kind: str, site: LocalSite, message: str = MESSAGE, **kwargs: Any) -> dict[str, Any]:
    """Stream ``message`` on a fresh client; record the pieces, their arrival times, the error."""
    out: dict[str, Any] = {"pieces": [], "times": [], "error": None, "sleeps": []}
    settings = {"max_retries": 2, "timeout": 5, **kwargs}
    with recorded_sleeps() as sleeps:
        if kind == "sync":
            _collect_sync(site, message, settings, out)
        else:
            asyncio.run(_collect_async(site, message, settings, out))
    out["sleeps"] = sleeps
    return out


def _collect_sync(site: LocalSite, message: str, settings: Any, out: dict[str, Any]) -> None:

    with chatgpt4o.Client(site.url, **settings) as client:
        try:
            with client.stream(None, message) as stream:
                for piece in stream:
                    out["pieces"].append(piece)
                    out["times"].append(time.monotonic())
        except chatgpt4o.Chatgpt4oError as exc:
            out["error"] = exc


async def _collect_async(site: LocalSite, message: str, settings: Any, out: dict[str, Any]) -> None:

    async with chatgpt4o.AsyncClient(site.url, **settings) as client:
        try:
            async with client.stream(None, message) as stream:
                async for piece in stream:
                    out["pieces"].append(piece)
                    out["times"].append(time.monotonic())
        except chatgpt4o.Chatgpt4oError as exc:
            out["error"] = exc


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("profile", "streams"), ALL_SITES, ids=ALL_IDS)
def test_stream_joins_to_the_reply(kind: str, profile: str, streams: bool) -> None:
    with LocalSite(profile, stream=streams) as site:
        out = collect(kind, site)
        assert out["error"] is None
        assert "".join(out["pieces"]) == f"Echo: {MESSAGE}"
        if streams:
            assert len(out["pieces"]) > 1, "a streaming site gives several pieces"
        else:
            assert out["pieces"] == [f"Echo: {MESSAGE}"], "a JSON site gives one piece"
        assert len(chat_sends(site)) == 1


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("profile", "streams"), ALL_SITES, ids=ALL_IDS)
def test_create_on_a_streaming_site_returns_the_joined_text(
    kind: str, profile: str, streams: bool
) -> None:
    with LocalSite(profile, stream=streams) as site:
        if kind == "sync":
            with chatgpt4o.Client(site.url) as client:
                reply = client.ask(MESSAGE)
        else:

            async def main() -> str:
                async with chatgpt4o.AsyncClient(site.url) as client:
                    return await client.ask(MESSAGE)

            reply = asyncio.run(main())
    assert reply == f"Echo: {MESSAGE}"


@pytest.mark.parametrize("kind", KINDS)
def test_first_piece_arrives_before_the_server_has_finished(kind: str) -> None:
    delay = 0.15
    with LocalSite("1.9.18", stream=True) as site:
        site.inject("slow_stream", chunk_delay=delay)
        out = collect(kind, site, "one two three four five")
    pieces, times = out["pieces"], out["times"]
    assert "".join(pieces) == "Echo: one two three four five"
    assert len(pieces) >= 4
    # The server paused `delay` between chunks: had anything buffered the body, every piece
    # would arrive together at the end.
    assert times[-1] - times[0] >= (len(pieces) - 2) * delay


@pytest.mark.parametrize("kind", KINDS)
def test_failures_before_the_first_piece_are_retried(kind: str) -> None:
    with LocalSite("1.9.18", stream=True) as site:
        site.inject("rate_limit", retry_after="2")
        site.inject("server_error", status=502)
        out = collect(kind, site)
        assert out["error"] is None
        assert "".join(out["pieces"]) == f"Echo: {MESSAGE}"
        assert out["sleeps"][0] == 2.0
        assert len(out["sleeps"]) == 2
        assert len(chat_sends(site)) == 3


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("profile", ["1.8.79", "1.9.18"])
def test_a_rotated_nonce_is_re_scraped_before_streaming(kind: str, profile: str) -> None:
    with LocalSite(profile, stream=True) as site:
        collect(kind, site)
        site.rotate_nonce()
        out = collect(kind, site)
        assert out["error"] is None
        assert "".join(out["pieces"]) == f"Echo: {MESSAGE}"


@pytest.mark.parametrize("kind", KINDS)
def test_a_stream_cut_after_the_first_piece_raises_and_is_not_retried(kind: str) -> None:
    with LocalSite("1.9.18", stream=True) as site:
        site.inject("stream_cut", after=3)
        out = collect(kind, site)
        # The connection closed without the end of the chunked body: the reply is incomplete.
        assert isinstance(out["error"], BadReplyError)
        assert "broke while reading" in str(out["error"])
        assert out["pieces"], "pieces before the cut reached the caller"
        assert len(chat_sends(site)) == 1


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    ("fault", "params", "error"),
    [
        ("error_mode", {"msg": "Incorrect API key provided"}, APIError),
        ("error_mode", {"msg": 'Bad "quoted" key', "doubled": True}, APIError),
        ("limited", {"msg": "Connection reset"}, APIError),
        ("flag", {"kind": "tokenLimitReached"}, TokenLimitError),
    ],
)
def test_stream_error_shapes_raise_typed_errors_without_pieces(
    kind: str, fault: str, params: dict[str, Any], error: type
) -> None:
    with LocalSite("1.8.79", stream=True) as site:
        site.inject(fault, **params)
        out = collect(kind, site)
    assert isinstance(out["error"], error)
    assert out["pieces"] == []
    if fault != "flag":
        assert params["msg"].split()[0] in str(out["error"])


@pytest.mark.parametrize("kind", KINDS)
def test_bad_input_raises_when_stream_is_called(kind: str) -> None:
    with LocalSite("1.9.18", stream=True) as site:
        if kind == "sync":
            with chatgpt4o.Client(site.url) as client, pytest.raises(InvalidRequestError):
                client.stream(None, [])
        else:

            async def main() -> None:
                async with chatgpt4o.AsyncClient(site.url) as client:
                    client.stream("gpt-9", "hi")

            with pytest.raises(InvalidRequestError):
                asyncio.run(main())
        assert site.requests == []


@pytest.mark.parametrize("kind", KINDS)
def test_closing_early_releases_the_connection(kind: str) -> None:
    with LocalSite("1.9.18", stream=True) as site:
        site.inject("slow_stream", chunk_delay=0.05)
        if kind == "sync":
            with chatgpt4o.Client(site.url) as client:
                with client.stream(None, MESSAGE) as stream:
                    first = next(stream)
                assert client.ask("after") == "Echo: after"
        else:

            async def main() -> tuple[str, str]:
                async with chatgpt4o.AsyncClient(site.url) as client:
                    async with client.stream(None, MESSAGE) as stream:
                        first = await stream.__anext__()
                    return first, await client.ask("after")

            first, after = asyncio.run(main())
            assert after == "Echo: after"
    assert f"Echo: {MESSAGE}".startswith(first)
