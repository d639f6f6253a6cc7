"""Streams: the old plugin's decoder and the SSE layer on real-shaped bodies cut anywhere, then
``Client.stream`` / ``AsyncClient.stream`` against a site."""

from __future__ import annotations

import asyncio
import json
import random
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Callable, Optional, Union

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import chatgpt4o
from chatgpt4o._exceptions import (
    BadReplyError,
    Chatgpt4oError,
    ContentFlaggedError,
    NonceError,
    PluginError,
    TokenLimitError,
    UpstreamError,
)
from chatgpt4o._http import is_event_stream
from chatgpt4o._sse import MAX_LINE_BYTES, ServerSentEvent, SSEDecoder
from chatgpt4o._wpaicg import WpaicgStreamDecoder
from chatgpt4o.testing import LocalSite
from tests.reliability._servers import Exchange, TinySite, chat_page
from tests.sites import ALL_IDS, ALL_SITES, chat_sends

URL = "https://example.test/wp-admin/admin-ajax.php"


def decode_stream(body: bytes, url: str) -> str:
    """A whole stream body, decoded in one go: its text, or the error it stands for."""
    decoder = WpaicgStreamDecoder(url)
    return "".join([*decoder.feed(body), *decoder.close()])


# --- building real-shaped streams ---------------------------------------------------------------


def _json(value: object) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def chunk(
    content: Optional[str] = None, *, role: bool = False, finish: Optional[str] = None
) -> bytes:
    """One OpenAI chat.completion.chunk event, as the plugin relays it."""
    delta: dict[str, object] = {}
    if role:
        delta["role"] = "assistant"
    if content is not None:
        delta["content"] = content
    event = {
        "id": "chatcmpl-A7xYzQ1b2C3d4E5f6G7h8",
        "object": "chat.completion.chunk",
        "created": 1726400000,
        "model": "gpt-4o-mini-2024-07-18",
        "system_fingerprint": "fp_483d39d857",
        "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
    }
    return f"data: {_json(event)}\n\n".encode()


def legacy(text: str, *, finish: Optional[str] = None) -> bytes:
    """One legacy text_completion chunk (``choices[0].text``)."""
    event = {
        "id": "cmpl-8a9b0c",
        "object": "text_completion",
        "created": 1726400000,
        "model": "gpt-3.5-turbo-instruct",
        "choices": [{"text": text, "index": 0, "logprobs": None, "finish_reason": finish}],
    }
    return f"data: {_json(event)}\n\n".encode()


def word(text: str, *, event_line: bool = True) -> bytes:
    """One error-mode word event: JSON built by concatenation, so ``"`` and ``\\`` break it."""
    head = b"event: message\n" if event_line else b""
    return head + b'data: {"choices":[{"delta":{"content":"' + text.encode() + b'"}}]}\n\n'


ERROR_FINISH = b'data: {"choices":[{"finish_reason":"stop"}]}\n\n'
DONE = b"data: [DONE]\n\n"
GREETING = (
    "Converse as if you were an AI assistant. Answer the question as truthfully as possible "
    'using the provided context. Tone: Friendly.\n, Current context: "Home"'
)


def php_json(value: object) -> bytes:
    """JSON as PHP's wp_send_json writes it: compact, ASCII-only, ``/`` escaped."""
    return json.dumps(value, separators=(",", ":")).replace("/", "\\/").encode()


def bare_success(data: str) -> bytes:
    """The 1.8.79 JSON reply written after ``[DONE]``: no ``data:`` prefix, no newline."""
    return php_json(
        {
            "status": "success",
            "msg": "Something went wrong",
            "greeting_message": GREETING,
            "data": data,
            "log": False,
        }
    )


def flag(payload: dict[str, object]) -> bytes:
    return f"data: {_json(payload)}\n\n".encode()


def words(message: str, **kwargs: bool) -> bytes:
    """An upstream error message re-emitted one word per event, later words with a space."""
    parts = message.split(" ")
    return b"".join(word(part if i == 0 else " " + part, **kwargs) for i, part in enumerate(parts))


