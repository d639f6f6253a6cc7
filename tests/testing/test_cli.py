"""``python -m chatgpt4o.testing`` prints the URL first and serves until SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

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
