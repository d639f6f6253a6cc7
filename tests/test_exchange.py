"""One attempt's requests and a token renewal, driven by hand: no transport, no network.

``send_steps`` and ``renew_steps`` are generators: ``next()`` gives the first request, ``send()``
hands back its reply, and ``StopIteration.value`` carries the result. These tests play the
transport with made-up (or recorded) replies.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Generator
from dataclasses import replace
from pathlib import Path
from typing import Optional, TypeVar
from urllib.parse import urlsplit

import pytest

from chatgpt4o import (
    BlockedError,
    NonceCacheState,
    NonceError,
)
from chatgpt4o._aipkit import (
    REFRESH_ACTION,
    AipkitJsonReader,
    AipkitStreamReader,
)
from chatgpt4o._call import NativeTurn, PreparedCall
from chatgpt4o._exchange import Identity, open_reader, send_steps
from chatgpt4o._http import Reply, Request
from chatgpt4o._nonce_cache import NonceCache, renew_steps
from chatgpt4o._page import Page, PageChat
from chatgpt4o._wpaicg import WpaicgReader
from tests.canned import (
    AIPKIT,
    AJAX_URL,
    CACHE_KEY,
    CALL,
    HTML,
    JSON,
    PAGE_URL,
    SESSION,
    WPAICG,
    reply,
)

TESTS = Path(__file__).parent
AIPKIT_PAGE = (TESTS / "fixtures" / "aipkit" / "2.4.71" / "front-page.html").read_bytes()
WPAICG_PAGE = (TESTS / "aipower-1.8.79-front-page.html").read_bytes()
CACHE_OK = b'{"success":true,"data":{"cache_key":"' + CACHE_KEY.encode() + b'"}}'
NONCE_REJECTED = (
    b'{"success":false,"data":{"message":"Your session has expired or the request is invalid. '
    b'Please refresh the page and try again.","code":"nonce_failure_cache_sse"}}'
)
IDENTITY = Identity(client_id="AbCdEf1234", session_id=SESSION)
NATIVE = NativeTurn(
    wpaicg_message="And now?",
    wpaicg_history='[{"text":"Human: Hi"}]',
    aipkit_message="And a second question?",
    conversation_uuid="5d1c7a90-3f4e-4b8a-9c1d-2e3f4a5b6c7d",
)
NATIVE_CALL = PreparedCall(model="gpt-4o", prompt="flattened", native=NATIVE)
BASE_URL = PAGE_URL + "/"

AIPKIT_JSON = replace(AIPKIT, streams=False)
_T = TypeVar("_T")


def finish(steps: Generator[Request, Reply, _T], answer: Reply) -> _T:
    """Send the last reply the steps ask for; their result."""
    with pytest.raises(StopIteration) as done:
        steps.send(answer)
    result: _T = done.value.value
    return result


def first_and_only(steps: Generator[Request, Reply, _T]) -> _T:
    """The result of steps that make no request before it."""
    with pytest.raises(StopIteration) as done:
        next(steps)
    result: _T = done.value.value
    return result


def is_uuid4(value: str) -> bool:
    return uuid.UUID(value).version == 4 and value == value.lower() and len(value) == 36


# -- send_steps: the old plugin ------------------------------------------------------------------


def test_wpaicg_is_one_final_post_with_the_clients_id() -> None:
    # The form's fields: tests/test_protocol.py; here, what the steps add to it.
    request = first_and_only(send_steps(WPAICG, CALL, IDENTITY))
    assert (request.method, request.url, request.reader) == ("POST", AJAX_URL, "wpaicg")
    assert request.data is not None
    assert request.data["wpaicg_chat_client_id"] == "AbCdEf1234"
    assert "session_id" not in request.data


# -- send_steps: the current plugin ----------------------------------------------------------
# The fields of each request: tests/test_aipkit.py; here, what the steps carry between them.


def test_aipkit_posts_the_message_then_streams_with_the_key() -> None:
    steps = send_steps(AIPKIT, CALL, IDENTITY)
    cache = next(steps)
    assert (cache.method, cache.url, cache.reader) == ("POST", AJAX_URL, "json")
    stream = finish(steps, reply(200, CACHE_OK, JSON))
    assert (stream.method, stream.url, stream.reader) == ("GET", AJAX_URL, "aipkit-stream")
    assert stream.params["cache_key"] == CACHE_KEY
    assert stream.params["session_id"] == IDENTITY.session_id


def test_a_rejected_cache_post_raises_from_the_steps() -> None:
    # Each refusal of the cache POST: test_aipkit.py test_cache_key_failures_raise_typed_errors.
    steps = send_steps(AIPKIT, CALL, IDENTITY)
    next(steps)
    with pytest.raises(NonceError) as info:
        steps.send(reply(403, NONCE_REJECTED, JSON))
    assert info.value.status_code == 403


def test_the_2_3_to_2_4_0_json_path_is_one_final_post() -> None:
    request = first_and_only(send_steps(AIPKIT_JSON, CALL, IDENTITY))
    assert (request.method, request.url, request.reader) == ("POST", AJAX_URL, "aipkit-json")
    assert request.data is not None
    assert request.data["session_id"] == IDENTITY.session_id


def sent(chat: PageChat, call: PreparedCall) -> tuple[str, str]:
    """The message and the conversation id the steps send for ``call``."""
    if not chat.streams:
        final = first_and_only(send_steps(chat, call, IDENTITY))
        assert final.data is not None
        return final.data["message"], final.data["conversation_uuid"]
    steps = send_steps(chat, call, IDENTITY)
    cache = next(steps)
    assert cache.data is not None
    stream = finish(steps, reply(200, CACHE_OK, JSON))
    return cache.data["message"], stream.params["conversation_uuid"]


@pytest.mark.parametrize("chat", [AIPKIT, AIPKIT_JSON], ids=["stream", "json"])
def test_a_stateless_call_gets_a_fresh_conversation_and_a_native_one_keeps_its_own(
    chat: PageChat,
) -> None:
    ids = {sent(chat, CALL)[1] for _ in range(5)}
    assert len(ids) == 5
    assert all(is_uuid4(value) for value in ids)
    assert sent(chat, NATIVE_CALL) == ("And a second question?", NATIVE.conversation_uuid)


# -- open_reader ---------------------------------------------------------------------------------


def stream_of(chat: PageChat, call: PreparedCall) -> Request:
    steps = send_steps(chat, call, IDENTITY)
    next(steps)
    return finish(steps, reply(200, CACHE_OK, JSON))


def test_each_final_request_gets_its_reader() -> None:
    head = Reply(200, {"content-type": "text/event-stream"}, b"", AJAX_URL, "GET")
    assert isinstance(open_reader(stream_of(AIPKIT, CALL), head), AipkitStreamReader)
    json_final = first_and_only(send_steps(AIPKIT_JSON, CALL, IDENTITY))
    assert isinstance(open_reader(json_final, head), AipkitJsonReader)
    wpaicg_final = first_and_only(send_steps(WPAICG, CALL, IDENTITY))
    assert isinstance(open_reader(wpaicg_final, head), WpaicgReader)


def test_the_stream_reader_reads_what_the_steps_asked_for() -> None:
    request = stream_of(AIPKIT, CALL)
    head = Reply(200, {"content-type": "text/event-stream; charset=utf-8"}, b"", AJAX_URL, "GET")
    reader = open_reader(request, head)
    data = (TESTS / "fixtures" / "aipkit" / "2.4.71" / "02-message.body").read_bytes()
    assert "".join(reader.feed(data) + reader.close()) == "ECHO: Hello there, bot!"


# -- renew_steps ---------------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def page_reply(html: bytes, nonce: str) -> Reply:
    body = html.replace(b"defb835c4d", nonce.encode()).replace(b"14004b0807", nonce.encode())
    return Reply(200, HTML, body, BASE_URL, "GET")


def refreshed(nonce: str) -> Reply:
    return reply(200, b'{"success":true,"data":{"nonce":"' + nonce.encode() + b'"}}', JSON)


def read_first_page(store: NonceCache, html: bytes = AIPKIT_PAGE) -> Page:
    steps = renew_steps(store, BASE_URL)
    request = next(steps)
    assert (request.method, request.url, request.reader) == ("GET", BASE_URL, "page")
    assert request.follow_redirects
    assert not request.params  # nothing was rejected: no need to get past a page cache
    page = finish(steps, page_reply(html, "defb835c4d" if html is AIPKIT_PAGE else "14004b0807"))
    assert store.fresh() is page
    return page


def test_the_first_renewal_reads_the_page() -> None:
    store = NonceCache()
    page = read_first_page(store)
    assert page.generation == "aipkit"
    assert page.chat().nonce == "defb835c4d"


def test_a_rejected_aipkit_nonce_is_refreshed_with_one_small_request() -> None:
    clock = Clock()
    store = NonceCache(max_age=100.0, clock=clock)
    page = read_first_page(store)
    clock.now = 60.0
    store.reject(page)
    assert store.fresh() is None
    steps = renew_steps(store, BASE_URL)
    request = next(steps)
    assert (request.method, request.url) == ("POST", AJAX_URL)
    assert request.data == {"action": REFRESH_ACTION, "bot_id": "5"}
    renewed = finish(steps, refreshed("6758ffb9c3"))
    assert renewed.chat().nonce == "6758ffb9c3"
    assert replace(renewed.chat(), nonce="defb835c4d") == page.chat()
    assert renewed.url == page.url
    assert store.fresh() is renewed
    assert store.refresh_supported
    # The refreshed nonce does not make the page's other tokens younger.
    clock.now = 100.0
    assert store.fresh() is None


def test_every_chat_of_the_page_gets_the_refreshed_nonce() -> None:
    store = NonceCache()
    page = Page(BASE_URL, (AIPKIT, replace(AIPKIT, bot_id="7")))
    store.put(page)
    store.reject(page)
    steps = renew_steps(store, BASE_URL)
    assert next(steps).data == {"action": REFRESH_ACTION, "bot_id": "5"}
    renewed = finish(steps, refreshed("6758ffb9c3"))
    assert [chat.nonce for chat in renewed.chats] == ["6758ffb9c3", "6758ffb9c3"]
    assert renewed.bot_ids == ("5", "7")


def test_a_site_without_the_refresh_action_is_read_again_and_remembered() -> None:
    store = NonceCache()
    page = read_first_page(store)
    store.reject(page)
    steps = renew_steps(store, BASE_URL)
    assert next(steps).data == {"action": REFRESH_ACTION, "bot_id": "5"}
    request = steps.send(reply(400, b"0", HTML))
    assert (request.method, request.url, request.reader) == ("GET", BASE_URL, "page")
    assert re.fullmatch(r"\d+", request.params["nocache"])  # past any page cache
    assert not store.refresh_supported
    fresh = finish(steps, page_reply(AIPKIT_PAGE, "a1b2c3d4e5"))
    assert fresh.chat().nonce == "a1b2c3d4e5"
    assert store.fresh() is fresh
    # Next time the page is read at once.
    store.reject(fresh)
    steps = renew_steps(store, BASE_URL)
    request = next(steps)
    assert (request.method, request.reader) == ("GET", "page")
    assert "nocache" in request.params
    assert finish(steps, page_reply(AIPKIT_PAGE, "f6e5d4c3b2")).chat().nonce == "f6e5d4c3b2"


def test_a_rejected_page_past_its_age_is_still_read_past_the_page_cache() -> None:
    clock = Clock()
    store = NonceCache(max_age=100.0, clock=clock)
    page = read_first_page(store, WPAICG_PAGE)
    store.reject(page)
    clock.now = 150.0  # too old to keep its other tokens, and its nonce was refused
    assert store.rejected() is None
    request = next(renew_steps(store, BASE_URL))
    assert (request.method, request.reader) == ("GET", "page")
    assert re.fullmatch(r"\d+", request.params["nocache"])


def test_a_page_past_its_age_but_never_rejected_is_read_plainly() -> None:
    clock = Clock()
    store = NonceCache(max_age=100.0, clock=clock)
    read_first_page(store, WPAICG_PAGE)
    clock.now = 150.0
    assert not next(renew_steps(store, BASE_URL)).params


def test_a_failed_refresh_raises_and_keeps_the_refresh_action() -> None:
    store = NonceCache()
    page = read_first_page(store)
    store.reject(page)
    steps = renew_steps(store, BASE_URL)
    next(steps)
    with pytest.raises(BlockedError):
        steps.send(
            reply(503, b"<title>Just a moment...</title>", {**HTML, "cf-mitigated": "challenge"})
        )
    assert store.refresh_supported
    assert store.fresh() is None


def test_a_rejected_wpaicg_nonce_reads_the_page_past_its_cache() -> None:
    store = NonceCache()
    page = read_first_page(store, WPAICG_PAGE)
    assert page.generation == "wpaicg"
    store.reject(page)
    steps = renew_steps(store, BASE_URL)
    request = next(steps)
    assert (request.method, request.url, request.reader) == ("GET", BASE_URL, "page")
    assert "nocache" in request.params
    fresh = finish(steps, page_reply(WPAICG_PAGE, "0a1b2c3d4e"))
    assert fresh.chat().nonce == "0a1b2c3d4e"
    assert store.fresh() is fresh


def test_an_old_page_is_read_again_whatever_the_generation() -> None:
    clock = Clock()
    store = NonceCache(max_age=10.0, clock=clock)
    read_first_page(store)
    clock.now = 10.0
    assert store.fresh() is None
    steps = renew_steps(store, BASE_URL)
    request = next(steps)
    assert (request.method, request.reader) == ("GET", "page")
    assert not request.params


def test_a_rejection_of_an_older_page_does_not_mark_the_new_one() -> None:
    store = NonceCache()
    old = read_first_page(store)
    new = read_first_page(store)
    store.reject(old)
    assert store.fresh() is new


class RecordingCache(NonceCache):
    """A NonceCache that keeps every state ``persist`` is given."""

    def __init__(self, max_age: float = 100.0, clock: Optional[Clock] = None) -> None:
        super().__init__(max_age, clock if clock is not None else Clock())
        self.persisted: list[Optional[NonceCacheState]] = []

    def persist(self, state: Optional[NonceCacheState]) -> None:
        self.persisted.append(state)


def test_state_is_a_snapshot_of_the_cached_page() -> None:
    clock = Clock()
    store = NonceCache(max_age=100.0, clock=clock)
    assert store.state() is None
    page = Page(BASE_URL, (AIPKIT,))
    clock.now = 5.0
    store.put(page)
    before = store.state()
    assert before == NonceCacheState(page, 5.0, rejected=False, refresh_supported=True)
    store.reject(page)
    store.refresh_unsupported()
    assert before == NonceCacheState(page, 5.0)  # a snapshot: later changes do not reach it
    assert store.state() == NonceCacheState(page, 5.0, rejected=True, refresh_supported=False)
    clock.now = 500.0  # however old
    assert store.state() == NonceCacheState(page, 5.0, rejected=True, refresh_supported=False)
    with pytest.raises(AttributeError):
        before.rejected = True  # type: ignore[misc]


def test_persist_is_given_the_state_after_every_change() -> None:
    store = RecordingCache()
    page = Page(BASE_URL, (AIPKIT,))
    store.put(page)
    store.reject(Page(BASE_URL, (WPAICG,)))  # not the cached page: no change
    store.reject(page)
    store.refresh_unsupported()
    renewed = Page(BASE_URL, (replace(AIPKIT, nonce="6758ffb9c3"),))
    store.renewed(renewed)
    store.clear()
    assert store.persisted == [
        NonceCacheState(page, 0.0),
        NonceCacheState(page, 0.0, rejected=True),
        NonceCacheState(page, 0.0, rejected=True, refresh_supported=False),
        NonceCacheState(renewed, 0.0, refresh_supported=False),
        None,
    ]


def test_renew_steps_persist_the_page_they_read() -> None:
    store = RecordingCache()
    page = read_first_page(store)
    assert store.persisted == [NonceCacheState(page, 0.0)]


def test_restore_loads_a_state_and_does_not_persist_it() -> None:
    clock = Clock()
    store = RecordingCache(max_age=100.0, clock=clock)
    page = Page(BASE_URL, (AIPKIT,))
    state = NonceCacheState(page, 10.0, rejected=True, refresh_supported=False)
    clock.now = 50.0
    store.restore(state)
    assert store.persisted == []
    assert store.state() is state  # held as is, not copied
    assert (store.fresh(), store.rejected(), store.nonce_rejected) == (None, page, True)
    assert not store.refresh_supported
    # A restored page ages from its fetched_at, not from when it was restored.
    clock.now = 110.0
    assert (store.rejected(), store.nonce_rejected) == (None, True)
    store.restore(NonceCacheState(page, 100.0))
    assert store.fresh() is page
    assert store.refresh_supported


def test_a_restored_rejected_page_is_renewed_with_the_refresh_action() -> None:
    store = NonceCache(max_age=100.0, clock=Clock())
    store.restore(NonceCacheState(Page(BASE_URL, (AIPKIT,)), 0.0, rejected=True))
    steps = renew_steps(store, BASE_URL)
    assert next(steps).data == {"action": REFRESH_ACTION, "bot_id": "5"}
    assert finish(steps, refreshed("6758ffb9c3")).chat().nonce == "6758ffb9c3"
    assert store.state() == NonceCacheState(
        Page(BASE_URL, (replace(AIPKIT, nonce="6758ffb9c3"),)), 0.0
    )
    # Restored as lacking the refresh action: the page is read again at once.
    store.restore(NonceCacheState(Page(BASE_URL, (AIPKIT,)), 0.0, True, refresh_supported=False))
    assert next(renew_steps(store, BASE_URL)).reader == "page"


def test_a_page_from_the_clocks_future_is_too_old() -> None:
    clock = Clock()
    store = NonceCache(max_age=100.0, clock=clock)
    page = Page(BASE_URL, (AIPKIT,))
    clock.now = 50.0
    store.restore(NonceCacheState(page, 60.0))  # read "later" than now: its age proves nothing
    assert store.fresh() is None
    store.restore(NonceCacheState(page, 60.0, rejected=True))
    assert store.rejected() is None
    clock.now = 60.0
    assert store.rejected() is page


def test_clear_forgets_the_page_and_the_missing_refresh_action() -> None:
    store = RecordingCache()
    page = read_first_page(store)
    store.reject(page)
    store.refresh_unsupported()
    store.clear()
    assert store.state() is None
    assert (store.fresh(), store.rejected(), store.nonce_rejected) == (None, None, False)
    assert store.refresh_supported
    assert store.persisted[-1] is None
    request = next(renew_steps(store, BASE_URL))  # a plain page read, as at first
    assert (request.method, request.reader, request.params) == ("GET", "page", {})


def test_the_page_url_is_the_base_url() -> None:
    request = next(renew_steps(NonceCache(), "https://site.test/chat/"))
    assert urlsplit(request.url).path == "/chat/"
