"""The command line: ``chatgpt4o "question"``, the interactive chat, demo, doctor and serve.

Global options may stand before or after the subcommand and among the prompt's words. Every
failure is one line on stderr with its own exit code (``EXIT_*`` in ``_output``); no traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import logging
import os
import select
import stat
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Optional, TextIO, cast

from ._demo import run_demo
from ._doctor import run_doctor
from ._exceptions import APIError, InvalidRequestError, ModelError
from ._images import ImageInput, load_image
from ._models import resolve_model
from ._network import without_queries
from ._output import (
    EXIT_BROKEN_PIPE,
    EXIT_CODES_HELP,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    Output,
    UsageError,
    describe_failure,
    one_line,
    print_reply,
)
from ._version import __version__

if TYPE_CHECKING:
    from ._client import Client

__all__ = ["main", "open_client"]

_COMMANDS = ("demo", "doctor", "serve")

_USAGE = """\
chatgpt4o [options] [PROMPT ...]       ask once (the prompt may also come on stdin)
       chatgpt4o --image PHOTO [PROMPT ...] ask about a picture (repeatable)
       chatgpt4o [options]                  chat interactively (on a terminal)
       chatgpt4o demo [--profile P]         chat with a local stand-in site, offline
       chatgpt4o doctor URL [--send] [--json]   find out why calls to a site fail
       chatgpt4o serve [options]            an OpenAI-compatible server (see serve --help)"""


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line (``chatgpt4o: …``) and never exit twice."""

    def error(self, message: str) -> Any:
        raise UsageError(f"{message} (see '{self.prog} --help')")


def _model(name: str) -> str:
    try:
        return resolve_model(name)
    except ModelError as exc:
        raise argparse.ArgumentTypeError(
            f"unknown model {name!r}; expected one of {', '.join(exc.valid)}"
        ) from None


_Option = tuple[tuple[str, ...], dict[str, Any]]


def _option(*flags: str, **settings: Any) -> _Option:
    return flags, settings


# The options, in --help's order: add_argument's arguments, the default named in the help.
# fmt: off
_SITE_OPTIONS = (
    _option("--base-url", metavar="URL",
            help="the site's chat page (default: $CHATGPT4O_BASE_URL, else https://chatgpt4o.one)"),
    _option("--proxy", metavar="URL", help="proxy URL (default: $CHATGPT4O_PROXY, else none)"),
)
_GLOBAL_OPTIONS = (
    _option("--model", type=_model, help="model name or alias (default: gpt-4o-mini)"),
    _option("--timeout", type=float, metavar="SECONDS",
            help="seconds each request may take, to the last byte of its reply"
            " (default: $CHATGPT4O_TIMEOUT, else 120)"),
    _option("--max-retries", type=int, metavar="N",
            help="retries of transient failures (default: $CHATGPT4O_MAX_RETRIES, else 2)"),
    _option("--bot-id", type=int, metavar="ID", help="the site's bot (default: first)"),
    _option("--no-stream", dest="stream", action="store_false",
            help="wait for the whole reply instead of printing its pieces as they arrive"),
    _option("--no-cache", dest="cache", action="store_false",
            help="neither read nor keep the site's nonce and ids in the user's cache directory"),
    _option("-v", "--verbose", action="store_true",
            help="log each request and the error's causes"),
)
_PICTURE_OPTIONS = (
    _option("--image", dest="images", action="append", default=[], metavar="PATH",
            help="a JPEG, PNG or WEBP picture to send with the message (repeatable, up to 4; "
            "the bot's page must offer image upload); without words it asks what is in it"),
    _option("--max-image-bytes", type=int, metavar="N",
            help="the largest picture sent, in bytes (default: 5242880; the site's own limit: "
            "20 MB)"),
)
_COMMAND_OPTIONS = {
    "": (
        _option("prompt", nargs="*", help="the message to send (words are joined)"),
        *_PICTURE_OPTIONS,
        _option("--version", action="version", version=f"chatgpt4o {__version__}"),
        *_SITE_OPTIONS,
    ),
    "demo": (
        _option("--stream", dest="site_stream", action="store_true",
                help="switch the site's streaming on (1.8 to 2.4.0; 2.4.71 always streams, "
                "1.7 never)"),
    ),
    "doctor": (
        _option("url", nargs="?", help="the site's chat page (default: as for chatgpt4o)"),
        _option("--send", action="store_true", help="also send one test message"),
        _option("--json", action="store_true", help="print a JSON report for scripts"),
        *_SITE_OPTIONS,
    ),
}
# fmt: on


