"""The current plugin's requests and reply readers, held to the recorded exchanges of real sites.

The recordings are in ``tests/fixtures/aipkit/`` (see its README): ``NN-name.body`` files hold the
exact bytes of an event stream, ``NN-name.txt`` files the curl commands and full responses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Optional, Union

import pytest

from chatgpt4o import (
    AccessDeniedError,
    APIError,
    APIStatusError,
    BadReplyError,
    BlockedError,
    Chatgpt4oError,
    ContentFlaggedError,
    EndpointGoneError,
    NonceError,
    PluginError,
    RateLimitError,
    TokenLimitError,
    UpstreamError,
)
from chatgpt4o._aipkit import (
    CACHE_ACTION,
    JSON_ACTION,
    REFRESH_ACTION,
    STREAM_ACTION,
    AipkitJsonReader,
    AipkitStreamReader,
    cache_request,
    classify_refusal,
    json_request,
    read_cache_key,
    read_refreshed_nonce,
    refresh_request,
    stream_request,
)
from chatgpt4o._call import NativeTurn, PreparedCall
from chatgpt4o._http import Reply
from tests.canned import (
    AIPKIT,
    AJAX_URL,
    CACHE_KEY,
    CALL,
    CHALLENGE,
    CONVERSATION,
    EVENT_STREAM,
    HTML,
    JSON,
    SESSION,
    reply,
)

FIXTURES = Path(__file__).parent / "fixtures" / "aipkit"
CHAT = AIPKIT
NATIVE = NativeTurn(
    wpaicg_message="unused",
    wpaicg_history="[]",
    aipkit_message="And a second question?",
    conversation_uuid=CONVERSATION,
)


# -- reading the recordings -------------------------------------------------------------------


@dataclass(frozen=True)
class Recorded:
    """One curl command of a recording and the HTTP response printed after it."""

    command: str
    status: int
    headers: dict[str, str]
    body: bytes

    def reply(self, method: str = "POST") -> Reply:
        return Reply(self.status, self.headers, self.body, AJAX_URL, method)


def recorded(name: str) -> list[Recorded]:
    """The exchanges of ``NN-name.txt`` that have an HTTP response, in order."""
    data = (FIXTURES / name).read_bytes()
    starts = [match.start() + 1 for match in re.finditer(rb"\n\$ ", data)]
    exchanges: list[Recorded] = []
    for index, start in enumerate(starts):
        end = starts[index + 1] if index + 1 < len(starts) else len(data)
        command, _, rest = data[start + 2 : end].partition(b"\n")
        rest = rest.lstrip(b"\n")
        if not rest.startswith(b"HTTP/1.1 "):
            continue
        head, _, body = rest.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        headers = {}
        for line in lines[1:]:
            key, _, value = line.partition(":")
            headers[key.strip().lower()] = value.strip()
        exchanges.append(
            Recorded(command.decode(), int(lines[0].split()[1]), headers, body.rstrip(b"\n"))
        )
    return exchanges


def only(name: str) -> Recorded:
    (exchange,) = recorded(name)
    return exchange


def body(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def test_the_recordings_are_there() -> None:
    assert len(list(FIXTURES.glob("*/*.body"))) >= 17
    assert len(list((FIXTURES / "2.4.0-json").glob("*.txt"))) >= 19
    assert only("2.4.71/08-cache-wrong-nonce.txt").status == 403


# -- the requests, as the browser sends them: the cache POST, then the event-stream GET ---------


def test_cache_request_fields_in_the_browsers_order() -> None:
    request = cache_request(CHAT, CALL)
    assert (request.method, request.url, request.reader) == ("POST", AJAX_URL, "json")
    assert request.data is not None
    assert list(request.data) == [
        "action",
        "message",
        "_ajax_nonce",
        "bot_id",
        "user_client_message_id",
    ]
    assert request.data["action"] == CACHE_ACTION == "aipkit_cache_sse_message"
    assert request.data["message"] == "Hello there, bot!"
    assert request.data["_ajax_nonce"] == "defb835c4d"
    assert request.data["bot_id"] == "5"
    assert re.fullmatch(
        r"aipkit-client-msg-5-\d{13}-[a-z0-9]{5}", request.data["user_client_message_id"]
    )
    assert not request.params
    assert not request.follow_redirects


def test_cache_request_takes_the_calls_bot_headers_timeout_and_native_turn() -> None:
    call = PreparedCall(
        model="gpt-4o",
        prompt="everything flattened",
        bot_id=12,
        native=NATIVE,
        timeout=7.5,
        extra_headers={"X-Trace": "1"},
    )
    request = cache_request(CHAT, call)
    assert request.data is not None
    assert request.data["bot_id"] == "12"
    assert request.data["message"] == "And a second question?"
    assert request.data["user_client_message_id"].startswith("aipkit-client-msg-12-")
    assert (request.timeout, dict(request.headers)) == (7.5, {"X-Trace": "1"})


def test_client_message_ids_differ() -> None:
    ids = set()
    for _ in range(5):
        data = cache_request(CHAT, CALL).data
        assert data is not None
        ids.add(data["user_client_message_id"])
    assert len(ids) == 5


def test_stream_request_puts_every_field_in_the_query_nonce_last() -> None:
    request = stream_request(
        CHAT, CALL, cache_key=CACHE_KEY, session_id=SESSION, conversation_uuid=CONVERSATION
    )
    assert (request.method, request.url, request.reader) == ("GET", AJAX_URL, "aipkit-stream")
    assert request.data is None
    assert list(request.params) == [
        "action",
        "cache_key",
        "bot_id",
        "session_id",
        "conversation_uuid",
        "post_id",
        "_ts",
        "_ajax_nonce",
    ]
    params = dict(request.params)
    assert params.pop("_ts").isdigit()
    assert params == {
        "action": STREAM_ACTION,
        "cache_key": CACHE_KEY,
        "bot_id": "5",
        "session_id": SESSION,
        "conversation_uuid": CONVERSATION,
        "post_id": "6",
        "_ajax_nonce": "defb835c4d",
    }
    assert request.headers["Accept"] == "text/event-stream"
    assert request.headers["Cache-Control"] == "no-cache"
    assert not request.follow_redirects


@pytest.mark.parametrize("post_id", ["", "0"])
def test_stream_request_leaves_out_a_post_id_of_zero(post_id: str) -> None:
    request = stream_request(
        replace(CHAT, post_id=post_id),
        CALL,
        cache_key=CACHE_KEY,
        session_id=SESSION,
        conversation_uuid=CONVERSATION,
    )
    assert "post_id" not in request.params
    assert list(request.params)[-2:] == ["_ts", "_ajax_nonce"]


def test_stream_request_takes_the_calls_bot_headers_and_timeout() -> None:
    call = PreparedCall(
        model="gpt-4o", prompt="x", bot_id=3, timeout=4.0, extra_headers={"X-Trace": "1"}
    )
    request = stream_request(
        CHAT, call, cache_key=CACHE_KEY, session_id=SESSION, conversation_uuid=CONVERSATION
    )
    assert request.params["bot_id"] == "3"
    assert request.timeout == 4.0
    assert dict(request.headers) == {
        "Accept": "text/event-stream",
        "Cache-Control": "no-cache",
        "X-Trace": "1",
    }


def test_json_request_fields_in_the_browsers_order() -> None:
    chat = replace(CHAT, streams=False, bot_id="8")
    request = json_request(chat, CALL, session_id=SESSION, conversation_uuid=CONVERSATION)
    assert (request.method, request.url, request.reader) == ("POST", AJAX_URL, "aipkit-json")
    assert request.data is not None
    assert list(request.data.items()) == [
        ("action", JSON_ACTION),
        ("_ajax_nonce", "defb835c4d"),
        ("bot_id", "8"),
        ("session_id", SESSION),
        ("conversation_uuid", CONVERSATION),
        ("post_id", "6"),
        ("message", "Hello there, bot!"),
    ]
    # The browser sends the page's postId, 0 on a page that is not a post.
    request = json_request(
        replace(chat, post_id=""), CALL, session_id=SESSION, conversation_uuid=CONVERSATION
    )
    assert request.data is not None
    assert request.data["post_id"] == "0"


def test_refresh_request_needs_no_nonce() -> None:
    request = refresh_request(CHAT)
    assert (request.method, request.url, request.reader) == ("POST", AJAX_URL, "json")
    assert request.data == {"action": REFRESH_ACTION, "bot_id": "5"}
    assert REFRESH_ACTION == "aipkit_get_frontend_chat_nonce"


# -- the cache POST's reply ------------------------------------------------------------------


def test_cache_key_of_the_recorded_successes() -> None:
    for name, key in [
        ("2.4.71/02-message.txt", CACHE_KEY),
        ("2.4.71/23-same-origin-header.txt", "aipkit_sse_VdNYepXuDGRWhNljDiAuqXVK0cgd0iNh"),
    ]:
        assert read_cache_key(recorded(name)[0].reply()) == key


def test_cache_key_after_a_php_warning() -> None:
    warning = b"<br />\n<b>Deprecated</b>: x in <b>/y.php</b><br />\n"
    success = b'{"success":true,"data":{"cache_key":"' + CACHE_KEY.encode() + b'"}}'
    assert read_cache_key(reply(200, warning + success, HTML)) == CACHE_KEY


@dataclass(frozen=True)
class Refused:
    type: type[APIError]
    contains: str
    code: Optional[str] = None
    status_code: Optional[int] = None


CACHE_FAILURES: dict[str, tuple[Union[str, Reply], Refused]] = {
    "403 nonce_failure_cache_sse (wrong nonce)": (
        "2.4.71/08-cache-wrong-nonce.txt",
        Refused(NonceError, "rejected the nonce", status_code=403),
    ),
    "403 nonce_failure_cache_sse (no nonce)": (
        "2.4.71/09-cache-missing-nonce.txt",
        Refused(NonceError, "Your session has expired", status_code=403),
    ),
    "403 embed_not_available": (
        "2.4.71/22-cross-origin.txt",
        Refused(AccessDeniedError, "Embed feature is not available", "embed_not_available", 403),
    ),
    "400 empty_data_to_cache": (
        "2.4.71/17-cache-empty-message.txt",
        Refused(PluginError, "cannot be empty", "empty_data_to_cache", 400),
    ),
    "400 0 (no such action)": (
        "2.4.71/06-nonstream-action.txt",
        Refused(EndpointGoneError, CACHE_ACTION, status_code=400),
    ),
    "429 rate limited": (
        reply(429, b"Too many requests", {**HTML, "retry-after": "5"}),
        Refused(RateLimitError, "wait 5 s", status_code=429),
    ),
    "502 bad gateway": (
        reply(502, b"<html><body><h1>502 Bad Gateway</h1></body></html>", HTML),
        Refused(APIStatusError, "HTTP 502", status_code=502),
    ),
    "500 JSON without a message": (
        reply(500, b'{"success":false,"data":null}'),
        Refused(APIStatusError, "HTTP 500", status_code=500),
    ),
    "Cloudflare challenge": (
        reply(403, CHALLENGE, HTML),
        Refused(BlockedError, "Cloudflare", status_code=403),
    ),
    "HTML page with 200": (
        reply(200, b"<!DOCTYPE html><html><body>Maintenance</body></html>", HTML),
        Refused(BadReplyError, "got HTML"),
    ),
    "missing key": (
        reply(200, b'{"success":true,"data":{}}'),
        Refused(BadReplyError, "has no cache key", status_code=200),
    ),
    "malformed key": (
        reply(200, b'{"success":true,"data":{"cache_key":"../../etc"}}'),
        Refused(BadReplyError, "has no cache key", status_code=200),
    ),
    "success false on 200": (
        reply(200, b'{"success":false}'),
        Refused(BadReplyError, CACHE_ACTION, status_code=200),
    ),
}


@pytest.mark.parametrize("name", sorted(CACHE_FAILURES))
def test_cache_key_failures_raise_typed_errors(name: str) -> None:
    source, expected = CACHE_FAILURES[name]
    the_reply = only(source).reply() if isinstance(source, str) else source
    with pytest.raises(expected.type) as info:
        read_cache_key(the_reply)
    assert type(info.value) is expected.type
    assert expected.contains in str(info.value)
    assert info.value.url == AJAX_URL
    if expected.status_code is not None:
        assert info.value.status_code == expected.status_code
    if isinstance(info.value, PluginError):
        assert info.value.code == expected.code


# -- the nonce refresh's reply -----------------------------------------------------------------


def test_refreshed_nonce_of_the_recording() -> None:
    exchanges = recorded("2.4.71/12-nonce-refresh.txt")
    assert len(exchanges) == 3
    for exchange in exchanges:
        assert read_refreshed_nonce(exchange.reply()) == "defb835c4d"
    rotated = recorded("2.4.71/13-rotated-nonces.txt")[2]
    assert read_refreshed_nonce(rotated.reply()) == "6758ffb9c3"


def test_no_refresh_action_gives_none() -> None:
    # 2.3 -> 2.3.40 have no refresh action: WordPress answers 400 "0".
    assert read_refreshed_nonce(only("2.4.71/06-nonstream-action.txt").reply()) is None
    assert read_refreshed_nonce(reply(400, b"0\n", HTML)) is None


@pytest.mark.parametrize(
    "data",
    [
        b'{"success":true,"data":{"nonce":"<b>x</b>"}}',
        b'{"success":true,"data":{"nonce":""}}',
        b'{"success":true,"data":{}}',
        b'{"success":true,"data":"defb835c4d"}',
        b'{"success":true,"data":{"nonce":1234567890}}',
    ],
)
def test_malformed_refreshed_nonce_is_a_bad_reply(data: bytes) -> None:
    with pytest.raises(BadReplyError, match="no usable nonce"):
        read_refreshed_nonce(reply(200, data))


def test_refresh_failures_are_typed() -> None:
    cors = (
        b'{"success":false,"data":{"message":"This domain is not permitted to access the '
        b'chatbot.","code":"cors_denied"}}'
    )
    with pytest.raises(AccessDeniedError) as info:
        read_refreshed_nonce(reply(403, cors))
    assert info.value.code == "cors_denied"
    with pytest.raises(BlockedError):
        read_refreshed_nonce(reply(503, CHALLENGE, HTML))
    with pytest.raises(BadReplyError, match="got HTML"):
        read_refreshed_nonce(reply(200, b"<html></html>", HTML))


# -- the event stream ------------------------------------------------------------------------


def stream_reader() -> AipkitStreamReader:
    return AipkitStreamReader(Reply(200, EVENT_STREAM, b"", AJAX_URL, "GET"))


@dataclass(frozen=True)
class Outcome:
    """What a stream gave: its pieces until the end or the error, and the error."""

    pieces: tuple[str, ...]
    error: Optional[tuple[type[Chatgpt4oError], str]]

    @property
    def text(self) -> str:
        return "".join(self.pieces)


def read(chunks: list[bytes]) -> Outcome:
    reader = stream_reader()
    pieces: list[str] = []
    try:
        for chunk in chunks:
            pieces += reader.feed(chunk)
        pieces += reader.close()
    except Chatgpt4oError as exc:
        return Outcome(tuple(pieces), (type(exc), str(exc)))
    return Outcome(tuple(pieces), None)


def feed_and_close(reader: AipkitStreamReader, data: bytes) -> list[str]:
    return reader.feed(data) + reader.close()


def read_whole(data: bytes) -> str:
    outcome = read([data])
    assert outcome.error is None, outcome.error
    return outcome.text


RECORDED_STREAMS = {
    "2.4.71/02-message.body": "ECHO: Hello there, bot!",
    "2.4.71/03-continue-conversation.body": "ECHO: And a second question?",
    "2.4.71/05-new-conversation.body": "ECHO: Fresh start",
    "2.4.71/13-rotated-nonces.body": "ECHO: Hello with the refreshed nonce",
    "2.4.71/27-html-unicode-message.body": (
        'ECHO: Héllo <b>bold</b> "quoted" & ünïcødé ✓\nsecond line'
    ),
    "2.4.71/32-openai-chat-completions-mode.body": "ECHO: Hello via chat completions",
    "2.4.71-limits/35-bot-options-reset.body": "ECHO: back to normal after reset",
}


@pytest.mark.parametrize("name", sorted(RECORDED_STREAMS))
def test_recorded_replies(name: str) -> None:
    assert read_whole(body(name)) == RECORDED_STREAMS[name]


def test_pieces_are_the_deltas_as_they_arrive() -> None:
    reader = stream_reader()
    data = body("2.4.71/02-message.body")
    head, _, rest = data.partition(b'data: {"delta":" Hello"}')
    assert reader.feed(head) == ["ECHO:"]
    assert reader.feed(b'data: {"delta":" Hello"}' + rest) == [" Hello", " there,", " bot!"]
    assert reader.close() == []


@dataclass(frozen=True)
class Refusal:
    type: type[Chatgpt4oError]
    words: str  # the site's words, kept in the error
    code: Optional[str] = None
    quota_notice: bool = False


# The event streams of refusals: ``.body`` files hold a stream's bytes, ``.txt`` files the
# whole exchange (the -limits copies of 28 to 31 differ from these only in an event id).
RECORDED_REFUSALS = {
    "2.4.71/10-stream-wrong-nonce.body": Refusal(NonceError, "Security check failed."),
    "2.4.71/28-guest-access-disabled.body": Refusal(
        AccessDeniedError, "Access disabled for guests.", "guests_disabled"
    ),
    "2.4.71/29-guest-quota-exceeded.body": Refusal(
        TokenLimitError, "You have reached your quota for this period.", quota_notice=True
    ),
    "2.4.71/30-banned-word.body": Refusal(
        ContentFlaggedError,
        "Sorry, your message could not be sent as it contains prohibited words.",
        "banned_word",
    ),
    "2.4.71/31-banned-ip.body": Refusal(
        ContentFlaggedError, "Access from your IP address has been blocked.", "banned_ip"
    ),
    "2.4.71-limits/34-guest-quota-per-session.body": Refusal(
        TokenLimitError, "You have reached your quota for this period.", quota_notice=True
    ),
    "2.4.71/11-stream-missing-nonce.txt": Refusal(NonceError, "Security check failed."),
    "2.4.71/14-reused-cache-key.txt": Refusal(
        PluginError, "Message not found in cache.", "cache_miss"
    ),
    "2.4.71/15-missing-cache-key.txt": Refusal(
        PluginError, "Message cache key is missing.", "cache_miss"
    ),
    "2.4.71/16-stream-as-post.txt": Refusal(
        PluginError, "Message cache key is missing.", "cache_miss"
    ),
    "2.4.71/18-stream-missing-conversation-uuid.txt": Refusal(
        PluginError, "Conversation ID is missing."
    ),
    "2.4.71/19-stream-missing-session-id.txt": Refusal(
        PluginError, "Session ID is missing for guest."
    ),
    "2.4.71/20-stream-unknown-bot.txt": Refusal(PluginError, "Invalid chatbot specified."),
}


@pytest.mark.parametrize("name", sorted(RECORDED_REFUSALS))
def test_recorded_refusals(name: str) -> None:
    if name.endswith(".body"):
        reader, data = stream_reader(), body(name)
    else:
        (exchange,) = [
            e for e in recorded(name) if e.headers["content-type"].startswith("text/event")
        ]
        reader = AipkitStreamReader(replace(exchange.reply("GET"), body=b""))
        data = exchange.body
    expected = RECORDED_REFUSALS[name]
    with pytest.raises(APIError) as info:
        feed_and_close(reader, data)
    exc = info.value
    assert type(exc) is expected.type
    assert expected.words in str(exc)
    assert (exc.url, exc.method) == (AJAX_URL, "GET")
    if isinstance(exc, PluginError):
        assert (exc.msg, exc.code) == (expected.words, expected.code)
        if expected.quota_notice:
            notice = exc.details["quota_notice"]
            assert (notice["type"], notice["message"]) == ("quota_notice", expected.words)
        else:
            assert "quota_notice" not in exc.details


SPLIT_BODIES = [
    "2.4.71/02-message.body",
    "2.4.71/27-html-unicode-message.body",
    "2.4.71/10-stream-wrong-nonce.body",
    "2.4.71-limits/29-guest-quota-exceeded.body",
]


@pytest.mark.parametrize("name", SPLIT_BODIES)
def test_split_anywhere_gives_the_same_outcome(name: str) -> None:
    data = body(name)
    whole = read([data])
    byte_by_byte = read([data[i : i + 1] for i in range(len(data))])
    assert (byte_by_byte.text, byte_by_byte.error) == (whole.text, whole.error)
    assert whole.error is not None or whole.text == RECORDED_STREAMS[name]
    for cut in range(len(data) + 1):
        outcome = read([data[:cut], data[cut:]])
        assert outcome.error == whole.error, cut
        if whole.error is None:
            assert outcome.text == whole.text, cut
        else:
            # An error ends the reply: what came before it is all there is.
            assert whole.text.startswith(outcome.text), cut


# -- event shapes the recordings do not show --------------------------------------------------

PREAMBLE = b":" + b" " * 4096 + b"\n\n"
START = b'event: message_start\ndata: {"message_id":"aipkit-msg-1"}\n\n'
DONE = b'event: done\ndata: {"finished":true}\n\n'


def delta(text: str) -> bytes:
    return b'data: {"delta":"' + text.encode() + b'"}\n\n'


def named(name: str, data: str) -> bytes:
    return f"event: {name}\ndata: {data}\n\n".encode()


WARNINGS = {
    "appended in italics": (
        PREAMBLE
        + START
        + delta("Partial answer")
        + named("warning", '{"error":"The response was incomplete: max_output_tokens"}')
        + DONE,
        "Partial answer\n\n*The response was incomplete: max_output_tokens*",
    ),
    "alone, a reply": (
        START + named("warning", '{"error":"I can\'t help with that."}') + DONE,
        "\n\n*I can't help with that.*",
    ),
    "empty: adds nothing": (delta("Hi") + named("warning", '{"error":""}') + DONE, "Hi"),
}


@pytest.mark.parametrize("name", sorted(WARNINGS))
def test_warnings(name: str) -> None:
    data, text = WARNINGS[name]
    assert read_whole(data) == text


def test_quiet_events_and_comments_are_skipped() -> None:
    data = (
        PREAMBLE
        + START
        + named("status", '{"type":"response.created","status":"in_progress"}')
        + named("citations", '[{"url":"https://example.test"}]')
        + named("grounding_metadata", "{}")
        + named("google_interaction_id", '{"id":"g"}')
        + named("display_form_event", '{"form_id":1}')
        + b": keep-alive\n\n"
        + delta("A")
        + named("message", '{"delta":"B"}')
        + named("openai_response_id", '{"id":"resp_1"}')
        + DONE
    )
    assert read([data]).pieces == ("A", "B")


def test_events_after_done_are_ignored() -> None:
    reader = stream_reader()
    assert reader.feed(delta("Hi") + DONE + delta(" again")) == ["Hi"]
    assert reader.feed(named("error", '{"error":"late"}')) == []
    assert reader.close() == []


@pytest.mark.parametrize("then", ["feed", "close"])
def test_an_error_after_text_in_one_chunk_gives_the_text_then_raises(then: str) -> None:
    # The pieces before the error are the caller's already; the error comes with the next
    # read, and nothing after it in the chunk is taken as reply text.
    reader = stream_reader()
    assert reader.feed(
        delta("Hi") + named("error", '{"error":"Upstream failed"}') + delta("!")
    ) == ["Hi"]
    with pytest.raises(PluginError, match="Upstream failed"):
        reader.feed(delta(" again")) if then == "feed" else reader.close()


def test_done_without_a_trailing_blank_line_still_ends_the_reply() -> None:
    assert read_whole(delta("Hi") + b'event: done\ndata: {"finished":true}') == "Hi"


CUT = "ended before its done event; {} characters received"
EMPTY = "without any reply text"
BAD_STREAMS = {
    "cut after pieces": (PREAMBLE + START + delta("ECHO:") + delta(" Hel"), CUT.format(9)),
    "cut inside an event's name line": (START + delta("ECHO:") + b"event: mess", CUT.format(5)),
    "cut inside an event's data": (START + delta("ECHO:") + b'data: {"del', CUT.format(5)),
    "only the preamble": (PREAMBLE, CUT.format(0)),
    "empty body": (b"", CUT.format(0)),
    "done named but its event never finished": (delta("Hi") + b"event: done\n", CUT.format(2)),
    "done without text": (PREAMBLE + START + DONE, EMPTY),
    "done after an empty delta": (START + delta("") + DONE, EMPTY),
    "done alone": (DONE, EMPTY),
}


@pytest.mark.parametrize("name", sorted(BAD_STREAMS))
def test_a_cut_or_empty_stream_is_a_bad_reply(name: str) -> None:
    data, words = BAD_STREAMS[name]
    outcome = read([data])
    assert outcome.error is not None
    kind, message = outcome.error
    assert kind is BadReplyError
    assert words in message


@pytest.mark.parametrize(
    ("message", "kind"),
    [
        ("API Error: The server had an error processing your request. (Code: 500)", UpstreamError),
        (" (Error: Rate limit reached for gpt-5 in organization org-x)", UpstreamError),
        ("Connection Error: cURL error 28: Operation timed out after 120000 ms", UpstreamError),
        ("Connection error: no data received from AI.", UpstreamError),
        ("Security check failed. Please refresh the page and try again.", NonceError),
    ],
)
def test_an_error_after_pieces_ends_the_reply(message: str, kind: type[Chatgpt4oError]) -> None:
    reader = stream_reader()
    assert reader.feed(PREAMBLE + START + delta("ECHO:")) == ["ECHO:"]
    assert reader.feed(delta(" Hel")) == [" Hel"]
    error = named("error", '{"error":"' + message + '"}')
    assert reader.feed(error[:7]) == []
    with pytest.raises(kind) as info:
        reader.feed(error[7:])
    assert message.strip() in str(info.value)
    if isinstance(info.value, UpstreamError):
        assert info.value.code == "upstream"
        assert info.value.msg == message.strip()


def test_an_error_event_with_plain_text_data() -> None:
    with pytest.raises(PluginError) as info:
        stream_reader().feed(b"event: error\ndata: Something broke\n\n")
    assert info.value.msg == "Something broke"


def test_an_error_event_without_a_message() -> None:
    with pytest.raises(PluginError) as info:
        stream_reader().feed(named("error", '{"code":"x"}'))
    assert type(info.value) is PluginError
    assert "without a message" in info.value.msg


@pytest.mark.parametrize(
    "data",
    [
        b"data: <html><body>Bad gateway</body></html>\n\n",
        b"data: [DONE]\n\n",
        b'data: ["a list"]\n\n',
    ],
)
def test_unnamed_data_that_is_not_the_plugins_json_is_a_bad_reply(data: bytes) -> None:
    with pytest.raises(BadReplyError, match="expected the plugin's JSON"):
        stream_reader().feed(delta("Hi") + data)


NOT_STREAMS = {
    "400 0 (stream action unknown)": (400, b"0", HTML, EndpointGoneError, STREAM_ACTION),
    "403 Cloudflare": (403, CHALLENGE, HTML, BlockedError, "Cloudflare"),
    "429": (429, b"", {**HTML, "retry-after": "2"}, RateLimitError, "wait 2 s"),
    "502 HTML": (502, b"<html>Bad gateway</html>", HTML, APIStatusError, "an HTML page"),
    "200 JSON": (200, b'{"success":true}', JSON, BadReplyError, "expected an event stream"),
    "200 HTML": (200, b"<html></html>", HTML, BadReplyError, "text/html"),
    "500 event stream": (500, delta("Hi") + DONE, EVENT_STREAM, APIStatusError, "HTTP 500"),
}


@pytest.mark.parametrize("name", sorted(NOT_STREAMS))
def test_a_reply_that_is_not_a_200_event_stream(name: str) -> None:
    status, data, headers, kind, contains = NOT_STREAMS[name]
    reader = AipkitStreamReader(Reply(status, headers, b"", AJAX_URL, "GET"))
    assert reader.feed(data) == []
    with pytest.raises(kind) as info:
        reader.close()
    assert type(info.value) is kind
    assert contains in str(info.value)


# -- the 2.3 -> 2.4.0 JSON path, held to a 2.4.0 site's recordings -----------------------------


def json_read(exchange: Recorded, *, chunk: Optional[int] = None) -> list[str]:
    reader = AipkitJsonReader(replace(exchange.reply(), body=b""))
    data = exchange.body
    step = chunk or max(len(data), 1)
    for start in range(0, len(data), step):
        assert reader.feed(data[start : start + step]) == []
    return reader.close()


def json_exchanges(name: str) -> list[Recorded]:
    return [e for e in recorded("2.4.0-json/" + name) if f"action={JSON_ACTION}" in e.command]


JSON_REPLIES = {
    "41-json-message.txt": ["ECHO: Hello there, bot!"],
    "42-json-continue-conversation.txt": ["ECHO: And a second question?"],
    "44-json-new-conversation.txt": ["ECHO: Fresh start"],
    "59-stream-switch-roundtrip.txt": ["ECHO: JSON again after admin stream switch: off"],
}


@pytest.mark.parametrize("name", sorted(JSON_REPLIES))
def test_json_replies(name: str) -> None:
    exchanges = json_exchanges(name)
    assert [json_read(e)[0] for e in exchanges] == JSON_REPLIES[name]
    assert [json_read(e, chunk=1)[0] for e in exchanges] == JSON_REPLIES[name]


JSON_FAILURES: dict[str, tuple[type[APIError], str, int, Optional[str]]] = {
    "45-json-wrong-nonce.txt": (NonceError, "Security check failed.", 403, None),
    "46-json-missing-nonce.txt": (NonceError, "Security check failed.", 403, None),
    "48-json-empty-message.txt": (PluginError, "Message or image cannot be empty.", 400, None),
    "49-json-missing-conversation-uuid.txt": (
        PluginError,
        "Conversation ID is required.",
        400,
        None,
    ),
    "50-json-missing-session-id.txt": (PluginError, "Session ID is missing for guest.", 400, None),
    "51-json-unknown-bot.txt": (APIStatusError, "HTTP 500", 500, None),
    "52-json-cross-origin.txt": (
        AccessDeniedError,
        "Embed feature is not available with your current plan.",
        403,
        "embed_not_available",
    ),
    "53-json-upstream-http-error.txt": (
        UpstreamError,
        "OpenAI API Error (HTTP 500): Fake upstream error 500 (Code: fake_500)",
        500,
        "upstream",
    ),
    "54-json-guest-access-disabled.txt": (
        AccessDeniedError,
        "Access disabled for guests.",
        429,
        "guests_disabled",
    ),
    "57-json-banned-word.txt": (
        ContentFlaggedError,
        "Sorry, your message could not be sent as it contains prohibited words.",
        400,
        "banned_word",
    ),
    "58-json-banned-ip.txt": (
        ContentFlaggedError,
        "Access from your IP address has been blocked.",
        403,
        "banned_ip",
    ),
}


@pytest.mark.parametrize("name", sorted(JSON_FAILURES))
def test_json_failures(name: str) -> None:
    kind, words, status, code = JSON_FAILURES[name]
    (exchange,) = json_exchanges(name)
    with pytest.raises(kind) as info:
        json_read(exchange)
    assert type(info.value) is kind
    assert words in str(info.value)
    assert info.value.status_code == status
    if isinstance(info.value, PluginError):
        assert (info.value.msg, info.value.code) == (words, code)


def test_json_quota_is_per_session() -> None:
    first, second = json_exchanges("55-json-guest-quota-exceeded.txt")
    assert json_read(first) == ["ECHO: first message under quota"]
    with pytest.raises(TokenLimitError, match="quota for this period"):
        json_read(second)
    refused, fresh, refused_again = json_exchanges("56-json-guest-quota-per-session.txt")
    assert json_read(fresh) == ["ECHO: new session first message"]
    for exchange in (refused, refused_again):
        with pytest.raises(TokenLimitError) as info:
            json_read(exchange)
        assert info.value.status_code == 429


def test_json_rotated_nonces() -> None:
    exchanges = recorded("2.4.0-json/47-json-rotated-nonces.txt")
    refresh, rejected, refresh_again, accepted, restored = exchanges
    assert read_refreshed_nonce(refresh.reply()) == "444a7f7fef"
    with pytest.raises(NonceError):
        json_read(rejected)
    assert read_refreshed_nonce(refresh_again.reply()) == "f9ff51a787"
    assert json_read(accepted) == ["ECHO: Hello with the refreshed nonce"]
    assert json_read(restored) == ["ECHO: Hello with the old nonce after restore"]


@pytest.mark.parametrize(
    "data",
    [
        b'{"success":true,"data":{"reply":""}}',
        b'{"success":true,"data":{"reply":"   "}}',
        b'{"success":true,"data":{"message_id":"aipkit-msg-1"}}',
        b'{"success":true,"data":"ECHO"}',
    ],
)
def test_json_success_without_text_is_a_bad_reply(data: bytes) -> None:
    reader = AipkitJsonReader(reply(200, b""))
    reader.feed(data)
    with pytest.raises(BadReplyError, match="without reply text"):
        reader.close()


def test_json_non_json_replies() -> None:
    for status, data, kind in [
        (400, b"0", EndpointGoneError),
        (200, b'{"success":true,"data":{"reply":"trunc', BadReplyError),
        (503, CHALLENGE, BlockedError),
        (502, b"<html>Bad gateway</html>", APIStatusError),
    ]:
        reader = AipkitJsonReader(reply(status, b"", HTML))
        reader.feed(data)
        with pytest.raises(kind):
            reader.close()


# -- the plugin's wordings: sending, nonces, the 2.4.0 JSON path and its limits -----------------

QUOTA_NOTICE = {"type": "quota_notice", "message": "You have reached your quota.", "actions": []}

REFUSAL_WORDINGS: list[tuple[str, Optional[str], type[APIError], Optional[str]]] = [
    ("Access disabled for guests.", None, AccessDeniedError, "guests_disabled"),
    # Case and surrounding space do not matter.
    ("  ACCESS DISABLED FOR GUESTS. ", None, AccessDeniedError, "guests_disabled"),
    ("security check failed.", None, NonceError, None),
    (
        "Embed feature is not available with your current plan.",
        "embed_not_available",
        AccessDeniedError,
        "embed_not_available",
    ),
    (
        "This domain is not permitted to access the chatbot.",
        "cors_denied",
        AccessDeniedError,
        "cors_denied",
    ),
    ("You have reached your quota for this period.", None, TokenLimitError, None),
    ("You have reached your token limit for this period.", None, TokenLimitError, None),
    (
        "Sorry, your message could not be sent as it contains prohibited words.",
        None,
        ContentFlaggedError,
        "banned_word",
    ),
    ("Access from your IP address has been blocked.", None, ContentFlaggedError, "banned_ip"),
    (
        "Your message was flagged by the moderation system and could not be sent.",
        None,
        ContentFlaggedError,
        "moderation",
    ),
    (
        "API Error: The server had an error processing your request. (Code: 500)",
        None,
        UpstreamError,
        "upstream",
    ),
    ("API Error: Rate limit reached for gpt-5 (Code: 429)", None, UpstreamError, "upstream"),
    # The model's API refused for good: a re-send would meet the same answer.
    (
        "API Error: Incorrect API key provided (Code: 401)",
        None,
        UpstreamError,
        "upstream_refused",
    ),
    (
        "API Error: Incorrect API key provided (Code: invalid_api_key)",
        None,
        UpstreamError,
        "upstream_refused",
    ),
    (
        "API Error: The model does not exist (Code: model_not_found)",
        None,
        UpstreamError,
        "upstream_refused",
    ),
    ("HTTP request failed: cURL error 7", None, UpstreamError, "upstream"),
    (" (Error: The model produced invalid content.)", None, UpstreamError, "upstream"),
    ("Connection Error: Could not resolve host: api.openai.com", None, UpstreamError, "upstream"),
    ("Connection error: no data received from AI.", None, UpstreamError, "upstream"),
    (
        "OpenAI API Error (HTTP 500): Fake upstream error 500 (Code: fake_500)",
        None,
        UpstreamError,
        "upstream",
    ),
    ("Message cache key is missing.", None, PluginError, "cache_miss"),
    ("Message not found in cache.", None, PluginError, "cache_miss"),
    ("Cached message has expired.", None, PluginError, "cache_miss"),
    (
        "Security check failed. Please refresh the page and try again.",
        None,
        NonceError,
        None,
    ),
    ("Security check failed (nonce).", "nonce_failure", NonceError, None),
    ("Security check failed (nonce).", None, NonceError, None),
    (
        "Your session has expired or the request is invalid. Please refresh the page and try "
        "again.",
        "nonce_failure_cache_sse",
        NonceError,
        None,
    ),
    ("Some new wording.", "nonce_failure", NonceError, None),
    ("Invalid chatbot specified.", None, PluginError, None),
    ("API key missing for OpenAI.", None, PluginError, None),
    (
        "Data to cache (message or image) cannot be empty.",
        "empty_data_to_cache",
        PluginError,
        "empty_data_to_cache",
    ),
    ("", None, PluginError, None),
]


@pytest.mark.parametrize(
    ("message", "code", "kind", "tag"),
    REFUSAL_WORDINGS,
    ids=[f"{case[0][:40]} [{case[1]}]" for case in REFUSAL_WORDINGS],
)
def test_classify_refusal(
    message: str, code: Optional[str], kind: type[APIError], tag: Optional[str]
) -> None:
    exc = classify_refusal(message, url=AJAX_URL, method="GET", status_code=200, code=code)
    assert type(exc) is kind
    assert (exc.url, exc.method, exc.status_code) == (AJAX_URL, "GET", 200)
    if isinstance(exc, PluginError):
        assert exc.code == tag
        assert exc.msg == (message.strip() or "(no message)")
    else:
        assert message.strip()[:40] in str(exc)


def test_the_quota_notice_is_kept() -> None:
    exc = classify_refusal(
        "You have reached your quota for this period.",
        url=AJAX_URL,
        method="GET",
        details={"quota_notice": QUOTA_NOTICE},
    )
    assert isinstance(exc, TokenLimitError)
    assert exc.details == {"quota_notice": QUOTA_NOTICE}
