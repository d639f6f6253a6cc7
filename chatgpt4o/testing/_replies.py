"""The stand-in's reply bytes: the plugin's JSON and SSE, WordPress, host and Cloudflare HTML."""

from __future__ import annotations

import json
import re
import secrets
import string
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from email.utils import format_datetime
from typing import Any, Sequence

from chatgpt4o.testing._php import esc_html, esc_url, php_json
from chatgpt4o.testing._profiles import Profile

JSON_TYPE = "application/json; charset=UTF-8"
HTML_TYPE = "text/html; charset=UTF-8"
SSE_TYPE = "text/event-stream;charset=UTF-8"
MODEL = "gpt-4o-mini"

GREETING = (
    "Converse as if you were an AI assistant. Answer the question as truthfully as possible "
    "using the provided context. Tone: Friendly.\n"
)
NONCE_FAILED = "Nonce verification failed"
NONCE_FAILED_17 = (
    "Invalid nonce. This means we are unable to verify the validity of the nonce. There are "
    "couple of possible reasons for this. 1. A cache plugin is caching the nonce. 2. The nonce "
    "has expired. 3. Invalid SSL certificate. 4. Network issue. Please check and try again."
)
LINK_EXPIRED = "The link you followed has expired."
NOTHING_INPUTTED = "It appears that nothing was inputted."
TOKEN_LIMIT = "You have reached your token limit."
IP_BANNED = "You are not allowed to access this feature."
BANNED_WORD = "Your message contains prohibited words. Please modify your message and try again."
NO_API_KEY = "Unable to initialize the AI instance. Please make sure the API key is valid."
NO_API_KEY_17 = "Missing API Setting"
FLAG_MESSAGES = {
    "tokenLimitReached": TOKEN_LIMIT,
    "ipBanned": IP_BANNED,
    "messageFlagged": BANNED_WORD,
    "pineconeError": "Pinecone error: the index could not be queried.",
}
PHP_WARNING = (
    '<br />\n<b>Warning</b>:  Undefined array key "wpaicg_chat_client_id" in '
    "<b>/var/www/html/wp-content/plugins/gpt3-ai-content-generator/classes/wpaicg_chat.php</b>"
    " on line <b>123</b><br />\n"
)