def _add_options(parser: argparse.ArgumentParser, *options: _Option) -> None:
    for flags, settings in options:
        parser.add_argument(*flags, **settings)


_ABOUT = {
    "": """\
Chat with GPT-4o-mini through chatgpt4o.one or another AI Power site.
Use 'chatgpt4o -- demo' to send the word 'demo' as a prompt. In the interactive
chat, '/image PATH' attaches a picture to your next message.""",
    "demo": """\
Start a stand-in AI Power site in this process and chat with it through the real
Client, narrating each step. Needs no network, and ignores proxy settings.""",
    "doctor": """\
Diagnose a site whose calls fail: reachable or not and why, the plugin and its
version, the chats and bot ids on the page, the nonce, streaming, the nonce refresh
action, block pages, and the time of each step. Exit code 0 only when a message can
be sent (with --send: when the test message got its reply).""",
}


def _parser(command: str) -> _Parser:
    """The parser of ``chatgpt4o`` (command ""), ``chatgpt4o demo`` or ``chatgpt4o doctor``."""
    parser = _Parser(
        prog=f"chatgpt4o {command}".strip(),
        usage=None if command else _USAGE,
        description=_ABOUT[command],
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        allow_abbrev=False,
    )
    if command == "demo":  # the stand-in is imported only when it is used
        from .testing import PROFILES

        parser.add_argument(
            "--profile",
            default="2.4.71",
            choices=list(PROFILES),
            help="the plugin version the stand-in plays (default: 2.4.71, the current plugin)",
        )
    _add_options(parser, *_COMMAND_OPTIONS[command], *_GLOBAL_OPTIONS)
    return parser


def _split(argv: list[str]) -> tuple[Optional[str], list[str]]:
    """The command (None: ask or chat) and its arguments; a word after ``--`` is never one."""
    parser = _Parser(prog="chatgpt4o", add_help=False, allow_abbrev=False)
    _add_options(parser, *_SITE_OPTIONS, *_GLOBAL_OPTIONS, *_PICTURE_OPTIONS)
    parser.add_argument("words", nargs=argparse.REMAINDER)  # keeps a leading "--"
    words: list[str] = parser.parse_known_args(argv)[0].words
    if words and words[0] in _COMMANDS:
        return words[0], argv[: len(argv) - len(words)] + words[1:]
    return None, argv


def open_client(
    args: argparse.Namespace, base_url: Optional[str], *, cache: bool = False
) -> Client:
    """A Client from the global options (a loopback site is reached without env proxies)."""
    import requests

    from ._client import Client
    from ._config import is_loopback, resolve_settings
    from ._disk_cache import DiskNonceCache

    settings = resolve_settings(
        base_url=base_url,
        timeout=args.timeout,
        max_retries=args.max_retries,
        proxy=args.proxy,
        env=os.environ,
    )
    session = None
    if settings.proxy is None and is_loopback(settings.base_url):
        session = requests.Session()
        session.trust_env = False
    return Client(
        settings.base_url,
        timeout=settings.timeout,
        max_retries=settings.max_retries,
        proxy=settings.proxy,
        nonce_cache=DiskNonceCache(settings.base_url) if cache else None,
        max_image_bytes=getattr(args, "max_image_bytes", None),
        http_client=session,
    )


def _picture(client: Client, path: str, field: str) -> ImageInput:
    """The picture at ``path``, read and checked before anything is sent."""
    cap = client.settings.max_image_bytes
    # fetch_urls is off: load_image() refuses a remote URL, so what it returns was read.
    return cast(ImageInput, load_image(os.path.expanduser(path), field=field, max_bytes=cap))


