"""``chatgpt4o demo``: a short chat with the real Client against the local stand-in, offline."""

from __future__ import annotations

import argparse
import contextlib
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["run_demo"]


def run_demo(argv: Sequence[str], *, stdout: TextIO, stderr: TextIO) -> int:
    """Start a stand-in site in this process, chat with it through ``Client``, narrate, exit 0.

    Example::

        chatgpt4o demo --profile 1.8.79
    """
    from ._client import Client
    from .testing import PROFILES, LocalSite

    parser = argparse.ArgumentParser(prog="chatgpt4o demo", description=run_demo.__doc__)
    parser.add_argument(
        "--profile",
        default="1.9.18",
        choices=[name for name in PROFILES if name != "aipkit"],
        help="which plugin era the stand-in plays (default: 1.9.18)",
    )
    parser.add_argument("--stream", action="store_true", help="the site streams its replies")
    try:
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            args = parser.parse_args(list(argv))
    except SystemExit as exit_:
        return int(str(exit_.code or 0))

    def say(line: str) -> None:
        stdout.write(line + "\n")
        stdout.flush()

    with LocalSite(args.profile, stream=args.stream) as site:
        mode = "streaming" if site.streams else "JSON"
        say(f"Started a local AI Power {args.profile} site at {site.url} ({mode} replies).")
        with Client(site.url, timeout=10) as client:
            for question in ("Hello! Who are you?", "What is 6 x 7?"):
                say(f"\nyou> {question}")
                reply = client.ask(question)
                say(f"ai>  {reply}")
            page = site.requests[0]
            post = site.posts[-1]
            say(
                f"\nThe client fetched the chat page once ({page.method} {page.path}), found "
                f"post id {post.fields.get('post_id')!r} and a 10-character nonce, "
                f"and posted {len(site.posts)} messages to {site.ajax_url}."
            )
            say("\nNow the site rotates its nonce, as WordPress does every 12-24 hours.")
            site.rotate_nonce()
            say("you> Are you still there?")
            say(f"ai>  {client.ask('Are you still there?')}")
            say(
                f"The site rejected the old nonce; the client fetched the page again "
                f"(page fetches: {site.page_fetches}) and retried on its own."
            )
    say("\nDone. Point the client at a real site with Client('https://chatgpt4o.one').")
    stderr.flush()
    return 0