HELLO = chunk("", role=True) + chunk("Hello") + chunk(", world") + chunk("!")
HELLO_TEXT = "Hello, world!"
RATE_LIMIT = (
    "Rate limit reached for gpt-4o-mini in organization org-abc on requests per min (RPM): "
    "Limit 3, Used 3, Requested 1."
)
QUOTED = 'Invalid value for "temperature": C:\\path is not a "number".'


# --- the table ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ok:
    text: str


@dataclass(frozen=True)
class Err:
    type: type[Chatgpt4oError]
    contains: tuple[str, ...] = ()
    msg: Optional[str] = None  # PluginError.msg, exactly


Expected = Union[Ok, Err]

STREAMS: dict[str, tuple[bytes, Expected]] = {
    "1.9 ending: finish chunk then [DONE]": (HELLO + chunk(finish="stop") + DONE, Ok(HELLO_TEXT)),
    "[DONE] without a finish chunk": (HELLO + DONE, Ok(HELLO_TEXT)),
    "1.8.79: [DONE] then bare JSON repeating the text": (
        HELLO + chunk(finish="stop") + DONE + bare_success(HELLO_TEXT),
        Ok(HELLO_TEXT),
    ),
    "1.8.79: [DONE] then bare JSON, nothing streamed": (
        DONE + bare_success("Bonjour ! Ça va ? 日本"),
        Ok("Bonjour ! Ça va ? 日本"),
    ),
    "1.8.79: bare JSON after a blank-less [DONE]": (
        b"data: [DONE]\n" + bare_success("Reply"),
        Ok("Reply"),
    ),
    "finish_reason only, no [DONE]": (HELLO + chunk(finish="stop"), Ok(HELLO_TEXT)),
    "finish_reason length": (HELLO + chunk(finish="length"), Ok(HELLO_TEXT)),
    "legacy text chunks": (
        legacy("Once") + legacy(" upon") + legacy(" a time", finish="stop") + DONE,
        Ok("Once upon a time"),
    ),
    "role-only first delta, no content key": (
        chunk(role=True) + chunk("Hi") + DONE,
        Ok("Hi"),
    ),
    "usage chunk with empty choices": (
        HELLO
        + b'data: {"id":"chatcmpl-1","object":"chat.completion.chunk","choices":[],'
        + b'"usage":{"prompt_tokens":9,"completion_tokens":4,"total_tokens":13}}\n\n'
        + DONE,
        Ok(HELLO_TEXT),
    ),
    "multibyte text": (
        chunk("Grüße, ") + chunk("日本語 ") + chunk("🎉") + DONE,
        Ok("Grüße, 日本語 🎉"),
    ),
    "data without a space after the colon": (
        b'data:{"id":"c","object":"chat.completion.chunk","choices":[{"delta":{"content":"x"}}]}'
        + b"\n\ndata:[DONE]\n\n",
        Ok("x"),
    ),
    "CRLF line endings": (
        (HELLO + DONE).replace(b"\n", b"\r\n"),
        Ok(HELLO_TEXT),
    ),
    "CR line endings": (
        (HELLO + DONE).replace(b"\n", b"\r"),
        Ok(HELLO_TEXT),
    ),
    "multi-line data joined by newline": (
        b'data: {"id":"c","object":"chat.completion.chunk",\n'
        b'data: "choices":[{"delta":{"content":"two lines"}}]}\n\n' + DONE,
        Ok("two lines"),
    ),
    "comments, keep-alives, id, retry, unknown events": (
        b": " + b" " * 2048 + b"\n\n"
        b"retry: 3000\n\n"
        b": ping\n\n" + chunk("A") + b"id: 7\n" + chunk("B") + b"event: ping\ndata: {}\n\n"
        b"event: keepalive\ndata: not json at all\n\n"
        b"data:\n\n" + chunk("C") + DONE,
        Ok("ABC"),
    ),
    "PHP warning before the stream": (
        b'<br />\n<b>Warning</b>:  Undefined array key "wpaicg_chat_client_id" in '
        b"<b>/var/www/html/wp-content/plugins/x.php</b> on line <b>42</b><br />\n" + HELLO + DONE,
        Ok(HELLO_TEXT),
    ),
    "token limit flag": (
        flag({"msg": "You have reached your token limit.", "tokenLimitReached": True}),
        Err(TokenLimitError, ("token limit",), "You have reached your token limit."),
    ),
    "banned IP flag, a model stream follows": (
        flag({"msg": "You are not allowed to access this feature.", "ipBanned": True})
        + HELLO
        + DONE,
        Err(ContentFlaggedError, (), "You are not allowed to access this feature."),
    ),
    "banned word flag": (
        flag({"msg": "Your message contains prohibited words.", "messageFlagged": True}),
        Err(ContentFlaggedError, ("prohibited words",)),
    ),
    "premium moderation flag": (
        flag({"msg": "Your message was flagged.", "status": "error", "modflag": True}),
        Err(ContentFlaggedError, ("flagged",)),
    ),
    "pinecone flag": (
        flag({"msg": "Pinecone query failed", "pineconeError": True}),
        Err(UpstreamError, ("Pinecone query failed",)),
    ),
    "status error line": (
        flag({"status": "error", "msg": "Something &amp; else"}),
        Err(PluginError, (), "Something & else"),
    ),
    "nonce failure as a bare JSON body": (
        php_json({"status": "error", "msg": "Nonce verification failed"}),
        Err(NonceError, ("rejected the nonce",)),
    ),
    "OpenAI error object in the stream": (
        HELLO + flag({"error": {"message": "The server had an error", "type": "server_error"}}),
        Err(UpstreamError, (), "The server had an error"),
    ),
    "error mode, valid JSON words": (
        words(RATE_LIMIT) + ERROR_FINISH,
        Err(UpstreamError, ("Rate limit reached",), RATE_LIMIT),
    ),
    "error mode, invalid JSON words with quotes and backslashes": (
        words(QUOTED) + ERROR_FINISH,
        Err(UpstreamError, (), QUOTED),
    ),
    "error mode without event lines": (
        words(RATE_LIMIT, event_line=False) + ERROR_FINISH,
        Err(UpstreamError, (), RATE_LIMIT),
    ),
    "error mode, one event": (
        word("Incorrect API key provided: sk-abc. You can find your key elsewhere.") + ERROR_FINISH,
        Err(
            UpstreamError,
            (),
            "Incorrect API key provided: sk-abc. You can find your key elsewhere.",
        ),
    ),
    "error mode doubled, then empty success": (
        words(QUOTED) + ERROR_FINISH + words(QUOTED) + ERROR_FINISH + bare_success(""),
        Err(UpstreamError, (), QUOTED),
    ),
    "error mode cut before its finish line": (
        words(RATE_LIMIT),
        Err(UpstreamError, (), RATE_LIMIT),
    ),
    "error mode then [LIMITED]": (
        words("The server is overloaded.") + b"event: message\ndata: [LIMITED]\n\n",
        Err(UpstreamError, (), "The server is overloaded."),
    ),
    "[LIMITED] alone": (
        b"event: message\ndata: [LIMITED]\n\n",
        Err(UpstreamError, ("LIMITED", "connection to the model failed")),
    ),
    "truncated: no end marker": (
        HELLO,
        Err(BadReplyError, ("ended before the end marker", "13 characters received", URL)),
    ),
    "truncated mid-line": (
        HELLO + b'data: {"id":"c","object":"chat.completion.chunk","choices":[{"del',
        Err(BadReplyError, ("ended before the end marker", "13 characters received")),
    ),
    "empty body": (b"", Err(BadReplyError, ("ended before the end marker", "0 characters"))),
    "[DONE] and no text": (chunk("", role=True) + DONE, Err(BadReplyError, ("empty reply",))),
    "empty success after [DONE]": (
        DONE + bare_success(""),
        Err(BadReplyError, ("empty reply",)),
    ),
    "garbage data line": (
        HELLO + b"data: <html><body>Bad gateway</body></html>\n\n" + DONE,
        Err(BadReplyError, ("expected JSON", URL)),
    ),
    "JSON that is not an object": (
        b"data: [1, 2, 3]\n\n" + DONE,
        Err(BadReplyError, ("expected a JSON object",)),
    ),
    "HTML page served as an event stream": (
        b"<!DOCTYPE html>\n<html><head><title>Error</title></head><body>502</body></html>",
        Err(BadReplyError, ("ended before the end marker",)),
    ),
}