def _queued(path: str, picture: ImageInput) -> str:
    return (
        f"(picture {path} queued: {picture.mime_type}, {picture.size} bytes; "
        "it goes with your next message)\n"
    )


def _chat(
    client: Client,
    args: argparse.Namespace,
    stdin: TextIO,
    out: Output,
    err: Output,
    pictures: Sequence[tuple[str, ImageInput]] = (),
) -> None:
    """The interactive chat: one conversation; a turn failed by the site is kept for Enter."""
    conversation = client.conversation(args.model, bot_id=args.bot_id)
    out.write(
        f"Chatting with {client.base_url}. An empty line, Ctrl-D or Ctrl-C ends; "
        "after an error the turn is kept: press Enter to send it again. "
        "/image PATH attaches a picture to your next message.\n"
    )
    pending = [picture for _, picture in pictures]
    for path, picture in pictures:
        out.write(_queued(path, picture))
    kept = ""
    while True:
        line = _read_line(stdin, out, kept)
        if line is None:
            out.write("\n")
            return
        text = line.strip()
        if not text:
            return
        kept = ""
        if text == "/image" or text.startswith("/image "):
            path = text[len("/image") :].strip().strip("'\"")
            try:
                if not path:
                    raise UsageError("/image needs a path, e.g. /image photo.jpg")
                pending.append(_picture(client, path, "/image"))
                out.write(_queued(path, pending[-1]))
            except (InvalidRequestError, UsageError) as exc:
                err.write(f"chatgpt4o: {describe_failure(exc)[1]}\n")
            continue
        try:
            _check_text(text, "that line")
            if args.stream:
                out.write("ai> ")
                with conversation.stream(text, images=pending) as stream:
                    for piece in stream:
                        out.write(piece)
                out.write("\n")
            else:
                out.write(f"ai> {conversation.send(text, images=pending)}\n")
            pending = []
        except (APIError, InvalidRequestError, UsageError) as exc:
            out.end_line()
            err.write(f"chatgpt4o: {describe_failure(exc)[1]}\n")
            if isinstance(exc, APIError):
                kept = text
            elif pending:
                pending = []
                err.write("chatgpt4o: the queued pictures were dropped\n")


def _read_line(stdin: TextIO, out: Output, kept: str) -> Optional[str]:
    """The line typed (Enter alone: ``kept``, pre-filled by readline), or None at the end."""
    if stdin is sys.stdin and out.stream is sys.stdout and stdin.isatty():
        with contextlib.suppress(ImportError):
            import readline

            readline.set_startup_hook((lambda: readline.insert_text(kept)) if kept else None)
        try:
            line = input("you> ")
        except EOFError:
            return None
    else:
        out.write("you> ")
        line = stdin.readline()
        if not line:
            return None
    return kept if kept and not line.strip() else line


def _check_text(text: str, what: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise UsageError(f"{what} is not valid UTF-8 text") from None


def _read_stdin(stdin: TextIO) -> str:
    buffer = getattr(stdin, "buffer", None)
    try:
        if buffer is not None:
            return str(buffer.read().decode("utf-8-sig"))
        return stdin.read()
    except UnicodeDecodeError as exc:
        raise UsageError(
            f"stdin is not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at offset {exc.start}); "
            "convert it first, e.g. with iconv -t UTF-8"
        ) from None


def _stdin_holds_text(stdin: TextIO) -> bool:
    """Whether stdin (not a terminal) holds text already; never waits for more to come."""
    try:
        fd = stdin.fileno()
    except (OSError, ValueError):  # an in-memory stream: reading it cannot block
        return bool(stdin.read().strip())
    mode = os.fstat(fd).st_mode
    ready = stat.S_ISREG(mode) or (
        sys.platform != "win32"
        and (stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode))
        and bool(select.select([fd], [], [], 0)[0])
    )
    return ready and bool(os.read(fd, 4096).strip())


