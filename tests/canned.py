"""Made-up chats and replies for the tests that play the transport by hand, and the recorded
pictures the picture tests send."""

from __future__ import annotations

import base64

from chatgpt4o._call import PreparedCall
from chatgpt4o._http import Reply
from chatgpt4o._page import PageChat

PAGE_URL = "http://127.0.0.1:8108"
AJAX_URL = "http://127.0.0.1:8108/wp-admin/admin-ajax.php"
JSON = {"content-type": "application/json; charset=UTF-8"}
HTML = {"content-type": "text/html; charset=UTF-8"}
EVENT_STREAM = {"content-type": "text/event-stream; charset=utf-8"}
CHALLENGE = b"<html><head><title>Just a moment...</title></head><body>cf-please-wait</body></html>"
SESSION = "0e2b7a24-8842-47e9-a449-f43f267d8079"
CONVERSATION = "5d1c7a90-3f4e-4b8a-9c1d-2e3f4a5b6c7d"
CACHE_KEY = "aipkit_sse_Q2pgtvRM2xNOoRBB5TGiuFd6MVRVkInf"
CALL = PreparedCall(model="gpt-4o", prompt="Hello there, bot!")

AIPKIT = PageChat(
    generation="aipkit",
    nonce="defb835c4d",
    post_id="6",
    bot_id="5",
    page_url=PAGE_URL,
    ajax_url=AJAX_URL,
    chat_type="aipkit",
    streams=True,
)
WPAICG = PageChat(
    generation="wpaicg",
    nonce="14004b0807",
    post_id="4",
    bot_id="0",
    page_url=PAGE_URL,
    ajax_url=AJAX_URL,
    chat_type="shortcode",
    streams=False,
)


# The recorded pictures (a.png, d.jpg, f.webp, e.gif of the fixtures' index).
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP4z8DwHwAFAAH/VscvDQAAAABJRU5ErkJggg=="
)
JPEG = base64.b64decode(
    "/9j/4AAQSkZJRgABAQEASABIAAD/2wBDAP////////////////////////////////////////////////////////"
    "//////////////////////////////wgALCAABAAEBAREA/8QAFBABAAAAAAAAAAAAAAAAAAAAAP/aAAgBAQABPxA="
)
WEBP = base64.b64decode("UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA==")
GIF = base64.b64decode("R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==")
PNG_URL = "data:image/png;base64," + base64.b64encode(PNG).decode()


def reply(status: int, body: bytes, headers: dict[str, str] = JSON, url: str = AJAX_URL) -> Reply:
    """A reply to a POST, as a transport would hand it to the core."""
    return Reply(status, headers, body, url, "POST")
