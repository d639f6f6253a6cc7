"""The gpt4free provider: Chatgpt4o.create_async vs the original provider's per-call behaviour.

The original (gpt4free's ``g4f/Provider/Chatgpt4o.py``, 2024) opened a new HTTP session for
every call, scraped the page only while its class-level ``_post_id``/``_nonce`` were unset, and
made one POST. Re-implemented here without curl_cffi or aiohttp: a new ``httpx.AsyncClient`` per
call with the same browser headers, the nonce and post id cached on the class, one POST of the
original form in its order, ``data`` read from the JSON. The SDK side is a ``Chatgpt4o``
subclass whose ``url`` is the local site, so it keeps one pooled client per event loop.

Against the fast server of _server.py in a child process (old protocol; the original spoke only
that). Rows:

- many calls in ONE event loop (what an async application or gpt4free's async client does):
  ``await Chatgpt4o.create_async`` vs ``await original_create_async``. Goal: <= 1.0x.
- one event loop per call: ``asyncio.run(Chatgpt4o.create_async(...))`` and
  ``Chatgpt4o.create_completion`` (a loop of its own per call, its clients closed with it) vs
  ``asyncio.run(original_create_async(...))``, which is what the original's sync
  ``create_completion`` did. Report only: a new loop needs a new connection pool on both sides.
- the same in one loop on the current plugin (AIPKit 2.4.71), against an original-style
  re-implementation doing the two requests with a new client per call (report only).
"""

from __future__ import annotations

import asyncio
import re
import ssl
import uuid
from typing import Any, ClassVar, Dict, List, Optional

import httpx
from _common import (
    RawEvents,
    Result,
    Row,
    ainterleave,
    fmt_ratio,
    fmt_time,
    interleave,
    main,
    median,
    paired_ratio,
    raw_aipkit_cache_form,
    raw_aipkit_stream_params,
    spread,
)
from _server import AIPKIT_PATH, AJAX_PATH, REPLY_TEXT, spawn

from chatgpt4o import Chatgpt4o
from chatgpt4o._constants import DEFAULT_HEADERS
from chatgpt4o._messages import format_prompt

ROUNDS = 40
CALLS = 20
LOOP_ROUNDS = 20
LOOP_CALLS = 10
MESSAGES = [{"role": "user", "content": "hi"}]
_POST_ID = re.compile(r'data-post-id="([0-9]+)"')
_NONCE = re.compile(r'data-nonce="(.*?)"')
_CONFIG = re.compile(
    r"&quot;botId&quot;:(\d+).*?&quot;nonce&quot;:&quot;([0-9a-f]+)&quot;.*?&quot;postId&quot;:(\d+)",
    re.S,
)
STREAM_HEADERS = {"Accept": "text/event-stream", "Cache-Control": "no-cache"}
# httpx builds an SSL context (loading certifi's ~150 CA certificates, about 20 ms) for every new
# client unless it is given one; the original's curl_cffi session did not pay that per call, so
# the re-implementation makes it once. Everything else is new per call: client, pool, connection.
_SSL = ssl.create_default_context()


class Original:
    """gpt4free's 2024 provider, per call: a new session, the nonce cached on the class."""

    url: ClassVar[str] = ""
    _post_id: ClassVar[Optional[str]] = None
    _nonce: ClassVar[Optional[str]] = None

    @classmethod
    def _headers(cls) -> Dict[str, str]:
        return {**DEFAULT_HEADERS, "origin": cls.url, "referer": cls.url}

    @classmethod
    async def create_async(cls, model: str, messages: List[Dict[str, str]], **kwargs: Any) -> str:
        async with httpx.AsyncClient(headers=cls._headers(), timeout=120, verify=_SSL) as session:
            if not cls._post_id or not cls._nonce:
                response = await session.get(f"{cls.url}/")
                response.raise_for_status()
                post_id, nonce = _POST_ID.search(response.text), _NONCE.search(response.text)
                if post_id is None or nonce is None:
                    raise RuntimeError("No post ID or nonce found")
                cls._post_id, cls._nonce = post_id.group(1), nonce.group(1)
            data = {
                "_wpnonce": cls._nonce,
                "post_id": cls._post_id,
                "url": cls.url,
                "action": "wpaicg_chat_shortcode_message",
                "message": format_prompt(messages),
                "bot_id": "0",
            }
            response = await session.post(f"{cls.url}{AJAX_PATH}", data=data)
            response.raise_for_status()
            reply = response.json()
            if "data" not in reply:
                raise RuntimeError("Unexpected response structure: 'data' field missing")
            return str(reply["data"])