CASES = sorted(STREAMS)


def outcome(chunks: list[bytes]) -> tuple[object, ...]:
    """Feed the chunks and close; report the text or the error type and message."""
    decoder = WpaicgStreamDecoder(URL)
    pieces: list[str] = []
    try:
        for part in chunks:
            pieces += decoder.feed(part)
        pieces += decoder.close()
    except Chatgpt4oError as exc:
        return ("error", type(exc), str(exc))
    return ("ok", "".join(pieces))


@pytest.mark.parametrize("name", CASES)
def test_stream_table(name: str) -> None:
    body, expected = STREAMS[name]
    if isinstance(expected, Ok):
        assert decode_stream(body, URL) == expected.text
        return
    with pytest.raises(expected.type) as info:
        decode_stream(body, URL)
    assert type(info.value) is expected.type
    for part in expected.contains:
        assert part in str(info.value)
    if expected.msg is not None:
        assert isinstance(info.value, PluginError)
        assert info.value.msg == expected.msg


@pytest.mark.parametrize("name", CASES)
def test_split_invariance(name: str) -> None:
    body, _ = STREAMS[name]
    whole = outcome([body])
    assert outcome([body[i : i + 1] for i in range(len(body))]) == whole
    for cut in range(len(body) + 1):
        assert outcome([body[:cut], body[cut:]]) == whole, cut
    rng = random.Random(name)
    for _ in range(25):
        cuts = sorted(rng.sample(range(len(body) + 1), min(len(body) + 1, rng.randint(1, 12))))
        parts = [body[a:b] for a, b in zip([0, *cuts], [*cuts, len(body)])]
        assert outcome(parts) == whole, cuts


