"""Command line: serve a stand-in AI Power site until Ctrl-C or SIGTERM.

Usage::

    python -m chatgpt4o.testing [--profile P] [--stream] [--port N] [--host H]
        [--bots 5,9] [--popup] [--no-refresh-action] [--guest-limit N]   (AIPKit profiles)

The site URL is the first line on stdout; details go to stderr. Every failure is one line on
stderr, never a traceback. Exit codes: 0 stopped by Ctrl-C or SIGTERM, 2 bad usage (a bad
option or value: port outside 0-65535, a nonce life <= 0, an AJAX path that is not a path,
``--stream`` on 1.7, which cannot stream), 3 the address cannot be served (port in use, no
such host, permission denied).
"""

from __future__ import annotations

import argparse
import errno
import signal
import socket
import sys
import threading
from types import FrameType
from typing import Any, NoReturn, Sequence

from chatgpt4o.testing._profiles import PROFILES
from chatgpt4o.testing._site import DEFAULT_PROFILE, LocalSite

EXIT_USAGE = 2
EXIT_UNAVAILABLE = 3
_PROG = "python -m chatgpt4o.testing"
_EPILOG = """\
AIPKit profiles: the page's bot_id and postId are printed to stderr.

exit codes:
  0  stopped by Ctrl-C or SIGTERM
  2  bad usage: an unknown option, a bad value, --stream on a profile that cannot stream
  3  the address cannot be served: port in use, unknown host, permission denied"""


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port must be 0 to 65535, got {port}")
    return port


def _life(text: str) -> float:
    try:
        life = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not life > 0 or life == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, got {text}")
    return life


def _ajax_path(text: str) -> str:
    if not text.startswith("/") or text == "/" or "?" in text or "#" in text:
        raise argparse.ArgumentTypeError(
            f"must be a path like /wp-admin/admin-ajax.php, got {text!r}"
        )
    return text


class _Parser(argparse.ArgumentParser):
    """Usage errors on one line, without the usage block."""

    def error(self, message: str) -> NoReturn:
        print(f"{_PROG}: error: {message} (see --help)", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=_PROG,
        description="Serve a local stand-in for a WordPress site running the AI Power chat.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--profile", choices=list(PROFILES), default=DEFAULT_PROFILE, help="plugin era"
    )
    parser.add_argument(
        "--stream",
        action="store_true",
        help="reply with SSE (1.8+ profiles; refused on 1.7; 2.4.71 always streams)",
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)"
    )
    parser.add_argument(
        "--port", type=_port, default=0, help="port, 0 to 65535 (default: 0, a free one)"
    )
    parser.add_argument(
        "--ajax-path",
        type=_ajax_path,
        default="/wp-admin/admin-ajax.php",
        help="AJAX path (default: /wp-admin/admin-ajax.php)",
    )
    parser.add_argument("--minified", action="store_true", help="minify the chat element")
    parser.add_argument(
        "--nonce-life",
        type=_life,
        default=86400.0,
        help="nonce life in seconds, > 0 (default: 86400)",
    )
    aipkit = parser.add_argument_group("AIPKit profiles (2.3.20, 2.4.0, 2.4.71)")
    aipkit.add_argument("--bots", type=_bot_list, help="chatbot ids on the page, e.g. 5,9")
    aipkit.add_argument("--popup", action="store_true", help="render the bots as popups")
    aipkit.add_argument(
        "--no-refresh-action", action="store_true", help="no aipkit_get_frontend_chat_nonce"
    )
    aipkit.add_argument("--guest-limit", type=int, help="guest token limit (0: no guests)")
    aipkit.add_argument(
        "--api-mode",
        choices=("responses", "chat_completions"),
        help="the admin's OpenAI API mode (2.4.71 only; default: responses)",
    )
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
    try:
        return _main(argv)
    except KeyboardInterrupt:
        return 0


def _main(argv: Sequence[str] | None) -> int:
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return exit_.code if isinstance(exit_.code, int) else EXIT_USAGE
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
    if args.api_mode is not None:
        aipkit["api_mode"] = args.api_mode
    profile = PROFILES[args.profile]
    if aipkit and profile.era != "aipkit":
        return _usage(
            "--bots/--popup/--no-refresh-action/--guest-limit/--api-mode need an AIPKit profile"
        )
    if args.stream and not profile.can_stream:
        return _usage(f"--stream: profile {profile.name} cannot stream (its replies are JSON)")
    if args.stream and profile.era == "aipkit" and not profile.json_action:
        print(
            f"{_PROG}: note: profile {profile.name} always streams; --stream changes nothing",
            file=sys.stderr,
        )
    try:
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
    except ValueError as exc:
        return _usage(str(exc))
    try:
        site.start()
    except OSError as exc:
        print(f"{_PROG}: cannot serve on {args.host}:{args.port}: {_why(exc)}", file=sys.stderr)
        return EXIT_UNAVAILABLE
    previous = signal.signal(signal.SIGTERM, _stop)
    try:
        print(site.url, flush=True)
        print(
            f"{'AI Puffer' if site.profile.era == 'aipkit' else 'AI Power'} "
            f"{site.profile.version} stand-in ({site.profile.name}, "
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


def _usage(message: str) -> int:
    print(f"{_PROG}: error: {message}", file=sys.stderr)
    return EXIT_USAGE


def _why(exc: OSError) -> str:
    if isinstance(exc, socket.gaierror):
        return "no such host or address (use an IP address such as 127.0.0.1, or a known name)"
    if exc.errno == errno.EADDRINUSE:
        return "the port is in use (pick another with --port, or --port 0 for a free one)"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied (ports below 1024 need privileges; pick a higher --port)"
    if exc.errno == errno.EADDRNOTAVAIL:
        return "this machine has no such address (use 127.0.0.1 or 0.0.0.0)"
    return exc.strerror or str(exc)


if __name__ == "__main__":
    sys.exit(main())