class OriginalAipkit(Original):
    """The same habits on the current plugin: a new session per call, two requests."""

    page: ClassVar[str] = ""
    _bot_id: ClassVar[Optional[str]] = None
    session_id: ClassVar[str] = str(uuid.uuid4())

    @classmethod
    async def create_async(cls, model: str, messages: List[Dict[str, str]], **kwargs: Any) -> str:
        async with httpx.AsyncClient(headers=cls._headers(), timeout=120, verify=_SSL) as session:
            if not cls._bot_id or not cls._nonce or not cls._post_id:
                response = await session.get(cls.page)
                response.raise_for_status()
                found = _CONFIG.search(response.text)
                if found is None:
                    raise RuntimeError("No bot config found")
                cls._bot_id, cls._nonce, cls._post_id = found.groups()
            bot, nonce, post = cls._bot_id, cls._nonce, cls._post_id
            form = raw_aipkit_cache_form(nonce, bot, format_prompt(messages))
            cache = await session.post(f"{cls.url}{AJAX_PATH}", data=form)
            cache.raise_for_status()
            key = cache.json()["data"]["cache_key"]
            params = raw_aipkit_stream_params(nonce, bot, post, key, cls.session_id)
            events, pieces = RawEvents(), []
            async with session.stream(
                "GET", f"{cls.url}{AJAX_PATH}", params=params, headers=STREAM_HEADERS
            ) as response:
                response.raise_for_status()
                async for chunk in response.aiter_bytes():
                    pieces += events.feed(chunk)
            if not events.done:
                raise RuntimeError("the event stream ended before its done event")
            return "".join(pieces)


Samples = Dict[str, List[float]]


def _providers(url: str) -> tuple[type[Chatgpt4o], type[Chatgpt4o]]:
    class Local(Chatgpt4o):
        pass

    class LocalAipkit(Chatgpt4o):
        pass

    Local.url = url
    LocalAipkit.url = url + AIPKIT_PATH
    Original.url = url
    OriginalAipkit.url, OriginalAipkit.page = url, url + AIPKIT_PATH
    return Local, LocalAipkit


async def one_loop(sdk_cls: type[Chatgpt4o], original: type[Original]) -> Samples:
    async def sdk() -> None:
        assert await sdk_cls.create_async("", MESSAGES) == REPLY_TEXT

    async def raw() -> None:
        assert await original.create_async("", MESSAGES) == REPLY_TEXT

    return await ainterleave({"sdk": sdk, "raw": raw}, rounds=ROUNDS, number=CALLS, warmup=2)


def loop_per_call(sdk_cls: type[Chatgpt4o]) -> Samples:
    def run_sdk() -> None:
        assert asyncio.run(sdk_cls.create_async("", MESSAGES)) == REPLY_TEXT

    def completion() -> None:
        assert list(sdk_cls.create_completion("", MESSAGES)) == [REPLY_TEXT]

    def raw() -> None:
        assert asyncio.run(Original.create_async("", MESSAGES)) == REPLY_TEXT

    sides = {"asyncio.run": run_sdk, "create_completion": completion, "raw": raw}
    return interleave(sides, rounds=LOOP_ROUNDS, number=LOOP_CALLS, warmup=1)


def _row(what: str, samples: Samples, side: str, goal: Optional[float]) -> tuple[Row, str]:
    ratio = paired_ratio(samples[side], samples["raw"])
    ratios = [a / b for a, b in zip(samples[side], samples["raw"])]
    row = Row(
        what,
        f"{fmt_time(median(samples[side]))}/call",
        f"{fmt_time(median(samples['raw']))}/call",
        fmt_ratio(ratio),
        "≤ 1.0×" if goal is not None else "—",
        None if goal is None else ratio <= goal,
    )
    return row, spread(ratios)


def run() -> Result:
    with spawn() as server:
        local, local_aipkit = _providers(server.url)
        same_loop = asyncio.run(one_loop(local, Original))
        same_loop_aipkit = asyncio.run(one_loop(local_aipkit, OriginalAipkit))
        per_call = loop_per_call(local)
    rows, spreads = [], []
    for what, samples, side, goal in (
        (
            "old protocol, one event loop: `await Chatgpt4o.create_async` vs the original's "
            "per-call behaviour",
            same_loop,
            "sdk",
            1.0,
        ),
        (
            "old protocol, a loop per call: `asyncio.run(Chatgpt4o.create_async(...))` vs "
            "`asyncio.run(original)`",
            per_call,
            "asyncio.run",
            None,
        ),
        (
            "old protocol, a loop per call: `Chatgpt4o.create_completion` vs "
            "`asyncio.run(original)`",
            per_call,
            "create_completion",
            None,
        ),
        (
            "AIPKit 2.4.71, one event loop: `await Chatgpt4o.create_async` vs an original-style "
            "call (new session, cache POST + stream GET)",
            same_loop_aipkit,
            "sdk",
            None,
        ),
    ):
        row, middle = _row(what, samples, side, goal)
        rows.append(row)
        spreads.append(middle)
    return Result(
        "provider",
        "8. The gpt4free provider vs the original's per-call behaviour",
        rows,
        [
            "the original re-implemented on httpx (no curl_cffi or aiohttp): a new "
            "httpx.AsyncClient per call with the browser headers, `_post_id`/`_nonce` cached on "
            "the class (scraped once, by regex), one POST of the original form; one SSL context "
            "shared by those clients (httpx would otherwise load the CA bundle for each, about "
            "20 ms, which curl_cffi's session did not); the SDK side is a Chatgpt4o subclass "
            "with `url` set to the local site",
            "server: benchmarks/_server.py in a child process",
            f"one loop: {ROUNDS} interleaved rounds of {CALLS} calls per side; a loop per call: "
            f"{LOOP_ROUNDS} rounds of {LOOP_CALLS}; times are medians, ratios the median of the "
            "per-round ratios (middle half, in row order: " + ", ".join(spreads) + ")",
        ],
    )


if __name__ == "__main__":
    main(run)