def test_pieces_come_out_as_soon_as_their_event_is_complete() -> None:
    decoder = WpaicgStreamDecoder(URL)
    first, second = chunk("Hello"), chunk(", world")
    assert decoder.feed(first) == ["Hello"]
    assert decoder.feed(second[:20]) == []
    assert decoder.feed(second[20:-1]) == []  # the blank line ends the event
    assert decoder.feed(second[-1:]) == [", world"]
    assert decoder.feed(DONE) == []
    assert decoder.close() == []


def test_flag_raises_at_once_without_waiting_for_eof() -> None:
    decoder = WpaicgStreamDecoder(URL)
    assert decoder.feed(chunk("Hi")) == ["Hi"]
    with pytest.raises(TokenLimitError):
        decoder.feed(flag({"msg": "Quota used up", "tokenLimitReached": True}))
    with pytest.raises(TokenLimitError):  # the decoder stays failed
        decoder.feed(DONE)
    with pytest.raises(TokenLimitError):
        decoder.close()


def test_error_mode_words_are_never_yielded_and_raise_at_the_finish_line() -> None:
    decoder = WpaicgStreamDecoder(URL)
    for part in (word("Server"), word(" is"), word(' "busy"')):
        assert decoder.feed(part) == []
    with pytest.raises(UpstreamError) as info:
        decoder.feed(ERROR_FINISH)
    assert info.value.msg == 'Server is "busy"'


def test_utf8_character_split_across_chunks() -> None:
    body = chunk("é🎉日") + DONE
    encoded = "é🎉日".encode()
    start = body.index(encoded)
    decoder = WpaicgStreamDecoder(URL)
    pieces: list[str] = []
    # Cut inside each multi-byte character: after 1 byte of é, 2 of 🎉, 1 of 日.
    for a, b in zip([0, start + 1, start + 4, start + 7], [start + 1, start + 4, start + 7, None]):
        pieces += decoder.feed(body[a:b])
    pieces += decoder.close()
    assert pieces == ["é🎉日"]


