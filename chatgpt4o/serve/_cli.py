"""``chatgpt4o serve``: parse the options, bind the port, run uvicorn; one line per failure."""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import socket
import sys
from collections.abc import Sequence
from typing import Any, Callable, Optional, TextIO
from urllib.parse import urlsplit, urlunsplit

from chatgpt4o._constants import (
    ENV_SERVE_API_KEY,
    SERVE_HEADER_TIMEOUT,
    SERVE_KEEP_ALIVE_TIMEOUT,
    SERVE_MAX_CONNECTIONS,
)

__all__ = ["EXIT_INTERRUPTED", "EXIT_USAGE", "INSTALL_HINT", "listen", "main"]

EXIT_USAGE = 2
EXIT_STARTUP = 1
EXIT_INTERRUPTED = 130
INSTALL_HINT = 'pip install "chatgpt4o[serve]"'
_PROG = "chatgpt4o serve"
_LOOPBACK = ("127.0.0.1", "::1", "localhost")
# The options that are uvicorn's, not create_app()'s.
_SERVER_OPTIONS = (
    "host",
    "port",
    "header_timeout",
    "keep_alive_timeout",
    "max_connections",
    "log_level",
)


def _number(kind: type, low: float, high: float, expected: str) -> Callable[[str], Any]:
    """An argparse type: a ``kind`` from ``low`` to ``high``, else "expected ..."."""

    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text}")
        return value

    return parse


_port = _number(int, 0, 65535, "a number from 0 to 65535")
_seconds = _number(float, math.nextafter(0, 1), sys.float_info.max, "a number of seconds above 0")
_count = _number(int, 1, math.inf, "a whole number of at least 1")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=_PROG,
        description="Serve an OpenAI-compatible API (/v1/chat/completions, /v1/models) in "
        "front of an AI Power site, for any OpenAI client.",
        epilog=f"Needs {INSTALL_HINT}. Exit codes: 2 usage (bad option, port in use, extra "
        "missing), 1 the app did not start, 130 interrupted.",
    )
    parser.add_argument("--base-url", help="the site's chat page ($CHATGPT4O_BASE_URL)")
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)"
    )
    parser.add_argument(
        "--port", type=_port, default=8000, help="port to listen on; 0 picks one (default 8000)"
    )
    parser.add_argument(
        "--api-key",
        help=f"require 'Authorization: Bearer KEY' on every request (${ENV_SERVE_API_KEY}, which "
        "other users cannot read from the process list, is the safer way to pass it)",
    )
    parser.add_argument(
        "--allowed-host",
        action="append",
        default=[],
        dest="allowed_hosts",
        metavar="HOST",
        help="without --api-key, a host name to answer to besides this server's own address "
        "(e.g. the name a reverse proxy forwards); repeatable",
    )
    parser.add_argument(
        "--cors-origin",
        action="append",
        default=[],
        dest="cors_origins",
        metavar="ORIGIN",
        help="a web page origin (https://app.example, or *) allowed to call from a browser; "
        "repeatable; off by default",
    )
    parser.add_argument(
        "--bot-id",
        type=int,
        help="the site's bot every request talks to (default: the page's first); callers "
        "cannot choose it",
    )
    parser.add_argument(
        "--strict",
        action="store_true",
        help="refuse the parameters the server would accept and ignore (temperature, seed, "
        "user, ...) with 400, instead of naming them in x-chatgpt4o-ignored-params",
    )
    parser.add_argument(
        "--fetch-image-urls",
        action="store_true",
        help="fetch the pictures of image_url parts given as http(s) URLs (from public "
        "internet addresses only, at most --max-image-bytes, 10 s each); off by default: "
        "such URLs are refused with 400",
    )
    parser.add_argument(
        "--max-image-bytes",
        type=_count,
        help="the largest picture sent to the site or fetched, in bytes (default 5 MiB; up to "
        "the plugin's 20 MB for hosts that take more)",
    )
    parser.add_argument(
        "--max-body-bytes",
        type=_count,
        help="request bodies above this many bytes get 413 (default: room for 4 pictures of "
        "--max-image-bytes as data: URLs plus 2 MiB of text; 28.7 MiB by default)",
    )
    parser.add_argument(
        "--timeout", type=float, help="seconds per site request ($CHATGPT4O_TIMEOUT)"
    )
    parser.add_argument(
        "--max-retries",
        type=int,
        help="retries of transient site failures ($CHATGPT4O_MAX_RETRIES)",
    )
    parser.add_argument(
        "--header-timeout",
        type=_seconds,
        default=SERVE_HEADER_TIMEOUT,
        help="seconds a connection may take to send a request's headers, then it is closed "
        f"(default {SERVE_HEADER_TIMEOUT:g})",
    )
    parser.add_argument(
        "--keep-alive-timeout",
        type=_seconds,
        default=SERVE_KEEP_ALIVE_TIMEOUT,
        help=f"seconds an idle connection stays open after a reply (default "
        f"{SERVE_KEEP_ALIVE_TIMEOUT:g})",
    )
    parser.add_argument(
        "--max-connections",
        type=_count,
        default=SERVE_MAX_CONNECTIONS,
        help="connections held open at once; over it, the one idle longest is closed "
        f"(default {SERVE_MAX_CONNECTIONS}; keep it under 'ulimit -n')",
    )
    parser.add_argument(
        "--log-level",
        default="info",
        choices=("critical", "error", "warning", "info", "debug"),
        help="uvicorn's log level (default info: one line per request)",
    )
    return parser


