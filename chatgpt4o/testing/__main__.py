"""Command line: serve a stand-in AI Power site until Ctrl-C or SIGTERM.

Usage::

    python -m chatgpt4o.testing [--profile P] [--stream] [--port N] [--host H]
        [--bots 5,9] [--popup] [--no-refresh-action] [--guest-limit N]   (AIPKit profiles)

The site URL is the first line on stdout; details go to stderr.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from types import FrameType
from typing import Any, Sequence

from chatgpt4o.testing._profiles import PROFILES
from chatgpt4o.testing._site import DEFAULT_PROFILE, LocalSite


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m chatgpt4o.testing",
        description="Serve a local stand-in for a WordPress site running the AI Power chat.",
        epilog="AIPKit profiles: the page's bot_id and postId are printed to stderr.",
    )
    parser.add_argument(
        "--profile", choices=list(PROFILES), default=DEFAULT_PROFILE, help="plugin era"
    )
    parser.add_argument("--stream", action="store_true", help="reply with SSE (1.8+ profiles)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=0, help="port (0 picks a free one)")
    parser.add_argument("--ajax-path", default="/wp-admin/admin-ajax.php", help="AJAX path")
    parser.add_argument("--minified", action="store_true", help="minify the chat element")
    parser.add_argument("--nonce-life", type=float, default=86400.0, help="nonce life, seconds")
    aipkit = parser.add_argument_group("AIPKit profiles (2.3.20, 2.4.0, 2.4.71)")
    aipkit.add_argument("--bots", type=_bot_list, help="chatbot ids on the page, e.g. 5,9")
    aipkit.add_argument("--popup", action="store_true", help="render the bots as popups")
    aipkit.add_argument(
        "--no-refresh-action", action="store_true", help="no aipkit_get_frontend_chat_nonce"
    )
    aipkit.add_argument("--guest-limit", type=int, help="guest token limit (0: no guests)")
    return parser


def _bot_list(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of bot ids: {text!r}") from None


def main(argv: Sequence[str] | None = None) -> int:
    """Run the stand-in site until interrupted; returns the exit status.

    Example:
        >>> main(["--profile", "1.8.79", "--port", "8088"])  # doctest: +SKIP

    Args:
        argv: command-line arguments without the program name; ``sys.argv[1:]`` by default.
    """
    args = _parser().parse_args(argv)
    done = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        done.set()

    aipkit: dict[str, Any] = {}
    if args.bots is not None:
        aipkit["bots"] = args.bots
    if args.popup:
        aipkit["popup"] = True
    if args.no_refresh_action:
        aipkit["refresh_action"] = False
    if args.guest_limit is not None:
        aipkit["guest_limit"] = args.guest_limit
    if aipkit and PROFILES[args.profile].era != "aipkit":
        _parser().error("--bots/--popup/--no-refresh-action/--guest-limit need an AIPKit profile")
    site = LocalSite(
        args.profile,
        stream=args.stream,
        host=args.host,
        port=args.port,
        ajax_path=args.ajax_path,
        minified=args.minified,
        nonce_life=args.nonce_life,
        **aipkit,
    )
    site.start()
    previous = signal.signal(signal.SIGTERM, _stop)
    try:
        print(site.url, flush=True)
        print(
            f"AI Power {site.profile.version} stand-in ({site.profile.name}, "
            f"stream={'on' if site.streams else 'off'}): page {site.url}/, "
            f"ajax {site.ajax_url}"
            + (f", bots {list(site.bots)}, post_id {site.post_id}" if site.bots else "")
            + ". Ctrl-C stops.",
            file=sys.stderr,
            flush=True,
        )
        while not done.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        site.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
