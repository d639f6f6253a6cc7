"""``python -m chatgpt4o.testing`` prints the URL first and serves until SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

import chatgpt4o

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(sys.platform == "win32", reason="uses SIGTERM")
def test_module_prints_url_first_then_serves_until_sigterm() -> None:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    command = [sys.executable, "-m", "chatgpt4o.testing", "--profile", "1.8.79", "--stream"]
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    ) as proc:
        try:
            assert proc.stdout is not None
            url = proc.stdout.readline().strip()
            assert url.startswith("http://127.0.0.1:")
            with urllib.request.urlopen(url + "/", timeout=5) as page:
                html = page.read().decode()
            assert 'data-openai_stream_nav="1"' in html
            assert "\\/wp-admin\\/admin-ajax.php" in html
        finally:
            proc.send_signal(signal.SIGTERM)
            out, err = proc.communicate(timeout=10)
        assert proc.returncode == 0
        assert out == ""
        assert "1.8.79" in err


def test_module_rejects_unknown_profile() -> None:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    result = subprocess.run(
        [sys.executable, "-m", "chatgpt4o.testing", "--profile", "9.9"],
        capture_output=True,
        text=True,
        env=env,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert "invalid choice" in result.stderr


@pytest.mark.skipif(sys.platform == "win32", reason="uses SIGTERM")
def test_module_serves_an_aipkit_profile_with_its_options() -> None:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    command = [
        sys.executable, "-m", "chatgpt4o.testing", "--profile", "2.4.71", "--bots", "5,9",
        "--popup", "--no-refresh-action",
    ]  # fmt: skip
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    ) as proc:
        try:
            assert proc.stdout is not None
            url = proc.stdout.readline().strip()
            with urllib.request.urlopen(url + "/", timeout=5) as page:
                html = page.read().decode()
            assert html.count('<div class="aipkit_popup_wrapper ') == 2
            assert "aipkit_getChatNonceAction" not in html
        finally:
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=10)
        assert proc.returncode == 0
        assert "2.4.71" in err
        assert "bots [5, 9]" in err


def test_module_serves_the_chat_completions_api_mode() -> None:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    command = [
        sys.executable, "-m", "chatgpt4o.testing", "--profile", "2.4.71",
        "--api-mode", "chat_completions",
    ]  # fmt: skip
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    ) as proc:
        try:
            assert proc.stdout is not None
            url = proc.stdout.readline().strip()
            with chatgpt4o.Client(url, timeout=5, max_retries=0) as client:
                pieces = list(client.stream(None, "one two three"))
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.communicate(timeout=10)
        assert proc.returncode == 0
        assert pieces == ["Echo: one", " two three"]


def test_module_refuses_aipkit_options_on_an_old_profile() -> None:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    result = subprocess.run(
        [sys.executable, "-m", "chatgpt4o.testing", "--profile", "1.9.18", "--bots", "5"],
        capture_output=True,
        text=True,
        env=env,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert "need an AIPKit profile" in result.stderr


def run_module(*args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, "-m", "chatgpt4o.testing", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=30,
        check=False,
    )


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
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


@pytest.mark.skipif(sys.platform == "win32", reason="uses SIGTERM")
def test_stream_on_an_always_streaming_profile_is_a_note() -> None:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    command = [sys.executable, "-m", "chatgpt4o.testing", "--profile", "2.4.71", "--stream"]
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    ) as proc:
        try:
            assert proc.stdout is not None
            assert proc.stdout.readline().startswith("http://127.0.0.1:")
        finally:
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=10)
    assert proc.returncode == 0
    assert "always streams" in err
