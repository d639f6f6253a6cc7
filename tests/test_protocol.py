"""The old plugin's chat form, and how each reply it can send is read: JSON, events, pages."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest

from chatgpt4o import (
    APIStatusError,
    BadReplyError,
    BlockedError,
    ContentFlaggedError,
    EndpointGoneError,
    NonceError,
    PluginError,
    RateLimitError,
    TokenLimitError,
)
from chatgpt4o._call import NativeTurn, PreparedCall
from chatgpt4o._wpaicg import WpaicgReader, build_form, chat_request, interpret_reply, new_client_id
from tests.canned import AJAX_URL, CHALLENGE, HTML, JSON, PAGE_URL, WPAICG, reply

SUCCESS = (
    b'{"status":"success","msg":"Something went wrong","greeting_message":"Converse as if",'
    b'"data":"Bonjour \\u00e0 vous \\/ salut","log":false}'
)

CHAT = WPAICG


def test_form_has_every_recommended_field_in_the_sites_order() -> None:
    form = build_form(CHAT, "Hello", client_id="AbCdEf1234")
    assert list(form.items()) == [
        ("_wpnonce", "14004b0807"),
        ("post_id", "4"),
        ("url", PAGE_URL),
        ("action", "wpaicg_chat_shortcode_message"),
        ("message", "Hello"),
        ("bot_id", "0"),
        ("chatbot_identity", "shortcode"),
        ("wpaicg_chat_client_id", "AbCdEf1234"),
        ("wpaicg_chat_history", "[]"),
    ]


def test_form_for_widget_and_custom_bot() -> None:
    widget = build_form(replace(CHAT, chat_type="widget"), "x", client_id="c")
    assert (widget["action"], widget["chatbot_identity"]) == ("wpaicg_chatbox_message", "widget")
    bot = build_form(CHAT, "x", client_id="c", bot_id=17)
    assert (bot["bot_id"], bot["chatbot_identity"]) == ("17", "custom_bot_17")
    page_bot = build_form(replace(CHAT, bot_id="9"), "x", client_id="c")
    assert (page_bot["bot_id"], page_bot["chatbot_identity"]) == ("9", "custom_bot_9")


def test_client_id_is_ten_alphanumerics_and_varies() -> None:
    ids = {new_client_id(random.Random(seed)) for seed in range(5)}
    assert len(ids) == 5
    assert all(len(i) == 10 and i.isalnum() and i.isascii() for i in ids)


def test_chat_request_posts_the_form_to_the_ajax_url() -> None:
    call = PreparedCall(
        model="gpt-4o", prompt="Hi", bot_id=3, timeout=9.0, extra_headers={"X-A": "1"}
    )
    request = chat_request(CHAT, call, client_id="AbCdEf1234")
    assert (request.method, request.url, request.reader) == ("POST", AJAX_URL, "wpaicg")
    assert request.data is not None
    assert (request.data["message"], request.data["bot_id"]) == ("Hi", "3")
    assert request.data["wpaicg_chat_history"] == "[]"
    assert (request.timeout, dict(request.headers)) == (9.0, {"X-A": "1"})
    assert not request.params
    assert not request.follow_redirects


def test_chat_request_of_a_native_conversation_sends_the_turn_and_its_history() -> None:
    native = NativeTurn(
        wpaicg_message="And now?",
        wpaicg_history='[{"text":"Human: Hi"},{"text":"AI: Hello"}]',
        aipkit_message="unused",
        conversation_uuid="c0ffee00-0000-4000-8000-000000000000",
    )
    call = PreparedCall(model="gpt-4o", prompt="flattened", native=native)
    request = chat_request(CHAT, call, client_id="c")
    assert request.data is not None
    assert request.data["message"] == "And now?"
    assert request.data["wpaicg_chat_history"] == native.wpaicg_history


def test_success_returns_data_decoded_whole_or_in_pieces() -> None:
    assert interpret_reply(reply(200, SUCCESS)) == "Bonjour à vous / salut"
    reader = WpaicgReader(reply(200, b""))
    assert reader.feed(SUCCESS[:10]) == []
    assert reader.feed(SUCCESS[10:]) == []
    assert reader.close() == ["Bonjour à vous / salut"]  # a JSON reply is one piece


def test_php_warning_before_json_is_skipped() -> None:
    body = b'<br />\n<b>Warning</b>:  Undefined array key "x" in <b>/v.php</b><br />\n' + SUCCESS
    assert interpret_reply(reply(200, body, HTML)) == "Bonjour à vous / salut"


FAILURES = [
    (
        "nonce 1.7.14",
        200,
        b'{"status":"error","msg":"Invalid nonce. This means we are unable to verify the validity '
        b'of the nonce."}',
        JSON,
        NonceError,
        "rejected the nonce",
    ),
    (
        "nonce 1.8",
        200,
        b'{"status":"error","msg":"Nonce verification failed"}',
        JSON,
        NonceError,
        "rejected the nonce",
    ),
    ("nonce 1.9 403 html", 403, b"The link you followed has expired.", HTML, NonceError, "expired"),
    ("endpoint gone", 400, b"0", HTML, EndpointGoneError, "does not handle"),
    (
        "token limit 1.7",
        200,
        b'{"status":"error","msg":"You have reached your token limit."}',
        JSON,
        TokenLimitError,
        "token limit",
    ),
    (
        "token limit 1.8",
        200,
        b'{"msg":"Quota used up","tokenLimitReached":true}',
        JSON,
        TokenLimitError,
        "Quota used up",
    ),
    (
        "banned ip",
        200,
        b'{"status":"error","msg":"You are not allowed to access this feature."}',
        JSON,
        ContentFlaggedError,
        "not allowed",
    ),
    (
        "banned word",
        200,
        b'{"status":"error","msg":"Your message contains prohibited words. Please modify."}',
        JSON,
        ContentFlaggedError,
        "prohibited",
    ),
    (
        "upstream error",
        200,
        b'{"status":"error","msg":"You didn&#039;t provide an API key &amp; more",'
        b'"greeting_message":"g","log":false}',
        JSON,
        PluginError,
        "You didn't provide an API key & more",
    ),
    (
        "nothing inputted",
        200,
        b'{"status":"error","msg":"It appears that nothing was inputted."}',
        JSON,
        PluginError,
        "nothing was inputted",
    ),
    (
        "empty data",
        200,
        b'{"status":"success","msg":"Something went wrong","greeting_message":"g","data":"",'
        b'"log":false}',
        JSON,
        BadReplyError,
        "empty reply",
    ),
    (
        "data missing",
        200,
        b'{"status":"success","msg":"x"}',
        JSON,
        BadReplyError,
        "'data' field missing",
    ),
    ("truncated json", 200, SUCCESS[:40], JSON, BadReplyError, "truncated JSON"),
    (
        "html instead of json",
        200,
        b"<html><body>critical error</body></html>",
        HTML,
        BadReplyError,
        "got HTML",
    ),
    ("zero with 200", 200, b"0", HTML, BadReplyError, "'0'"),
    ("empty body", 200, b"", JSON, BadReplyError, "empty body"),
    ("cloudflare 403", 403, CHALLENGE, HTML, BlockedError, "Cloudflare"),
    (
        "cloudflare 503 header only",
        503,
        b"<html></html>",
        {"content-type": "text/html", "cf-mitigated": "challenge"},
        BlockedError,
        "Cloudflare",
    ),
    ("rate limited", 429, b"slow down", {"retry-after": "7"}, RateLimitError, "wait 7 s"),
    ("server error", 502, b"<h1>Bad gateway</h1>", HTML, APIStatusError, "HTTP 502"),
    ("not found", 404, b"nope", HTML, APIStatusError, "HTTP 404"),
    (
        "redirect",
        307,
        b"",
        {"location": "http://elsewhere.test/x"},
        APIStatusError,
        "redirects the chat request to http://elsewhere.test/x; not followed",
    ),
]


@pytest.mark.parametrize(
    ("status", "body", "headers", "error", "text"),
    [case[1:] for case in FAILURES],
    ids=[case[0] for case in FAILURES],
)
def test_failure_shapes_raise_typed_errors_whole_or_fed_in_pieces(
    status: int, body: bytes, headers: dict[str, str], error: type, text: str
) -> None:
    with pytest.raises(error) as whole:
        interpret_reply(reply(status, body, headers))
    reader = WpaicgReader(reply(status, b"", headers))
    for i in range(len(body)):
        assert reader.feed(body[i : i + 1]) == []
    with pytest.raises(error) as pieces:
        reader.close()
    for info in (whole, pieces):
        assert type(info.value) is error
        assert text in str(info.value)


def test_a_200_event_stream_is_decoded_as_it_comes_or_whole() -> None:
    stream = {"content-type": "text/event-stream; charset=UTF-8"}
    event = (
        b'data: {"id":"c","object":"chat.completion.chunk","choices":[{"delta":{"content":"Hi"}}]}'
        b"\n\n"
    )
    reader = WpaicgReader(reply(200, b"", stream))
    assert reader.feed(event) == ["Hi"]
    assert reader.feed(b"data: [DONE]\n\n") == []
    assert reader.close() == []
    assert interpret_reply(reply(200, event + b"data: [DONE]\n\n", stream)) == "Hi"


def test_status_errors_carry_the_body_and_old_errors_stay_runtime_errors() -> None:
    # A rate limit's retry_after and a refusal's msg: the fault matrix's checks, on both clients.
    with pytest.raises(APIStatusError) as failed:
        interpret_reply(reply(500, b"boom", HTML))
    assert (failed.value.status_code, failed.value.body) == (500, "boom")
    for body in (b'{"status":"error","msg":"Nonce verification failed"}', b'{"status":"x"}'):
        with pytest.raises(RuntimeError):
            interpret_reply(reply(200, body))
