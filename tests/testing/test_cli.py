"""``python -m chatgpt4o.testing`` prints the URL first and serves until SIGTERM."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import pytest

import chatgpt4o

ROOT = Path(__file__).resolve().parents[2]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


@dataclass
class Served:
    """A ``python -m chatgpt4o.testing`` run: the URL it printed first, then (after SIGTERM)
    its exit status and the rest of its output."""

    url: str = ""
    returncode: Optional[int] = None
    out: str = ""
    err: str = ""


@contextlib.contextmanager
def serve_module(*args: str) -> Iterator[Served]:
    """Run the module with ``args``, read the URL it prints first, stop it with SIGTERM."""
    command = [sys.executable, "-m", "chatgpt4o.testing", *args]
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env()
    ) as proc:
        assert proc.stdout is not None
        served = Served(proc.stdout.readline().strip())
        try:
            yield served
        finally:
            proc.send_signal(signal.SIGTERM)
            served.out, served.err = proc.communicate(timeout=10)
            served.returncode = proc.returncode


def run_module(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "chatgpt4o.testing", *args],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=30,
        check=False,
    )


@pytest.mark.skipif(sys.platform == "win32", reason="uses SIGTERM")
def test_module_prints_url_first_then_serves_until_sigterm() -> None:
    with serve_module("--profile", "1.8.79", "--stream", "--minified") as served:
        assert served.url.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(served.url + "/", timeout=5) as page:
            html = page.read().decode()
        assert " data-openai_stream_nav=1 " in html  # streaming, and minified: unquoted
        assert "\\/wp-admin\\/admin-ajax.php" in html
    assert served.returncode == 0
    assert served.out == ""  # the URL, then nothing more
    assert "AI Power 1.8.79 stand-in" in served.err


@pytest.mark.skipif(sys.platform == "win32", reason="uses SIGTERM")
def test_module_serves_an_aipkit_profile_with_its_options() -> None:
    args = ("--profile", "2.4.71", "--bots", "5,9", "--popup", "--no-refresh-action", "--stream")
    with serve_module(*args, "--api-mode", "chat_completions") as served:
        with urllib.request.urlopen(served.url + "/", timeout=5) as page:
            html = page.read().decode()
        assert html.count('<div class="aipkit_popup_wrapper ') == 2
        assert "aipkit_getChatNonceAction" not in html
        with chatgpt4o.Client(served.url, timeout=5, max_retries=0) as client:
            assert list(client.stream(None, "one two three")) == ["Echo: one", " two three"]
    assert served.returncode == 0
    assert "AI Puffer 2.4.71 stand-in" in served.err
    assert "bots [5, 9]" in served.err
    assert "always streams" in served.err


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        (["--profile", "9.9"], 2, "invalid choice"),
        (["--profile", "1.9.18", "--bots", "5"], 2, "need an AIPKit profile"),
        (["--port", "70000"], 2, "port must be 0 to 65535"),
        (["--port", "-1"], 2, "port must be 0 to 65535"),
        (["--nonce-life", "-5"], 2, "positive number of seconds"),
        (["--ajax-path", "rizq"], 2, "must be a path"),
        (["--ajax-path", "/"], 2, "must be a path"),
        (["--profile", "1.7", "--stream"], 2, "profile 1.7 cannot stream"),
        (["--profile", "2.4.0", "--api-mode", "chat_completions"], 2, "no API mode setting"),
        (["--host", "no-such-host.invalid"], 3, "no such host"),
    ],
)
def test_module_failures_are_one_line(args: list[str], code: int, words: str) -> None:
    result = run_module(*args)
    assert result.returncode == code
    assert words in result.stderr
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_module_reports_a_port_in_use() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        result = run_module("--port", str(taken.getsockname()[1]))
    assert result.returncode == 3
    assert "the port is in use" in result.stderr
    assert "Traceback" not in result.stderr


def test_help_lists_exit_codes_and_defaults() -> None:
    result = run_module("--help")
    assert result.returncode == 0
    assert "exit codes:" in result.stdout
    assert "(default: 127.0.0.1)" in result.stdout