def test_overlong_line_is_refused_in_one_chunk_or_many() -> None:
    line = b"data: " + b"x" * MAX_LINE_BYTES
    decoder = WpaicgStreamDecoder(URL)
    for start in range(0, MAX_LINE_BYTES, 65536):  # exactly the cap: still accepted
        assert decoder.feed(line[start : min(start + 65536, MAX_LINE_BYTES)]) == []
    with pytest.raises(BadReplyError, match="longer than"):
        decoder.feed(line[MAX_LINE_BYTES:])
    with pytest.raises(BadReplyError, match="longer than") as info:
        decode_stream(line + b"\n\n" + DONE, URL)
    assert info.value.url == URL


def test_overlong_event_and_stray_text_are_refused() -> None:
    sse = SSEDecoder(max_line_bytes=64)
    with pytest.raises(BadReplyError, match="an event"):
        sse.feed(b"data: 0123456789\n" * 8)
    sse = SSEDecoder(max_line_bytes=64)
    with pytest.raises(BadReplyError, match="not an event"):
        sse.feed(b"<p>warning</p>\n" * 8)


def test_lines_just_under_the_cap_are_fine() -> None:
    sse = SSEDecoder(max_line_bytes=16)
    assert sse.feed(b"data: 0123456789\n\n") == [ServerSentEvent(None, "0123456789")]


def test_stream_with_text_but_error_body_keeps_a_preview() -> None:
    with pytest.raises(BadReplyError) as info:
        decode_stream(HELLO, URL)
    assert info.value.body.startswith("data: ")


# --- the generic SSE layer ------------------------------------------------------------------------

SSE = {
    # Multi-line data joins with "\n"; event names are kept; comments, id and retry are not events.
    "fields": (
        [
            b": comment\n"
            b"event: update\nid: 3\nretry: 10\ndata: line one\ndata:line two\ndata\n\n"
            b"data: second\n\n"
        ],
        [ServerSentEvent("update", "line one\nline two\n"), ServerSentEvent(None, "second")],
        "",
    ),
    # Were the "\n" read as a second (blank) line, "a" and "b" would be two events.
    "crlf split between cr and lf": (
        [b"data: a\r", b"\ndata: b\r\n\r", b"\n"],
        [ServerSentEvent(None, "a\nb")],
        "",
    ),
    "cr alone ends lines": (
        [b"data: a\rdata: b\r\rdata: c\r\r"],
        [ServerSentEvent(None, "a\nb"), ServerSentEvent(None, "c")],
        "",
    ),
    "trailing non-SSE text": (
        [DONE + b'{"status":"success","data":"x","log":false}'],
        [ServerSentEvent(None, "[DONE]")],
        '{"status":"success","data":"x","log":false}',
    ),
    "trailing resets at each event": (
        [b"junk one\ndata: a\n\nlast words"],
        [ServerSentEvent(None, "a")],
        "last words",
    ),
    "leading BOM stripped, bad UTF-8 replaced": (
        [b"\xef\xbb", b"\xbfdata: ok\xff\n\n"],
        [ServerSentEvent(None, "ok\ufffd")],
        "",
    ),
    "blank lines without data dispatch nothing": ([b"\n\n\nevent: x\n\n\n"], [], ""),
}


@pytest.mark.parametrize(("chunks", "events", "trailing"), SSE.values(), ids=SSE.keys())
def test_sse_decoder(chunks: list[bytes], events: list[ServerSentEvent], trailing: str) -> None:
    decoder = SSEDecoder()
    got = [event for part in chunks for event in decoder.feed(part)]
    assert (got + decoder.flush(), decoder.trailing) == (events, trailing)


def test_sse_flush_returns_a_final_event_without_blank_line() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: [DONE]") == []
    assert decoder.flush() == [ServerSentEvent(None, "[DONE]")]


@pytest.mark.parametrize(
    ("content_type", "expected"),
    [
        ("text/event-stream;charset=UTF-8", True),
        ("text/event-stream; charset=utf-8", True),
        ("Text/Event-Stream", True),
        ("  text/event-stream  ", True),
        ("text/event-stream, charset=UTF-8", True),
        ("application/json; charset=UTF-8", False),
        ("text/html", False),
        ("text/event-streaming", False),
        ("", False),
        (None, False),
    ],
)
def test_is_event_stream(content_type: Optional[str], expected: bool) -> None:
    assert is_event_stream(content_type) is expected


