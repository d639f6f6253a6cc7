"""The command line: ``chatgpt4o "question"``, an interactive chat, and ``chatgpt4o demo``."""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys
from typing import TYPE_CHECKING, Optional, TextIO

from ._exceptions import (
    APIConnectionError,
    BlockedError,
    Chatgpt4oError,
    InvalidRequestError,
    RateLimitError,
)
from ._version import __version__

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ._client import Client

__all__ = ["EXIT_BLOCKED", "EXIT_NETWORK", "EXIT_SITE", "EXIT_USAGE", "main"]

EXIT_USAGE = 2
EXIT_NETWORK = 3
EXIT_BLOCKED = 4
EXIT_SITE = 5
EXIT_INTERRUPTED = 130

_USAGE = """\
chatgpt4o [options] [PROMPT ...]   ask once (the prompt may also come on stdin)
       chatgpt4o [options]              chat interactively (on a terminal)
       chatgpt4o demo                   run a chat against a local stand-in site, offline"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="chatgpt4o",
        usage=_USAGE,
        description="Chat with GPT-4o-mini through chatgpt4o.one or another AI Power site.",
        epilog="Exit codes: 2 usage, 3 network, 4 blocked or rate limited, 5 site error. "
        "Use 'chatgpt4o -- demo' to send the word 'demo' as a prompt.",
    )
    parser.add_argument("prompt", nargs="*", help="the message to send")
    parser.add_argument("--model", help="model name or alias (default: gpt-4o-mini)")
    parser.add_argument("--base-url", help="the site's chat page ($CHATGPT4O_BASE_URL)")
    parser.add_argument("--proxy", help="proxy URL ($CHATGPT4O_PROXY)")
    parser.add_argument("--timeout", type=float, help="seconds ($CHATGPT4O_TIMEOUT)")
    parser.add_argument("--max-retries", type=int, help="($CHATGPT4O_MAX_RETRIES)")
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="log requests and show tracebacks"
    )
    parser.add_argument("--version", action="version", version=f"chatgpt4o {__version__}")
    return parser


def _failure(exc: BaseException) -> tuple[int, str]:
    """The exit code and the one line to print for an error."""
    if isinstance(exc, InvalidRequestError):
        return EXIT_USAGE, f"invalid input: {exc}"
    if isinstance(exc, APIConnectionError):
        return EXIT_NETWORK, f"network error: {exc}; check the URL, your connection or --proxy"
    if isinstance(exc, BlockedError):
        return EXIT_BLOCKED, f"blocked: {exc}"
    if isinstance(exc, RateLimitError):
        return EXIT_BLOCKED, f"rate limited: {exc}; wait a while and try again"
    if isinstance(exc, Chatgpt4oError):
        return EXIT_SITE, f"site error: {exc}; try again later or use --verbose to see more"
    return EXIT_SITE, f"unexpected error: {type(exc).__name__}: {exc}"


def _chat(client: Client, model: Optional[str], stdin: TextIO, stdout: TextIO) -> None:
    """Read lines from a terminal and answer each, keeping the conversation."""
    history: list[dict[str, str]] = []
    stdout.write("Chatting with " + client.base_url + ". An empty line or Ctrl-D ends.\n")
    while True:
        stdout.write("you> ")
        stdout.flush()
        line = stdin.readline()
        if not line.strip():
            stdout.write("\n" if not line else "")
            return
        history.append({"role": "user", "content": line.strip()})
        try:
            reply = client.create(model, history)
        except Chatgpt4oError:
            history.pop()
            raise
        history.append({"role": "assistant", "content": reply})
        stdout.write(f"ai> {reply}\n")


def main(
    argv: Optional[Sequence[str]] = None,
    *,
    stdin: Optional[TextIO] = None,
    stdout: Optional[TextIO] = None,
    stderr: Optional[TextIO] = None,
) -> int:
    """Run the command line and return its exit code.

    Example::

        raise SystemExit(main(["What is 2 + 2?"]))
    """
    args_list = list(sys.argv[1:] if argv is None else argv)
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    if args_list[:1] == ["demo"]:
        from ._demo import run_demo

        return run_demo(args_list[1:], stdout=stdout, stderr=stderr)
    parser = _parser()
    try:
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            args = parser.parse_args(args_list)
    except SystemExit as exit_:
        return int(str(exit_.code or 0))
    if args.verbose:
        logging.basicConfig(level=logging.DEBUG, stream=stderr, format="%(name)s: %(message)s")
    try:
        from ._client import Client

        with Client(
            args.base_url,
            timeout=args.timeout,
            max_retries=args.max_retries,
            proxy=args.proxy,
        ) as client:
            prompt = " ".join(args.prompt)
            if not prompt and not stdin.isatty():
                prompt = stdin.read().strip()
            if prompt.strip():
                stdout.write(client.create(args.model, prompt) + "\n")
            elif stdin.isatty():
                _chat(client, args.model, stdin, stdout)
            else:
                raise InvalidRequestError("prompt: expected a prompt argument or text on stdin")
    except KeyboardInterrupt:
        stderr.write("chatgpt4o: interrupted\n")
        return EXIT_INTERRUPTED
    except Exception as exc:
        if args.verbose:
            import traceback

            traceback.print_exc(file=stderr)
        code, line = _failure(exc)
        stderr.write(f"chatgpt4o: {line}\n")
        return code
    return 0
