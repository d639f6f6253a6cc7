"""A local stand-in for a WordPress site running the AI Power chat plugin (like stripe-mock).

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

Profiles (``PROFILES``): ``"1.7"``, ``"1.8.79"`` (the observed reference), ``"1.9.18"``
(default), ``"widget"`` (1.9.18 floating widget only, ``data-post-id="<123"``) and
``"aipkit"`` (2.3+, every ``wpaicg_*`` request is ``400 0``).

Faults (``site.inject(name, times=1, on="post", **params)``; ``on="page"`` where marked):

=================  ==========================================================================
``rate_limit``     429 from the host, ``Retry-After`` = ``retry_after`` (default ``"1"``; seconds,
                   HTTP-date or datetime; ``None`` omits it). Page too.
``server_error``   ``status`` 500/502/503 (default)/504, nginx HTML, optional ``retry_after``.
                   Page too.
``drop``           the connection closes with no reply at all. Page too.
``slow``           waits ``delay`` seconds (default 1.0) before replying. Page too.
``cloudflare``     a managed challenge: ``status`` 403 (default)/503/429, ``Server: cloudflare``,
                   ``cf-ray``, ``cf-mitigated: challenge``, "Just a moment...". Page too.
``html``           WordPress's critical-error page where JSON was expected (``status`` 200).
                   Page too.
``stale_page``     the page carries nonces made with an old key, as a page cache serves (page
                   only; the default target).
``nonce_expired``  the post is refused as a nonce failure whatever it sent.
``no_api_key``     "Missing API Setting" (1.7, before the nonce check) or "Unable to initialize
                   the AI instance..." (1.8+).
``token_limit``    the era's quota reply (``msg``); a flag line when streaming on 1.8+.
``banned_ip``,     the 1.8+ ban replies (JSON; a flag line when streaming).
``banned_word``
``upstream_error`` ``status:error`` with the HTML-escaped ``msg`` and no ``data`` key.
``empty_data``     success with ``"data":""``.
``truncated_json`` a success JSON cut in half (complete HTTP reply, broken JSON).
``php_warning``    a PHP ``<br />\\n<b>Warning</b>: ...`` line before the reply (JSON or SSE).
``stream_cut``     SSE stops after ``after`` events (default 3); the connection closes with no
                   end marker and no terminating chunk.
``error_mode``     the per-word ``event: message`` sequence of ``msg`` then a ``finish_reason``
                   line; ``doubled=True`` sends it twice then a success with ``"data":""``.
``limited``        per-word events of ``msg``, then ``data: [LIMITED]``.
``flag``           one ``data: {"msg":...,"<kind>":true}`` line; ``kind`` one of ``FLAG_KINDS``;
                   ``continue_stream=True`` lets the normal stream follow.
``slow_stream``    ``chunk_delay`` seconds (default 0.2) between SSE chunks.
=================  ==========================================================================

Faults apply where a real request would meet them: edge faults (rate_limit, server_error, drop,
slow, cloudflare, html) to the next matching request whatever it carries; ``nonce_expired`` to
the next post with a valid action; reply faults only to a post that passes the action, nonce
and message checks. Stream-only faults (stream_cut, error_mode, limited, flag, slow_stream)
answer with SSE even when the site's ``stream`` switch is off; a 1.7 site refuses them.
"""

from __future__ import annotations

from chatgpt4o.testing._faults import FAULTS, FLAG_KINDS, Fault
from chatgpt4o.testing._nonce import create_nonce, verify_nonce
from chatgpt4o.testing._profiles import PROFILES, Profile
from chatgpt4o.testing._recording import RecordedRequest
from chatgpt4o.testing._site import LocalSite, echo

__all__ = [
    "FAULTS",
    "FLAG_KINDS",
    "PROFILES",
    "Fault",
    "LocalSite",
    "Profile",
    "RecordedRequest",
    "create_nonce",
    "echo",
    "verify_nonce",
]
