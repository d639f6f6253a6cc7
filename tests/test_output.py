"""What the command line prints: each error's exit code and line; no terminal controls."""

from __future__ import annotations

import pytest

from chatgpt4o._exceptions import (
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
    InvalidImageError,
    InvalidRequestError,
    NonceError,
    PluginError,
    RateLimitError,
    TokenLimitError,
    UpstreamError,
)
from chatgpt4o._output import (
    EXIT_BLOCKED,
    EXIT_INTERNAL,
    EXIT_NETWORK,
    EXIT_NO_CHAT,
    EXIT_REFUSED,
    EXIT_SITE,
    EXIT_USAGE,
    UsageError,
    describe_failure,
    printable,
)

U = "http://site.test/chat"


def refused(kind: type[PluginError]) -> PluginError:
    return kind("Nope.", url=U)


def status(code: int, kind: type[APIStatusError] = APIStatusError) -> APIStatusError:
    return kind(f"HTTP {code}.", url=U, status_code=code)


DOCTOR = f"run 'chatgpt4o doctor {U}'"


@pytest.mark.parametrize(
    ("exc", "code", "line"),
    [
        (ImagesNotSupportedError("the bot takes none.", url=U, bot_id="1", max_images=0),
         EXIT_NO_CHAT, "no pictures there: the bot takes none; pick a bot that takes them with "
         f"--bot-id ('chatgpt4o doctor {U}' lists them)"),
        (InvalidRequestError("timeout:\n bad."), EXIT_USAGE, "invalid input: timeout: bad"),
        (InvalidImageError("--image: no picture", field="--image"), EXIT_USAGE,
         "invalid input: --image: no picture"),
        (UsageError("no prompt"), EXIT_USAGE, "invalid input: no prompt"),
        (APITimeoutError("Timed out.", url=U), EXIT_NETWORK,
         "Timed out; the site is slow or unreachable: try a larger --timeout"),
        (APIConnectionError("Proxy refused.", url=U), EXIT_NETWORK, "network error: Proxy "
         "refused; check the proxy (--proxy, $CHATGPT4O_PROXY, $HTTPS_PROXY)"),
        (APIConnectionError("Refused.", url=U), EXIT_NETWORK, "network error: Refused; "
         "check the URL, your network connection and any proxy (--proxy)"),
        (status(403, BlockedError), EXIT_BLOCKED, "blocked: HTTP 403"),
        (RateLimitError("Slow down.", url=U, status_code=429, retry_after=2.5), EXIT_BLOCKED,
         "rate limited: Slow down; wait 2.5 s and try again"),
        (status(429, RateLimitError), EXIT_BLOCKED,
         "rate limited: HTTP 429; wait a while and try again"),
        (status(404, EndpointGoneError), EXIT_NO_CHAT, f"no chat there: HTTP 404; {DOCTOR}"),
        (status(404), EXIT_NO_CHAT, f"no such page: {U} answered HTTP 404; check the URL "
         "(--base-url): it must be the page that shows the chat"),
        (status(410), EXIT_NO_CHAT, f"no such page: {U} answered HTTP 410; check the URL "
         "(--base-url): it must be the page that shows the chat"),
        (BotNotFoundError("No bot 9.", url=U, bot_id=9, bots=["1"]), EXIT_NO_CHAT,
         "no such bot: No bot 9; pick one of them with --bot-id"),
        (ChatPageError("No nonce.", url=U, missing="nonce"), EXIT_NO_CHAT,
         "no chat there: No nonce"),
        (refused(ImageTooLargeForSiteError), EXIT_REFUSED,
         'the site refused: "Nope"; send a smaller picture'),
        (refused(ImageRejectedError), EXIT_REFUSED,
         'the site refused: "Nope"; send a JPEG, PNG or WEBP picture'),
        (refused(TokenLimitError), EXIT_REFUSED,
         'the site refused: "Nope"; the site\'s quota is used up: wait for it to reset'),
        (refused(ContentFlaggedError), EXIT_REFUSED,
         'the site refused: "Nope"; rephrase the message, or ask from another network'),
        (refused(AccessDeniedError), EXIT_REFUSED, 'the site refused: "Nope"; the site does '
         "not serve guests this way: log in (cookies) or use another site"),
        (refused(UpstreamError), EXIT_REFUSED,
         'the site refused: "Nope"; the site\'s own model failed: try again later'),
        (refused(PluginError), EXIT_REFUSED,
         'the site refused: "Nope"; this is the site\'s answer, not a fault of chatgpt4o'),
        (NonceError("Bad nonce.", url=U), EXIT_SITE, "Bad nonce; the site rejected a freshly "
         "read nonce too: a page cache may serve a stale page; try again later"),
        (BadReplyError("Cut reply.", url=U), EXIT_SITE,
         f"bad reply: Cut reply; try again, or {DOCTOR}"),
        (status(502), EXIT_SITE, "site error: HTTP 502; the site is failing, try again later"),
        (status(400), EXIT_SITE, f"site error: HTTP 400; {DOCTOR} to see more"),
        (APIError("Odd.", url=U), EXIT_SITE, f"site error: Odd; {DOCTOR} to see more"),
        (RuntimeError("boom."), EXIT_INTERNAL, "internal error: RuntimeError: boom; this is "
         "a bug in chatgpt4o, please report it with the output of --verbose"),
        (KeyError(), EXIT_INTERNAL, "internal error: KeyError: no message; this is "
         "a bug in chatgpt4o, please report it with the output of --verbose"),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, BaseException) else "",
)  # fmt: skip
def test_describe_failure(exc: BaseException, code: int, line: str) -> None:
    assert describe_failure(exc) == (code, line)


@pytest.mark.parametrize(
    ("sent", "shown"),
    [
        ("a\x1b[2Jb", "ab"),  # clear the screen
        ("a\x1b[1;31mred\x1b[0m", "ared"),  # colours
        ("\x1b]0;pwned\x07title", "title"),  # window title, BEL-terminated
        ("\x1b]8;;https://evil.example\x1b\\link\x1b]8;;\x1b\\", "link"),  # hyperlink, ST
        ("\x9d0;pwned\x9ctitle", "title"),  # OSC and ST as C1 controls
        ("a\x9b2Jb", "ab"),  # CSI as a C1 control
        ("\x1bP1$qm\x1b\\x", "x"),  # DCS string
        ("a\x1b7b\x1bcc", "abc"),  # other escapes: save cursor, reset
        ("safe\rEVIL", "safeEVIL"),  # carriage return overwrites the line
        ("abc\b\b\bxyz", "abcxyz"),  # backspaces overwrite text
        ("a\x00b\x07c\x7fd\x85e", "abcde"),  # other C0, BEL, DEL, C1
        ("line\r\nnext", "line\nnext"),
        ("tab\tand newline\n kept, é 👋 too", "tab\tand newline\n kept, é 👋 too"),
        ("\x1b]0;never ended", "0;never ended"),  # an unended OSC loses its ESC: plain text
    ],
)
def test_printable(sent: str, shown: str) -> None:
    assert printable(sent) == shown
