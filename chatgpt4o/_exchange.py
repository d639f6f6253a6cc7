"""One chat attempt without I/O: its requests, per plugin generation, and who reads the reply.

``send_steps`` is a generator the transports drive: it yields each preparatory request, takes its
whole reply back, and returns the final request, whose body ``open_reader`` reads as it arrives.
The same steps and the same readers serve ``create()`` and ``stream()``.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import Protocol

from . import _aipkit, _wpaicg
from ._call import PreparedCall, new_uuid
from ._http import Reply, Request
from ._images import check_images_allowed
from ._page import PageChat

__all__ = ["Identity", "ReplyReader", "SendSteps", "open_reader", "send_steps"]

SendSteps = Generator[Request, Reply, Request]


@dataclass(frozen=True)
class Identity:
    """Who a client is to the site, like a browser's stored ids.

    Attributes:
        client_id: the old plugin's ``wpaicg_chat_client_id`` (its guest-quota key).
        session_id: the current plugin's guest id (UUID v4); quota is counted per session.
    """

    client_id: str
    session_id: str


class ReplyReader(Protocol):
    """Turns a reply body, fed as it arrives, into reply text pieces or a typed error."""

    def feed(self, chunk: bytes) -> list[str]:
        """Add body bytes; return the pieces they complete (maybe none)."""

    def close(self) -> list[str]:
        """At the end of the body: the last pieces, or raise what the reply stands for."""


def send_steps(chat: PageChat, call: PreparedCall, identity: Identity) -> SendSteps:
    """The requests of one attempt to send ``call`` to ``chat``.

    A stateless call gets a new ``conversation_uuid`` on every attempt, so the current plugin's
    server-side thread never mixes unrelated calls, and re-sending after a failure never
    replays a half-finished turn.

    Example::

        steps = send_steps(chat, call, identity)
        try:
            request = next(steps)
            while True:  # a preparatory request: hand its whole reply back
                request = steps.send(perform(request))
        except StopIteration as done:
            final = done.value  # the request whose body open_reader() reads as it arrives

    Raises:
        ImagesNotSupportedError: the call has pictures the bot's page does not take; raised
            before the first request, and never retried.
    """
    if call.images:
        check_images_allowed(
            len(call.images),
            generation=chat.generation,
            upload_enabled=chat.image_upload,
            plugin_version=chat.plugin_version,
            bot_id=str(call.bot_id) if call.bot_id is not None else chat.bot_id,
            url=chat.page_url,
        )
    if chat.generation == "wpaicg":
        return _wpaicg.chat_request(chat, call, client_id=identity.client_id)
    native = call.native
    conversation = native.conversation_uuid if native is not None else new_uuid()
    # A conversation's thread is found by its session too: its own wins over the client's.
    session = native.session_id if native is not None and native.session_id else identity.session_id
    if not chat.streams:
        return _aipkit.json_request(chat, call, session_id=session, conversation_uuid=conversation)
    cache_reply = yield _aipkit.cache_request(chat, call)
    return _aipkit.stream_request(
        chat,
        call,
        cache_key=_aipkit.read_cache_key(cache_reply, picture_bytes=call.picture_bytes),
        session_id=session,
        conversation_uuid=conversation,
    )


def open_reader(request: Request, head: Reply) -> ReplyReader:
    """The reader for the reply to the final request of ``send_steps``.

    Args:
        request: the request that was made.
        head: the reply's status, headers and URL; the body follows through ``feed``.
    """
    if request.reader == "aipkit-stream":
        return _aipkit.AipkitStreamReader(head)
    if request.reader == "aipkit-json":
        return _aipkit.AipkitJsonReader(
            head, picture_bytes=_aipkit.sent_picture_bytes(request.data)
        )
    return _wpaicg.WpaicgReader(head)