def _ask(args: argparse.Namespace, stdin: TextIO, out: Output, err: Output) -> int:
    prompt = " ".join(args.prompt)
    _check_text(prompt, "the prompt")
    interactive = not prompt.strip() and stdin.isatty()
    if prompt.strip() and not stdin.isatty() and _stdin_holds_text(stdin):
        raise UsageError(
            "a prompt both as words and on stdin: send it one way "
            "(to ignore stdin, redirect it from /dev/null)"
        )
    if not prompt.strip() and not interactive:
        prompt = _read_stdin(stdin).strip()
        if not prompt and not args.images:
            raise UsageError(
                "no prompt: give one as arguments or on stdin (see 'chatgpt4o --help')"
            )
    with open_client(args, args.base_url, cache=args.cache) as client:
        pictures = [(path, _picture(client, path, "--image")) for path in args.images]
        if interactive:
            _chat(client, args, stdin, out, err, pictures)
        else:
            print_reply(client, args, prompt, out, images=[p for _, p in pictures])
    return 0


def _run(argv: list[str], stdin: TextIO, out: Output, err: Output) -> int:
    command, argv = _split(argv)
    if command == "serve":
        try:
            from .serve import main as serve_main
        except ImportError as exc:
            raise UsageError(f"the server is not available ({exc})") from None
        return serve_main(argv, stdout=out.stream, stderr=err.stream)
    with contextlib.redirect_stdout(out.stream):  # --help and --version
        args = _parser(command or "").parse_intermixed_args(argv)
    if args.verbose:
        logging.basicConfig(level=logging.DEBUG, stream=err, format="%(name)s: %(message)s")
    if command == "demo":
        return run_demo(args, out, err)
    if command == "doctor":
        with open_client(args, args.url or args.base_url) as client:
            return run_doctor(client, args, out)
    return _ask(args, stdin, out, err)


def main(
    argv: Optional[Sequence[str]] = None,
    *,
    stdin: Optional[TextIO] = None,
    stdout: Optional[TextIO] = None,
    stderr: Optional[TextIO] = None,
) -> int:
    """Run the command line and return its exit code (see ``EXIT_CODES_HELP``).

    Example::

        raise SystemExit(main(["What is 2 + 2?"]))
    """
    args_list = list(sys.argv[1:] if argv is None else argv)
    stdin = stdin or sys.stdin or io.StringIO()
    stdout = stdout or sys.stdout
    if stdout is None:  # started with stdout closed: as a closed pipe, and nothing is sent
        return EXIT_BROKEN_PIPE
    stderr = stderr or sys.stderr or io.StringIO()
    for stream in (stdout, stderr):
        if stream in (sys.stdout, sys.stderr) and hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="replace")  # '?' for what the terminal cannot show
    out, err = Output(stdout), Output(stderr)
    verbose = "-v" in args_list or "--verbose" in args_list
    try:
        return _run(args_list, stdin, out, err)
    except SystemExit as exit_:  # --help and --version
        code = exit_.code
        return code if isinstance(code, int) else (0 if code is None else EXIT_USAGE)
    except KeyboardInterrupt:
        with contextlib.suppress(Exception):
            out.end_line()
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return _broken_pipe(out.stream)
    except Exception as exc:
        return _fail(exc, out, err, verbose)


def _fail(exc: BaseException, out: Output, err: Output, verbose: bool) -> int:
    code, line = describe_failure(exc)
    with contextlib.suppress(OSError):
        out.end_line()
        err.write(f"chatgpt4o: {line}\n")
        seen = {id(exc)}
        cause = exc.__cause__ or exc.__context__
        while verbose and cause is not None and id(cause) not in seen:
            seen.add(id(cause))
            text = one_line(without_queries(str(cause)))
            err.write(f"chatgpt4o:   caused by {type(cause).__name__}: {text}\n")
            cause = cause.__cause__ or cause.__context__
    return code


def _broken_pipe(stream: TextIO) -> int:
    # The reader went away: say nothing, and keep Python from complaining at exit.
    if stream is sys.stdout:
        with contextlib.suppress(OSError, ValueError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
    return EXIT_BROKEN_PIPE