# --- arbitrary input ------------------------------------------------------------------------------

_FRAGMENTS = [
    b"data: ",
    b"data:",
    b"event: message\n",
    b"\n",
    b"\r\n",
    b"\r",
    b": c\n",
    b"[DONE]",
    b"[LIMITED]",
    b'{"choices":[{"delta":{"content":"',
    b'"}}]}',
    b'{"choices":[{"finish_reason":"stop"}]}',
    b'{"id":"c","object":"chat.completion.chunk","choices":[{"delta":{"content":"x"}}]}',
    b'{"status":"success","data":"y","log":false}',
    b'{"status":"error","msg":"no"}',
    b'{"msg":"m","tokenLimitReached":true}',
    b'{"error":{"message":"e"}}',
    b"\xe6\x97\xa5",
    b"\xef\xbb\xbf",
    b"{",
    b'"',
    b"\\",
]
_BODIES = st.one_of(
    st.binary(max_size=600),
    st.lists(st.sampled_from(_FRAGMENTS) | st.binary(max_size=8), max_size=40).map(b"".join),
)


@settings(max_examples=400, deadline=None)
@given(body=_BODIES, cuts=st.lists(st.integers(min_value=0, max_value=600), max_size=12))
def test_arbitrary_bytes_give_text_or_a_package_error(body: bytes, cuts: list[int]) -> None:
    points = sorted({min(cut, len(body)) for cut in cuts})
    parts = [body[a:b] for a, b in zip([0, *points], [*points, len(body)])]
    result = outcome(parts)
    assert result == outcome([body])
    if result[0] == "ok":
        text = result[1]
        assert isinstance(text, str)
        assert text.strip()
    else:
        assert issubclass(result[1], Chatgpt4oError)  # type: ignore[arg-type]


# --- Client.stream and AsyncClient.stream on a site ------------------------------------------

KINDS = ["sync", "async"]
MESSAGE = "stream me a few words please"


def collect(kind: str, url: str, on_piece: Callable[[], object] = lambda: None) -> list[str]:
    """The pieces of one streamed call on a fresh client; ``on_piece`` runs as each arrives."""
    pieces: list[str] = []
    if kind == "sync":
        with chatgpt4o.Client(url, max_retries=0) as client, client.stream(None, MESSAGE) as out:
            for piece in out:
                pieces.append(piece)
                on_piece()
        return pieces

    async def main() -> None:
        async with (
            chatgpt4o.AsyncClient(url, max_retries=0) as client,
            client.stream(None, MESSAGE) as out,
        ):
            async for piece in out:
                pieces.append(piece)
                on_piece()

    asyncio.run(main())
    return pieces


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("profile", "streams"), ALL_SITES, ids=ALL_IDS)
def test_stream_joins_to_the_reply(kind: str, profile: str, streams: bool) -> None:
    with LocalSite(profile, stream=streams) as site:
        pieces = collect(kind, site.url)
        assert "".join(pieces) == f"Echo: {MESSAGE}"
        if streams:
            assert len(pieces) > 1, "a streaming site gives several pieces"
        else:
            assert len(pieces) == 1, "a JSON site gives one piece"
        assert len(chat_sends(site)) == 1


@pytest.mark.parametrize("kind", KINDS)
def test_the_first_piece_reaches_the_caller_while_the_site_holds_the_rest(kind: str) -> None:
    taken = threading.Event()
    held: list[bool] = []

    def events(exchange: Exchange) -> None:
        def body() -> Iterator[bytes]:
            yield chunk("Hello")
            # Had anything buffered the body, the caller could not take a piece before the end.
            held.append(taken.wait(timeout=10))
            yield chunk(", world") + DONE

        exchange.chunked(200, body(), [("Content-Type", "text/event-stream")])

    routes = {"/": lambda ex: ex.reply(200, chat_page()), "/wp-admin/admin-ajax.php": events}
    with TinySite(routes) as site:
        pieces = collect(kind, site.url, on_piece=taken.set)
    assert pieces == ["Hello", ", world"]
    assert held == [True]


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
