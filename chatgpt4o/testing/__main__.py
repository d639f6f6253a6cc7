"""Command line: serve a stand-in AI Power site until Ctrl-C or SIGTERM.

Usage::

    python -m chatgpt4o.testing [--profile P] [--stream] [--port N] [--host H]

The site URL is the first line on stdout; details go to stderr.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from types import FrameType
from typing import Sequence

from chatgpt4o.testing._profiles import PROFILES
from chatgpt4o.testing._site import DEFAULT_PROFILE, LocalSite


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m chatgpt4o.testing",
        description="Serve a local stand-in for a WordPress site running the AI Power chat.",
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
    return parser


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

    site = LocalSite(
        args.profile,
        stream=args.stream,
        host=args.host,
        port=args.port,
        ajax_path=args.ajax_path,
        minified=args.minified,
        nonce_life=args.nonce_life,
    )
    site.start()
    previous = signal.signal(signal.SIGTERM, _stop)
    try:
        print(site.url, flush=True)
        print(
            f"AI Power {site.profile.version} stand-in ({site.profile.name}, "
            f"stream={'on' if site.streams else 'off'}): page {site.url}/, "
            f"ajax {site.ajax_url}. Ctrl-C stops.",
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
