"""A local stand-in for a WordPress site running the AI Power / AI Puffer chat plugin.

``LocalSite`` serves the chat page and the plugin's AJAX endpoint on 127.0.0.1, with real
WordPress nonces and each plugin era's exact reply bytes, so code that talks to chatgpt4o.one
can be tested offline. It uses only the standard library and none of the SDK's client code.

Example::

    import urllib.parse
    import urllib.request

    from chatgpt4o.testing import LocalSite

    with LocalSite("1.8.79") as site:
        form = {
            "action": "wpaicg_chat_shortcode_message",
            "_wpnonce": site.nonce,
            "message": "Hello",
            "post_id": str(site.post_id),
        }
        with urllib.request.urlopen(site.ajax_url, urllib.parse.urlencode(form).encode()) as r:
            print(r.read())  # b'{"status":"success",...,"data":"Echo: Hello","log":false}'
        site.inject("rate_limit", times=2, retry_after="3")  # the next two posts get 429
        assert site.posts[-1].fields["message"] == "Hello"

With pytest, the ``chatgpt4o_site`` fixture gives a running default site and
``chatgpt4o_site_factory(profile=..., stream=...)`` makes more; both stop them afterwards.
``python -m chatgpt4o.testing --profile 1.8.79 --stream`` serves one until Ctrl-C.

Profiles (``PROFILES``): the wpaicg eras ``"1.7"``, ``"1.8.79"`` (the observed reference),
``"1.9.18"`` (default), ``"widget"`` (1.9.18 floating widget only, ``data-post-id="<123"``),
and the AIPKit eras (AI Puffer 2.3+, ``div.aipkit_chat_container[data-config]``, every
``wpaicg_*`` request ``400 0``): ``"2.4.71"`` (current: ``aipkit_cache_sse_message`` POST then
``aipkit_frontend_chat_stream`` SSE GET, nonce refresh, server-side history), ``"2.4.0"``
(also the JSON action ``aipkit_frontend_chat_message`` and ``streamEnabled`` in the page
config) and ``"2.3.20"`` (2.4.0 without the nonce refresh, the Origin check, ``event: status``,
the SSE preamble and ``quota_notice``). ``LocalSite("2.4.71", api_mode="chat_completions")``
plays the admin's Chat Completions API mode (2.4.68+): no ``event: status``, no
``openai_response_id``, the text in two deltas. Every AIPKit bot takes pictures in
``image_inputs`` as the plugin checks them (2.4.71: up to 4; 2.4.0: the first only), and the
default model's answer then ends with a note naming each picture it got
(``[images: image/png 70 bytes sha256:49e1dad481e9]``); ``image_upload=True`` (or bot IDs)
only shows the upload button on the page (``imageUploadEnabledUI``), as on a real site.

AIPKit example::

    with LocalSite("2.4.71", bots=(5, 9), popup={9}, guest_limit=100) as site:
        chatgpt4o.Client(site.url).ask("Hello")  # the page, the cache POST, the stream GET
        assert [t.role for t in site.thread(5, session_id, conversation_uuid)] == ["user", "bot"]
        assert site.upstream_calls[-1].input[-1] == {"role": "user", "content": "Hello"}
        site.advance_clock(61)  # unread cache keys expire after 60 s of the site's clock

Faults (``site.inject(name, times=1, on="post", **params)``; ``on="page"`` where marked; on
AIPKit ``on`` may also be ``"cache"``, ``"stream"``, ``"refresh"``, ``"history"`` or ``"json"``
where marked *action*). Every profile:

=================  ==========================================================================
``rate_limit``     429 from the host, ``Retry-After`` = ``retry_after`` (default ``"1"``; seconds,
                   HTTP-date or datetime; ``None`` omits it). Page too; *action*.
``server_error``   ``status`` 500/502/503 (default)/504, nginx HTML, optional ``retry_after``.
                   Page too; *action*.
``drop``           the connection closes with no reply at all. Page too; *action*.
``slow``           waits ``delay`` seconds (default 1.0) before replying. Page too; *action*.
``cloudflare``     a managed challenge: ``status`` 403 (default)/503/429, ``Server: cloudflare``,
                   ``cf-ray``, ``cf-mitigated: challenge``, "Just a moment...". Page too;
                   *action*.
``html``           WordPress's critical-error page where JSON was expected (``status`` 200).
                   Page too; *action*.
``stale_page``     the page carries nonces made with an old key, as a page cache serves (page
                   only; the default target).
``nonce_expired``  the request is refused as a nonce failure whatever it sent. *action*.
``no_api_key``     "Missing API Setting" (1.7, before the nonce check) or "Unable to initialize
                   the AI instance..." (1.8+); AIPKit: "API key missing for OpenAI." (stream,
                   after the user turn is stored) or 400 "API key is missing for OpenAI."
``banned_ip``,     the ban replies: 1.8+ JSON or a flag line when streaming; AIPKit: "Access
``banned_word``    from your IP address has been blocked." / "Sorry, your message could not be
                   sent as it contains prohibited words." (SSE error, JSON 403 / 400).
``truncated_json`` a success JSON cut in half (complete HTTP reply, broken JSON). *action*.
``php_warning``    a PHP ``<br />\\n<b>Warning</b>: ...`` line before the reply (JSON or SSE).
                   *action*.
``stream_cut``     the body stops and the connection closes with no end marker and no
                   terminating chunk: after ``after`` events (default 3); AIPKit: after
                   ``after`` text pieces (after ``message_start``; neither ``done`` nor error).
``slow_stream``    ``chunk_delay`` seconds (default 0.2) between SSE chunks (AIPKit: between the
                   events after ``message_start``), plus ``first_delay`` (default 0) before the
                   first chunk (AIPKit: before the first text piece).
=================  ==========================================================================

wpaicg profiles only:

=================  ==========================================================================
``token_limit``    the era's quota reply (``msg``); a flag line when streaming on 1.8+.
``upstream_error`` ``status:error`` with the HTML-escaped ``msg`` and no ``data`` key.
``empty_data``     success with ``"data":""``.
``error_mode``     the per-word ``event: message`` sequence of ``msg`` then a ``finish_reason``
                   line; ``doubled=True`` sends it twice then a success with ``"data":""``.
``limited``        per-word events of ``msg``, then ``data: [LIMITED]``.
``flag``           one ``data: {"msg":...,"<kind>":true}`` line; ``kind`` one of ``FLAG_KINDS``;
                   ``continue_stream=True`` lets the normal stream follow.
=================  ==========================================================================

AIPKit profiles only (stream refusals are ``event: error`` + ``event: done`` after the HTTP
200 headers; upstream failures come after ``message_start`` and end without ``done``):

====================  =======================================================================
``cross_origin``      as if a foreign ``Origin`` came: cache 403 ``embed_not_available``,
                      stream "This domain is not permitted...", refresh 403 ``cors_denied``,
                      JSON 403 (only where ``bot_id`` > 0 is sent). *action* (not history).
``unknown_bot``       "Invalid chatbot specified." (the bot is unpublished; JSON 400).
``guests_disabled``   "Access disabled for guests." (JSON 429).
``quota``             ``msg`` (default: the era's quota text) with ``quota_notice``
                      ``{"type","message","actions"}`` on 2.4.71; ``actions`` a list of
                      ``{"label","url","variant"}`` (default none). JSON 429.
``moderation``        "Your message was flagged by the moderation system..." (JSON 400).
``api_error``         upstream HTTP ``status`` (default 401): "API Error: <msg> (Code: <code>)";
                      JSON: that status, "OpenAI API Error (HTTP <status>): ...".
``response_failed``   upstream ``response.failed`` after ``after`` pieces: " (Error: <msg>)";
                      JSON: 200 ``success:false`` with ``msg``.
``connection_error``  cURL failure after ``after`` pieces (default 0): "Connection Error:
                      <msg>"; the partial answer is stored. JSON: 503 "HTTP request failed:
                      cURL error <errno>: <msg>".
``no_data``           "Connection error: no data received from AI." (JSON: 200 "Unexpected
                      response structure...").
``warning``           ``event: warning`` ``{"error": msg}`` (default " (Incomplete:
                      max_output_tokens)") before ``done``; the text is appended to the
                      stored answer (JSON: to ``reply``).
====================  =======================================================================

Faults apply where a real request would meet them: edge faults (rate_limit, server_error, drop,
slow, cloudflare, html) to the next matching request whatever it carries; ``nonce_expired`` to
the next post with a valid action; reply faults only to a post that passes the action, nonce
and message checks (on AIPKit: to the chat request that reaches that check). Stream-only
faults (stream_cut, error_mode, limited, flag, slow_stream) answer with SSE even when the
site's ``stream`` switch is off; a 1.7 site refuses them. A fault of the other generation
raises ``ValueError``.

The default model is ``echo`` ("Echo: <message>") on every profile, so one client test reads
the same on every era; the recorded AIPKit site answered "ECHO: <last user message>" (pass
``answer=lambda m: "ECHO: " + m`` to reproduce its bytes).
"""

from __future__ import annotations

from chatgpt4o.testing._aipkit_store import Turn, UpstreamCall
from chatgpt4o.testing._faults import FAULTS, FLAG_KINDS, Fault
from chatgpt4o.testing._php import create_nonce, verify_nonce
from chatgpt4o.testing._profiles import PROFILES, Profile
from chatgpt4o.testing._recording import RecordedRequest
from chatgpt4o.testing._site import LocalSite, echo
from chatgpt4o.testing._sleeps import recorded_sleeps

__all__ = [
    "FAULTS",
    "FLAG_KINDS",
    "PROFILES",
    "Fault",
    "LocalSite",
    "Profile",
    "RecordedRequest",
    "Turn",
    "UpstreamCall",
    "create_nonce",
    "echo",
    "recorded_sleeps",
    "verify_nonce",
]
