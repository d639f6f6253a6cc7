"""The pytest plugin stops every site it made (its use by a test suite: tests/e2e)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


INNER = """
import threading

made = []


def test_make(chatgpt4o_site_factory, chatgpt4o_site):
    made.append(chatgpt4o_site_factory("1.7"))
    made.append(chatgpt4o_site_factory("widget", stream=True))
    made.append(chatgpt4o_site)
    assert all(site.running for site in made)


def test_all_stopped_after_teardown():
    assert len(made) == 3
    assert not any(site.running for site in made)
    names = [t.name for t in threading.enumerate()]
    assert not any(name.startswith("chatgpt4o-local-site") for name in names)
"""


def test_plugin_stops_every_site_at_teardown(tmp_path: Path) -> None:
    (tmp_path / "test_inner.py").write_text(INNER, encoding="utf-8")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"  # load the plugin once, by -p
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-W",
            "error",
            "-p",
            "no:cacheprovider",
            "-p",
            "chatgpt4o.testing.pytest_plugin",
            str(tmp_path / "test_inner.py"),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout
