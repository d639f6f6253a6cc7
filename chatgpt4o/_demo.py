"""``chatgpt4o demo``: a short chat with the real Client against the local stand-in, offline."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._output import Output, UsageError, print_reply

if TYPE_CHECKING:
    import argparse

__all__ = ["run_demo"]


def run_demo(args: argparse.Namespace, out: Output, err: Output) -> int:
    """Start a stand-in site in this process, chat with it through ``Client``, narrate, exit 0.

    The client reaches 127.0.0.1 without the environment's proxies, so the demo works behind
    a corporate proxy.
    """
    import requests

    from ._client import Client
    from .testing import PROFILES, LocalSite

    profile = PROFILES[args.profile]
    aipkit = profile.era == "aipkit"
    if args.site_stream and not profile.can_stream:
        raise UsageError(f"--stream: profile {profile.name} cannot stream (its replies are JSON)")
    if args.site_stream and aipkit and not profile.json_action:
        err.write(f"chatgpt4o demo: profile {profile.name} always streams; --stream is implied\n")

    def say(line: str) -> None:
        out.write(line + "\n")

    plugin = "AI Puffer" if aipkit else "AI Power"
    session = requests.Session()
    session.trust_env = False  # the environment's proxies cannot reach this process's site
    with LocalSite(args.profile, stream=args.site_stream) as site, session:
        mode = "streaming" if site.streams else "JSON"
        say(f"Started a local {plugin} {profile.version} site at {site.url} ({mode} replies).")
        with Client(
            site.url, timeout=args.timeout, max_retries=args.max_retries, http_client=session
        ) as client:
            for question in ("Hello! Who are you?", "What is 6 x 7?"):
                say(f"\nyou> {question}")
                print_reply(client, args, question, out, prefix="ai>  ")
            chats = ", ".join(f"bot {bot}" for bot in site.bots) if aipkit else "one chat"
            say(
                f"\nThe client fetched the chat page once ({site.page_fetches} page fetch), "
                f"found {chats} (post id {site.post_id}) and a 10-character nonce, and sent "
                f"{len(site.posts)} requests to {site.ajax_url}."
            )
            say("\nNow the site rotates its nonce, as WordPress does every 12-24 hours.")
            site.rotate_nonce()
            question = "Are you still there?"
            say(f"you> {question}")
            print_reply(client, args, question, out, prefix="ai>  ")
            if aipkit and site.refresh_action:
                how = (
                    f"asked the plugin's refresh action for a new one "
                    f"(nonce refreshes: {len(site.nonce_refreshes)}, "
                    f"page fetches: {site.page_fetches})"
                )
            else:
                how = f"fetched the page again (page fetches: {site.page_fetches})"
            say(f"The site rejected the old nonce; the client {how} and retried on its own.")
    say("\nDone. Point the client at a real site with Client('https://chatgpt4o.one').")
    return 0
