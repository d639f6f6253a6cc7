"""The command line against the local stand-in: one-shot, stdin, interactive, demo, errors."""

from __future__ import annotations

import io
import socket
import subprocess
import sys

import pytest

from chatgpt4o import __version__
from chatgpt4o._cli import EXIT_BLOCKED, EXIT_NETWORK, EXIT_SITE, EXIT_USAGE, main
from chatgpt4o.testing import LocalSite


class Terminal(io.StringIO):
    """A stdin that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def run(args: list[str], stdin: str = "", tty: bool = False) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    source = Terminal(stdin) if tty else io.StringIO(stdin)
    code = main(args, stdin=source, stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_one_shot_prompt(chatgpt4o_site: LocalSite) -> None:
    code, out, err = run(["--base-url", chatgpt4o_site.url, "What", "is", "2+2?"])
    assert (code, out, err) == (0, "Echo: What is 2+2?\n", "")


def test_prompt_from_stdin(chatgpt4o_site: LocalSite) -> None:
    code, out, _ = run(["--base-url", chatgpt4o_site.url], stdin="piped question\n")
    assert code == 0
    assert out == "Echo: piped question\n"


def test_interactive_chat_keeps_the_conversation(chatgpt4o_site: LocalSite) -> None:
    code, out, _ = run(["--base-url", chatgpt4o_site.url], stdin="first\nsecond\n\n", tty=True)
    assert code == 0
    assert "ai> Echo: first" in out
    assert chatgpt4o_site.posts[-1].fields["message"] == (
        "User: first\nAssistant: Echo: first\nUser: second\nAssistant:"
    )


def test_demo_runs_offline_and_recovers_from_rotation() -> None:
    code, out, _ = run(["demo"])
    assert code == 0
    assert "ai>  Echo: What is 6 x 7?" in out
    assert "page fetches: 2" in out


@pytest.mark.parametrize("profile", ["1.7", "1.8.79", "widget"])
def test_demo_profiles(profile: str) -> None:
    code, out, _ = run(["demo", "--profile", profile])
    assert code == 0
    assert f"AI Power {profile} site" in out


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def test_network_error_is_one_line_and_exit_3() -> None:
    code, out, err = run(["--base-url", closed_port_url(), "--max-retries", "0", "hi"])
    assert code == EXIT_NETWORK
    assert out == ""
    assert err.startswith("chatgpt4o: network error: Could not reach")
    assert err.count("\n") == 1
    assert "Traceback" not in err


def test_verbose_shows_the_traceback() -> None:
    code, _, err = run(["--base-url", closed_port_url(), "--max-retries", "0", "-v", "hi"])
    assert code == EXIT_NETWORK
    assert "Traceback" in err


def test_blocked_exit_4(chatgpt4o_site: LocalSite) -> None:
    chatgpt4o_site.inject("cloudflare", on="page")
    code, _, err = run(["--base-url", chatgpt4o_site.url, "hi"])
    assert code == EXIT_BLOCKED
    assert "blocked" in err
    assert "Cloudflare" in err


def test_site_error_exit_5() -> None:
    with LocalSite("2.4.71") as site:
        code, _, err = run(["--base-url", site.url, "hi"])
    assert code == EXIT_SITE
    assert "AIPKit" in err


@pytest.mark.parametrize(
    "args",
    [["--timeout", "-1", "hi"], ["--model", "gpt-9", "hi"], ["--max-retries", "many"], []],
)
def test_usage_errors_exit_2(args: list[str]) -> None:
    code, out, err = run(args)
    assert code == EXIT_USAGE
    assert out == ""
    assert err


def test_version() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "chatgpt4o", "--version"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0
    assert result.stdout.strip() == f"chatgpt4o {__version__}"
