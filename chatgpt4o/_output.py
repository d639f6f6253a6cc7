"""What the command line prints and the exit codes it returns (a leaf of ``_cli``)."""

from __future__ import annotations

import re
from collections.abc import Container, Sequence
from typing import TYPE_CHECKING, NamedTuple, Optional, TextIO, Union

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


class _Failure(NamedTuple):
    kind: Union[type[BaseException], tuple[type[BaseException], ...]]
    code: int
    line: str  # str.format()ted with the fields describe_failure() lists
    statuses: Container[Optional[int]] = ()  # when given: only these HTTP statuses


_REFUSED = 'the site refused: "{refusal}"; '
_DOCTOR = "run 'chatgpt4o doctor {url}'"

# The first row whose class (and status) matches an error says its exit code and line.
_FAILURES = (
    _Failure(ImagesNotSupportedError, EXIT_NO_CHAT, "no pictures there: {text}; pick a bot that "
             "takes them with --bot-id ('chatgpt4o doctor {url}' lists them)"),
    _Failure((InvalidRequestError, UsageError), EXIT_USAGE, "invalid input: {text}"),
    _Failure(APITimeoutError, EXIT_NETWORK,
             "{text}; the site is slow or unreachable: try a larger --timeout"),
    _Failure(APIConnectionError, EXIT_NETWORK, "network error: {text}; {network_hint}"),
    _Failure(BlockedError, EXIT_BLOCKED, "blocked: {text}"),
    _Failure(RateLimitError, EXIT_BLOCKED, "rate limited: {text}; {wait} and try again"),
    _Failure(EndpointGoneError, EXIT_NO_CHAT, "no chat there: {text}; " + _DOCTOR),
    _Failure(APIStatusError, EXIT_NO_CHAT, "no such page: {url} answered HTTP {status}; check "
             "the URL (--base-url): it must be the page that shows the chat", (404, 410)),
    _Failure(BotNotFoundError, EXIT_NO_CHAT, "no such bot: {text}; pick one of them with --bot-id"),
    _Failure(ChatPageError, EXIT_NO_CHAT, "no chat there: {text}"),
    _Failure(ImageTooLargeForSiteError, EXIT_REFUSED, _REFUSED + "send a smaller picture"),
    _Failure(ImageRejectedError, EXIT_REFUSED, _REFUSED + "send a JPEG, PNG or WEBP picture"),
    _Failure(TokenLimitError, EXIT_REFUSED,
             _REFUSED + "the site's quota is used up: wait for it to reset"),
    _Failure(ContentFlaggedError, EXIT_REFUSED,
             _REFUSED + "rephrase the message, or ask from another network"),
    _Failure(AccessDeniedError, EXIT_REFUSED, _REFUSED + "the site does not serve guests this "
             "way: log in (cookies) or use another site"),
    _Failure(UpstreamError, EXIT_REFUSED,
             _REFUSED + "the site's own model failed: try again later"),
    _Failure(PluginError, EXIT_REFUSED,
             _REFUSED + "this is the site's answer, not a fault of chatgpt4o"),
    _Failure(NonceError, EXIT_SITE, "{text}; the site rejected a freshly read nonce too: a page "
             "cache may serve a stale page; try again later"),
    _Failure(BadReplyError, EXIT_SITE, "bad reply: {text}; try again, or " + _DOCTOR),
    _Failure(APIStatusError, EXIT_SITE,
             "site error: {text}; the site is failing, try again later", range(500, 1000)),
    _Failure(APIError, EXIT_SITE, "site error: {text}; " + _DOCTOR + " to see more"),
    _Failure(BaseException, EXIT_INTERNAL, "internal error: {name}: {text_or_none}; this is a "
             "bug in chatgpt4o, please report it with the output of --verbose"),
)  # fmt: skip


def describe_failure(exc: BaseException) -> tuple[int, str]:
    """The exit code and the one line (cause; what to do) to print for an error.

    Example::

        >>> describe_failure(InvalidRequestError("timeout: expected a number > 0"))
        (2, 'invalid input: timeout: expected a number > 0')
    """
    status = getattr(exc, "status_code", None)
    failure = next(
        row
        for row in _FAILURES
        if isinstance(exc, row.kind) and (not row.statuses or status in row.statuses)
    )
    text = one_line(str(exc))
    retry_after = getattr(exc, "retry_after", None)
    return failure.code, failure.line.format(
        text=text,
        text_or_none=text or "no message",
        name=type(exc).__name__,
        url=getattr(exc, "url", ""),
        status=status,
        refusal=one_line(getattr(exc, "msg", "")),
        wait=f"wait {retry_after:g} s" if retry_after is not None else "wait a while",
        network_hint="check the proxy (--proxy, $CHATGPT4O_PROXY, $HTTPS_PROXY)"
        if "proxy" in text.lower()
        else "check the URL, your network connection and any proxy (--proxy)",
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