def main(
    argv: Optional[Sequence[str]] = None,
    *,
    stdout: Optional[TextIO] = None,
    stderr: Optional[TextIO] = None,
) -> int:
    """Run ``chatgpt4o serve`` until interrupted and return its exit code.

    ``argv`` holds the options after ``serve`` (default ``sys.argv[1:]``). Failures print one
    line to ``stderr``, never a traceback: a missing ``serve`` extra, a bad option or a port in
    use exit with 2, Ctrl-C with 130.

    Example::

        raise SystemExit(main(["--port", "8080", "--api-key", "s3cret"]))
    """
    args_list = list(sys.argv[1:] if argv is None else argv)
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    try:
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            args = _parser().parse_args(args_list)
    except SystemExit as exit_:
        return int(str(exit_.code or 0))
    try:
        import starlette  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError:
        stderr.write(f"{_PROG}: the server needs its extra: {INSTALL_HINT}\n")
        return EXIT_USAGE
    from chatgpt4o import Chatgpt4oError

    from ._app import create_app
    from ._uvicorn import Server, uvicorn_config

    options = vars(args)
    server_options = {name: options.pop(name) for name in _SERVER_OPTIONS}
    host, port = server_options["host"], server_options["port"]
    if options["api_key"] is None:
        options["api_key"] = os.environ.get(ENV_SERVE_API_KEY)
    options["api_key"] = options["api_key"] or None
    try:
        app = create_app(**options)
    except (Chatgpt4oError, ValueError, TypeError) as exc:
        stderr.write(f"{_PROG}: {exc}\n")
        return EXIT_USAGE
    try:
        sock = listen(host, port)
    except OSError as exc:
        stderr.write(f"{_PROG}: cannot listen on {host} port {port}: {_reason(exc)}\n")
        return EXIT_USAGE
    with sock:
        port = server_options["port"] = int(sock.getsockname()[1])
        site = app.state.chatgpt4o.client.base_url
        stderr.write(_banner(host, port, site, bool(options["api_key"])))
        stderr.flush()
        server = Server(uvicorn_config(app, **server_options))
        try:
            server.run(sockets=[sock])
        except KeyboardInterrupt:
            return EXIT_INTERRUPTED
    if server.interrupted:
        return EXIT_INTERRUPTED
    return 0 if server.started else EXIT_STARTUP


def listen(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host``:``port`` (0 picks a free port), ready for uvicorn.

    Made with ``IPPROTO_TCP`` spelled out: asyncio sets ``TCP_NODELAY`` on accepted connections
    only then, and without it a reply's head and body meet Nagle's algorithm and the client's
    delayed ACK (about 40 ms per reply).
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(2048)
    except BaseException:
        sock.close()
        raise
    return sock


def _reason(exc: OSError) -> str:
    if exc.errno is not None:
        return os.strerror(exc.errno)
    return exc.strerror or str(exc) or type(exc).__name__


def _banner(host: str, port: int, site: str, keyed: bool) -> str:
    shown = f"[{host}]" if ":" in host else host
    lines = [
        f"{_PROG}: http://{shown}:{port}/v1 in front of {_without_userinfo(site)}"
        f" ({'API key required' if keyed else 'no API key'})\n"
    ]
    if host not in _LOOPBACK and not keyed:
        lines.append(
            f"{_PROG}: warning: listening on {host} without --api-key: anyone who can reach "
            "this port can chat through the site\n"
        )
    return "".join(lines)


def _without_userinfo(url: str) -> str:
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))
