"""What the command line prints and the exit codes it returns (a leaf of ``_cli``)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, TextIO

from ._exceptions import (
    AccessDeniedError,
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    BadReplyError,
    BlockedError,
    BotNotFoundError,
    ChatPageError,
    ContentFlaggedError,
    EndpointGoneError,
    ImageRejectedError,
    ImagesNotSupportedError,
    ImageTooLargeForSiteError,
    InvalidRequestError,
    NonceError,
    PluginError,
    RateLimitError,
    TokenLimitError,
    UpstreamError,
)

if TYPE_CHECKING:
    import argparse

    from ._client import Client
    from ._images import ImageInput

__all__ = [
    "EXIT_BLOCKED",
    "EXIT_BROKEN_PIPE",
    "EXIT_CODES_HELP",
    "EXIT_INTERNAL",
    "EXIT_INTERRUPTED",
    "EXIT_NETWORK",
    "EXIT_NO_CHAT",
    "EXIT_REFUSED",
    "EXIT_SITE",
    "EXIT_USAGE",
    "Output",
    "UsageError",
    "describe_failure",
    "one_line",
    "print_reply",
    "printable",
]

EXIT_INTERNAL = 1
EXIT_USAGE = 2
EXIT_NETWORK = 3
EXIT_BLOCKED = 4
EXIT_SITE = 5
EXIT_REFUSED = 6
EXIT_NO_CHAT = 7
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141

EXIT_CODES_HELP = """\
exit codes:
  0    the reply was printed (doctor: a message can be sent)
  1    an internal error (a bug in chatgpt4o: please report it)
  2    bad usage or input: an unknown option, a bad value, no prompt, stdin not UTF-8,
       a picture that is missing, not JPEG/PNG/WEBP, or over --max-image-bytes
  3    network: the site could not be reached (refused, DNS, TLS, proxy, timeout)
  4    blocked (a Cloudflare challenge) or rate limited by the site
  5    the site failed: an HTTP error, a bad or cut reply, a nonce it keeps rejecting
  6    the site refused the message, in its own words (quota, banned word, guests off)
  7    no chat there: no such page (404), no chat element, unknown bot, plugin missing;
       or the bot takes no pictures (its page offers no image upload), or fewer
  130  interrupted (Ctrl-C)
  141  the output pipe was closed (as with SIGPIPE)"""

_TRAILING = " .;:,"

# What a terminal would act on rather than show: CSI sequences (ESC [ or C1 0x9b), the string
# sequences OSC/DCS/SOS/PM/APC up to BEL or ST, other ESC sequences, and every other C0/C1
# control and DEL (carriage return and backspace overwrite text). Tab and newline stay.
_TERMINAL_CONTROLS = re.compile(
    r"""
    (?:\x1b\[|\x9b) [0-?]* [ -/]* [@-~]
    | (?:\x1b[]PX^_]|[\x90\x98\x9d\x9e\x9f]) [^\x07\x1b\x9c]* (?:\x07|\x1b\\|\x9c)
    | \x1b [ -/]* [0-~]
    | [\x00-\x08\x0b-\x1f\x7f-\x9f]
    """,
    re.VERBOSE,
)


class UsageError(Exception):
    """A usage problem found after parsing; printed as one line, exit 2."""


def one_line(text: str) -> str:
    """``text`` on one line, without the punctuation it ends with."""
    return " ".join(text.split()).rstrip(_TRAILING)


def describe_failure(exc: BaseException) -> tuple[int, str]:
    """The exit code and the one line (cause; what to do) to print for an error.

    Example::

        >>> describe_failure(InvalidRequestError("timeout: expected a number > 0"))
        (2, 'invalid input: timeout: expected a number > 0')
    """
    if isinstance(exc, ImagesNotSupportedError):
        return EXIT_NO_CHAT, (
            f"no pictures there: {one_line(str(exc))}; pick a bot that takes them with "
            f"--bot-id ('chatgpt4o doctor {exc.url}' lists them)"
        )
    if isinstance(exc, (InvalidRequestError, UsageError)):
        return EXIT_USAGE, f"invalid input: {one_line(str(exc))}"
    if isinstance(exc, APIError):
        return _describe_api_error(exc)
    return EXIT_INTERNAL, (
        f"internal error: {type(exc).__name__}: {one_line(str(exc)) or 'no message'}; "
        "this is a bug in chatgpt4o, please report it with the output of --verbose"
    )


def _describe_api_error(exc: APIError) -> tuple[int, str]:
    message = one_line(exc.message)
    if isinstance(exc, APITimeoutError):
        return EXIT_NETWORK, f"{message}; the site is slow or unreachable: try a larger --timeout"
    if isinstance(exc, APIConnectionError):
        hint = (
            "check the proxy (--proxy, $CHATGPT4O_PROXY, $HTTPS_PROXY)"
            if "proxy" in message.lower()
            else "check the URL, your network connection and any proxy (--proxy)"
        )
        return EXIT_NETWORK, f"network error: {message}; {hint}"
    if isinstance(exc, BlockedError):
        return EXIT_BLOCKED, f"blocked: {message}"
    if isinstance(exc, RateLimitError):
        wait = f"wait {exc.retry_after:g} s" if exc.retry_after is not None else "wait a while"
        return EXIT_BLOCKED, f"rate limited: {message}; {wait} and try again"
    if isinstance(exc, EndpointGoneError):
        return EXIT_NO_CHAT, f"no chat there: {message}; run 'chatgpt4o doctor {exc.url}'"
    if isinstance(exc, APIStatusError) and exc.status_code in (404, 410):
        return EXIT_NO_CHAT, (
            f"no such page: {exc.url} answered HTTP {exc.status_code}; check the URL "
            "(--base-url): it must be the page that shows the chat"
        )
    if isinstance(exc, BotNotFoundError):
        return EXIT_NO_CHAT, f"no such bot: {message}; pick one of them with --bot-id"
    if isinstance(exc, ChatPageError):
        return EXIT_NO_CHAT, f"no chat there: {message}"
    if isinstance(exc, PluginError):
        hint = next(hint for kind, hint in _REFUSAL_HINTS if isinstance(exc, kind))
        return EXIT_REFUSED, f'the site refused: "{one_line(exc.msg)}"; {hint}'
    if isinstance(exc, NonceError):
        return EXIT_SITE, (
            f"{message}; the site rejected a freshly read nonce too: a page cache may serve a "
            "stale page; try again later"
        )
    if isinstance(exc, BadReplyError):
        return EXIT_SITE, f"bad reply: {message}; try again, or run 'chatgpt4o doctor {exc.url}'"
    if isinstance(exc, APIStatusError) and exc.status_code >= 500:
        return EXIT_SITE, f"site error: {message}; the site is failing, try again later"
    return EXIT_SITE, f"site error: {message}; run 'chatgpt4o doctor {exc.url}' to see more"


_REFUSAL_HINTS: tuple[tuple[type[PluginError], str], ...] = (
    (ImageTooLargeForSiteError, "send a smaller picture"),
    (ImageRejectedError, "send a JPEG, PNG or WEBP picture"),
    (TokenLimitError, "the site's quota is used up: wait for it to reset"),
    (ContentFlaggedError, "rephrase the message, or ask from another network"),
    (
        AccessDeniedError,
        "the site does not serve guests this way: log in (cookies) or use another site",
    ),
    (UpstreamError, "the site's own model failed: try again later"),
    (PluginError, "this is the site's answer, not a fault of chatgpt4o"),
)


def printable(text: str) -> str:
    """``text`` without the terminal control sequences a hostile site could send (the command
    line prints everything through this; a sequence split between two pieces loses its ESC).

    Example::

        >>> printable("\\x1b]0;pwned\\x07fine\\x1b[2J\\r\\n")
        'fine\\n'
    """
    return _TERMINAL_CONTROLS.sub("", text)


class Output:
    """A stream the command line prints to: cleaned by ``printable()``, flushed at each piece;
    remembers whether a line is open."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.open_line = False

    def write(self, text: str) -> None:
        """Write ``printable(text)`` and flush it at once."""
        text = printable(text)
        if text:
            self.stream.write(text)
            self.stream.flush()
            self.open_line = not text.endswith("\n")

    def end_line(self) -> None:
        """End a line the reply left open."""
        if self.open_line:
            self.write("\n")


def print_reply(
    client: Client,
    args: argparse.Namespace,
    prompt: str,
    out: Output,
    prefix: str = "",
    images: Sequence[ImageInput] = (),
) -> None:
    """Send ``prompt`` (with ``images``) and print the reply, piece by piece unless
    ``--no-stream``."""
    if not args.stream:
        reply = client.create(args.model, prompt, bot_id=args.bot_id, images=list(images))
        out.write(prefix + reply + "\n")
        return
    out.write(prefix)
    with client.stream(args.model, prompt, bot_id=args.bot_id, images=list(images)) as stream:
        for piece in stream:
            out.write(piece)
    out.write("\n")