# admin-ajax.php sends these with every reply (send_nosniff_header, nocache_headers, ...).
AJAX_HEADERS: tuple[tuple[str, str], ...] = (
    ("X-Robots-Tag", "noindex"),
    ("X-Content-Type-Options", "nosniff"),
    ("Expires", "Wed, 11 Jan 1984 05:00:00 GMT"),
    ("Cache-Control", "no-cache, must-revalidate, max-age=0"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
    ("X-Frame-Options", "SAMEORIGIN"),
)
SSE_HEADERS: tuple[tuple[str, str], ...] = (
    ("Content-Type", SSE_TYPE),
    ("Cache-Control", "no-cache"),
    ("X-Accel-Buffering", "no"),
    ("X-Robots-Tag", "noindex"),
)

Headers = Sequence[tuple[str, str]]


@dataclass(frozen=True)
class SiteReply:
    """What the server writes for one request (``Date``, ``Server`` and framing it adds)."""

    status: int
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    events: tuple[bytes, ...] | None = None  # chunked: one chunk (and flush) per event
    complete: bool = True  # send the terminating chunk; if not, close after the events
    close: bool = False
    delay: float = 0.0  # seconds before the reply
    delays: tuple[float, ...] = ()  # seconds before each event
    drop: bool = False  # close the connection with no reply at all


def with_php_warning(reply: SiteReply) -> SiteReply:
    """The reply with PHP's warning line printed before its body (or its first event)."""
    warning = PHP_WARNING.encode()
    if reply.events is not None:
        return replace(reply, events=(warning, *reply.events))
    return replace(reply, body=warning + reply.body)


def greeting(title: str | None) -> str:
    """The ``greeting_message`` the plugin leaks: its prompt, plus the page title if known."""
    return GREETING if title is None else f'{GREETING}, Current context: "{title}"'


def success_payload(greeting_text: str, data: str) -> dict[str, Any]:
    """The success object in the observed key order ``status,msg,greeting_message,data,log``."""
    return {
        "status": "success",
        "msg": "Something went wrong",
        "greeting_message": greeting_text,
        "data": data,
        "log": False,
    }


def error_payload(msg: str) -> dict[str, Any]:
    """``{"status":"error","msg":…}`` as ``wp_send_json`` would order it."""
    return {"status": "error", "msg": msg}


def json_reply(payload: Any, *, status: int = 200, headers: Headers = AJAX_HEADERS) -> SiteReply:
    """A ``wp_send_json`` reply of ``payload`` (PHP-style JSON, or already-encoded text)."""
    text = payload if isinstance(payload, str) else php_json(payload)
    return SiteReply(status, (("Content-Type", JSON_TYPE), *headers), text.encode("utf-8"))


def html_reply(status: int, html: str, headers: Headers = ()) -> SiteReply:
    """A ``text/html; charset=UTF-8`` reply."""
    return SiteReply(status, (("Content-Type", HTML_TYPE), *headers), html.encode("utf-8"))


def sse_reply(
    events: Sequence[bytes],
    headers: Headers = SSE_HEADERS,
    *,
    complete: bool = True,
    delays: Sequence[float] = (),
) -> SiteReply:
    """A chunked 200 reply, one chunk per event; an incomplete one closes the connection."""
    return SiteReply(
        200,
        tuple(headers),
        events=tuple(events),
        complete=complete,
        close=not complete,
        delays=tuple(delays),
    )


def ajax_zero() -> SiteReply:
    """``wp_die('0', 400)``: the reply to a missing or unregistered AJAX action."""
    return html_reply(400, "0", AJAX_HEADERS)


def nonce_failure(profile: Profile, referer: str | None) -> SiteReply:
    """The era's reply to a wrong, missing or expired nonce."""
    if profile.nonce_failure == "json-long":
        return json_reply(error_payload(NONCE_FAILED_17))
    if profile.nonce_failure == "json":
        return json_reply(error_payload(NONCE_FAILED))
    text = LINK_EXPIRED
    if referer:
        text += f'</p><p><a href="{esc_url(referer)}">Please try again.</a>'
    return html_reply(403, text, AJAX_HEADERS)


def token_limit_payload(profile: Profile, msg: str) -> dict[str, Any]:
    """The quota refusal: 1.7 ``status:error``; 1.8+ ``{"msg","tokenLimitReached":true}``."""
    if profile.era == "1.7":
        return error_payload(msg)
    return {"msg": msg, "tokenLimitReached": True}


def upstream_error_payload(msg: str, greeting_text: str) -> dict[str, Any]:
    """The upstream-error reply: HTML-escaped message, no ``data`` key (observed)."""
    return {
        "status": "error",
        "msg": esc_html(msg),
        "greeting_message": greeting_text,
        "log": False,
    }


def completion_id() -> str:
    """A fresh ``chatcmpl-…`` ID like OpenAI's."""
    alphabet = string.ascii_letters + string.digits
    return "chatcmpl-" + "".join(secrets.choice(alphabet) for _ in range(29))


def split_reply(text: str) -> list[str]:
    """Cut a reply into token-like pieces (leading whitespace kept), as a model streams it."""
    return re.findall(r"\s*\S+|\s+$", text)


def _chunk(cid: str, created: int, delta: dict[str, Any], finish: str | None) -> bytes:
    obj = {
        "id": cid,
        "object": "chat.completion.chunk",
        "created": created,
        "model": MODEL,
        "system_fingerprint": "fp_0ba0d124f1",
        "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
    }
    # Relayed verbatim from the upstream: OpenAI's compact JSON, not PHP's.
    return b"data: " + json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode() + b"\n\n"


def completion_events(text: str, *, created: int) -> list[bytes]:
    """The OpenAI-style SSE events for ``text``: role first, then pieces, then ``stop``."""
    cid = completion_id()
    events = [_chunk(cid, created, {"role": "assistant", "content": ""}, None)]
    events += [_chunk(cid, created, {"content": piece}, None) for piece in split_reply(text)]
    events.append(_chunk(cid, created, {}, "stop"))
    return events


def stream_end(profile: Profile, final: dict[str, Any]) -> list[bytes]:
    """The era's end of a stream: ``[DONE]``, plus on 1.8.79 the bare JSON reply (no newline)."""
    events = [b"data: [DONE]\n\n"]
    if profile.stream_trailer:
        events.append(php_json(final).encode())
    return events


def error_mode_events(msg: str) -> list[bytes]:
    """The plugin re-emitting an upstream error one word per event, then a ``stop`` line.

    Words are pasted into the JSON unescaped, as the plugin does: ``"`` or ``\\`` break it.
    """
    events = [_word_event(word if i == 0 else " " + word) for i, word in enumerate(msg.split(" "))]
    events.append(b'event: message\ndata: {"choices":[{"finish_reason":"stop"}]}\n\n')
    return events


def _word_event(content: str) -> bytes:
    line = 'data: {"choices":[{"delta":{"content":"' + content + '"}}]}'
    return b"event: message\n" + line.encode("utf-8") + b"\n\n"


def limited_events(msg: str) -> list[bytes]:
    """A transport exception: the message one word per event, then ``data: [LIMITED]``."""
    events = [_word_event(word if i == 0 else " " + word) for i, word in enumerate(msg.split(" "))]
    events.append(b"event: message\ndata: [LIMITED]\n\n")
    return events


def flag_event(kind: str, msg: str) -> bytes:
    """One ``data: {"msg":…,"<kind>":true}`` line (quota, ban, moderation, Pinecone)."""
    return b"data: " + php_json({"msg": msg, kind: True}).encode() + b"\n\n"


def _retry_after(value: str | int | float | datetime) -> str:
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
        return format_datetime(moment.astimezone(timezone.utc), usegmt=True)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _nginx_page(status: int, reason: str) -> str:
    return (
        f"<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n"
        f"<center><h1>{status} {reason}</h1></center>\r\n<hr><center>nginx</center>\r\n"
        "</body>\r\n</html>\r\n"
    )


_REASONS = {
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Temporarily Unavailable",
    504: "Gateway Time-out",
}


def edge_error(status: int, retry_after: str | int | float | datetime | None) -> SiteReply:
    """A host or proxy error page (429, 5xx) from nginx in front of WordPress."""
    headers = [("Server", "nginx"), ("Content-Type", "text/html")]
    if retry_after is not None:
        headers.append(("Retry-After", _retry_after(retry_after)))
    body = _nginx_page(status, _REASONS.get(status, "Error"))
    return SiteReply(status, tuple(headers), body.encode())


def cloudflare_reply(status: int, host: str) -> SiteReply:
    """A Cloudflare managed challenge ("Just a moment..."), as served in front of a site."""
    ray = secrets.token_hex(8)
    body = f"""<!DOCTYPE html><html lang="en-US"><head><title>Just a moment...</title><meta http-equiv="Content-Type" content="text/html; charset=UTF-8"><meta http-equiv="X-UA-Compatible" content="IE=Edge"><meta name="robots" content="noindex,nofollow"><meta name="viewport" content="width=device-width,initial-scale=1"><style>*{{box-sizing:border-box;margin:0;padding:0}}html{{line-height:1.15;-webkit-text-size-adjust:100%;color:#313131}}</style><meta http-equiv="refresh" content="390"></head><body class="no-js"><div class="main-wrapper" role="main"><div class="main-content"><noscript><div id="challenge-error-title"><div class="h2"><span id="challenge-error-text">Enable JavaScript and cookies to continue</span></div></div></noscript><div id="cf-please-wait"><div id="spinner"><div id="cf-bubbles"></div></div><p data-translate="please_wait" id="cf-spinner-please-wait">Please stand by, while we are checking your browser...</p></div></div></div><script>(function(){{window._cf_chl_opt={{cvId: '3',cZone: "{host}",cType: 'managed',cRay: '{ray}',cH: '{secrets.token_urlsafe(24)}'}};var cpo=document.createElement('script');cpo.src='/cdn-cgi/challenge-platform/h/g/orchestrate/chl_page/v1?ray={ray}';window._cf_chl_opt.cOgUHash=location.hash;document.getElementsByTagName('head')[0].appendChild(cpo);}}());</script><div class="footer" role="contentinfo"><div class="footer-inner"><div class="clearfix diagnostic-wrapper"><div class="ray-id">Ray ID: <code>{ray}</code></div></div><div class="text-center" id="footer-text">Performance &amp; security by <a rel="noopener noreferrer" href="https://www.cloudflare.com?utm_source=challenge&amp;utm_campaign=m" target="_blank">Cloudflare</a></div><div id="cf-cloudflare-status"></div></div></div></body></html>"""  # noqa: E501
    headers = (
        ("Server", "cloudflare"),
        ("Content-Type", HTML_TYPE),
        ("CF-RAY", f"{ray}-FRA"),
        ("cf-mitigated", "challenge"),
        ("Cache-Control", "private, max-age=0, no-store, no-cache, must-revalidate"),
        ("Expires", "Thu, 01 Jan 1970 00:00:01 GMT"),
        ("Referrer-Policy", "same-origin"),
        ("X-Frame-Options", "SAMEORIGIN"),
    )
    return SiteReply(status, headers, body.encode())


def critical_error_page() -> str:
    """WordPress core's "There has been a critical error on this website." page."""
    return """<!DOCTYPE html>
<html dir='ltr'>
<head>
	<meta http-equiv="Content-Type" content="text/html; charset=utf-8" />
	<meta name="viewport" content="width=device-width">
	<meta name='robots' content='max-image-preview:large, noindex, follow' />
	<title>WordPress &rsaquo; Error</title>
	<style type="text/css">
		html { background: #f1f1f1; }
		body { background: #fff; border: 1px solid #ccd0d4; color: #444; margin: 2em auto; max-width: 700px; padding: 1em 2em; }
	</style>
</head>
<body id="error-page">
	<div class="wp-die-message"><p>There has been a critical error on this website.</p><p><a href="https://wordpress.org/documentation/article/faq-troubleshooting/">Learn more about troubleshooting WordPress.</a></p></div></body>
</html>
	"""  # noqa: E501


def not_found_page(url: str, title: str) -> str:
    """The theme's 404 page."""
    return f"""<!doctype html>
<html lang="en-US" >
<head>
	<meta charset="UTF-8" />
	<title>Page not found &#8211; {title}</title>
<meta name='robots' content='noindex, follow' />
<link rel="https://api.w.org/" href="{url}/wp-json/" />
</head>
<body class="error404 hfeed wp-embed-responsive is-light-theme no-js">
<main id="main" class="site-main">
	<header class="page-header alignwide"><h1 class="page-title">Nothing here</h1></header>
	<div class="error-404 not-found default-max-width">
		<p>It looks like nothing was found at this location. Maybe try a search?</p>
	</div>
</main>
</body>
</html>
"""


def rest_index(url: str, title: str) -> dict[str, Any]:
    """A minimal ``/wp-json/`` index (what the page's ``Link`` header points to)."""
    return {
        "name": title,
        "description": "",
        "url": url,
        "home": url,
        "gmt_offset": "0",
        "timezone_string": "",
        "namespaces": ["oembed/1.0", "wp/v2", "wp-site-health/v1"],
        "authentication": [],
        "routes": {},
    }
