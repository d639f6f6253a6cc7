"""Command line: serve a stand-in AI Power site until Ctrl-C or SIGTERM.

The site URL is the first line on stdout; details go to stderr. Every failure is one line on
stderr, never a traceback (exit codes in ``--help``).
"""

from __future__ import annotations

import argparse
import errno
import signal
import socket
import sys
import threading
from typing import NoReturn, Sequence

from chatgpt4o.testing._php import NONCE_LIFE
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
_WHY = {
    errno.EADDRINUSE: "the port is in use (pick another with --port, or --port 0 for a free one)",
    errno.EACCES: "permission denied (ports below 1024 need privileges; pick a higher --port)",
    errno.EPERM: "permission denied (ports below 1024 need privileges; pick a higher --port)",
    errno.EADDRNOTAVAIL: "this machine has no such address (use 127.0.0.1 or 0.0.0.0)",
}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, without the usage block
        _fail(f"{message} (see --help)")


def _fail(message: str) -> NoReturn:
    print(f"{_PROG}: error: {message}", file=sys.stderr)
    raise SystemExit(EXIT_USAGE)


def _port(text: str) -> int:
    if not text.isdigit() or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"port must be 0 to 65535, got {text}")
    return int(text)


def _bots(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of bot ids: {text!r}") from None


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=_PROG,
        description="Serve a local stand-in for a WordPress site running the AI Power chat.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add = parser.add_argument
    add("--profile", choices=list(PROFILES), default=DEFAULT_PROFILE, help="plugin era")
    add("--stream", action="store_true", help="reply with SSE (1.8+; 2.4.71 always streams)")
    add("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    add("--port", type=_port, default=0, help="port (default: 0, a free one)")
    add("--ajax-path", default="/wp-admin/admin-ajax.php", help="AJAX path (default: %(default)s)")
    add("--minified", action="store_true", help="minify the chat element")
    add("--nonce-life", type=float, default=NONCE_LIFE, help="nonce life (default: %(default)g s)")
    aipkit = parser.add_argument_group("AIPKit profiles (2.3.20, 2.4.0, 2.4.71)").add_argument
    aipkit("--bots", type=_bots, help="chatbot ids on the page, e.g. 5,9")
    aipkit("--popup", action="store_true", help="render the bots as popups")
    aipkit("--no-refresh-action", action="store_true", help="no aipkit_get_frontend_chat_nonce")
    aipkit("--guest-limit", type=int, help="guest token limit (0: no guests)")
    aipkit("--api-mode", choices=("responses", "chat_completions"), help="OpenAI API mode (2.4.71)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the stand-in site until Ctrl-C or SIGTERM; returns the exit status.

    Example:
        >>> main(["--profile", "1.8.79", "--port", "8088"])  # doctest: +SKIP
    """
    try:
        return _main(_parser().parse_args(argv))
    except SystemExit as exit_:
        return exit_.code if isinstance(exit_.code, int) else EXIT_USAGE
    except KeyboardInterrupt:
        return 0


def _main(args: argparse.Namespace) -> int:
    profile = PROFILES[args.profile]
    if args.stream and not profile.can_stream:
        _fail(f"--stream: profile {profile.name} cannot stream (its replies are JSON)")
    aipkit = (args.bots, args.popup or None, args.no_refresh_action or None, args.guest_limit)
    if profile.era != "aipkit" and any(v is not None for v in (*aipkit, args.api_mode)):
        _fail("--bots/--popup/--no-refresh-action/--guest-limit/--api-mode need an AIPKit profile")
    if args.stream and profile.era == "aipkit" and not profile.json_action:
        note = f"profile {profile.name} always streams; --stream changes nothing"
        print(f"{_PROG}: note: {note}", file=sys.stderr)
    try:
        site = LocalSite(
            args.profile,
            stream=args.stream,
            host=args.host,
            port=args.port,
            ajax_path=args.ajax_path,
            minified=args.minified,
            nonce_life=args.nonce_life,
            bots=args.bots,
            popup=args.popup,
            refresh_action=False if args.no_refresh_action else None,
            guest_limit=args.guest_limit,
            api_mode=args.api_mode or "responses",
        )
    except ValueError as exc:
        _fail(str(exc))
    try:
        site.start()
    except OSError as exc:
        why = _WHY.get(exc.errno or 0, exc.strerror or str(exc))
        if isinstance(exc, socket.gaierror):
            why = "no such host or address (use an IP address such as 127.0.0.1, or a known name)"
        print(f"{_PROG}: cannot serve on {args.host}:{args.port}: {why}", file=sys.stderr)
        return EXIT_UNAVAILABLE
    done = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: done.set())
    try:
        print(site.url, flush=True)
        name = "AI Puffer" if profile.era == "aipkit" else "AI Power"
        bots = f", bots {list(site.bots)}, post_id {site.post_id}" if site.bots else ""
        print(
            f"{name} {profile.version} stand-in ({profile.name}, stream="
            f"{'on' if site.streams else 'off'}): page {site.url}/, ajax {site.ajax_url}{bots}. "
            "Ctrl-C stops.",
            file=sys.stderr,
            flush=True,
        )
        while not done.wait(0.5):
            pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        site.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
