"""The pytest fixtures: a default running site, a marker, and a factory that cleans up."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from chatgpt4o.testing import LocalSite
from chatgpt4o.testing.pytest_plugin import SiteFactory

from ._http import cache, chat

ROOT = Path(__file__).resolve().parents[2]


def test_default_site_is_running_1918(chatgpt4o_site: LocalSite) -> None:
    assert chatgpt4o_site.running
    assert chatgpt4o_site.profile.name == "1.9.18"
    assert chatgpt4o_site.url.startswith("http://127.0.0.1:")
    assert chatgpt4o_site.page_fetches == 0
    assert chat(chatgpt4o_site).json()["data"] == "Echo: hi"


@pytest.mark.chatgpt4o_site(profile="1.8.79", stream=True)
def test_marker_configures_the_site(chatgpt4o_site: LocalSite) -> None:
    assert chatgpt4o_site.profile.name == "1.8.79"
    assert chatgpt4o_site.streams


def test_factory_makes_running_sites(chatgpt4o_site_factory: SiteFactory) -> None:
    old = chatgpt4o_site_factory("1.7")
    new = chatgpt4o_site_factory(profile="widget", stream=True, minified=True)
    assert old.running
    assert new.running
    assert old.url != new.url
    assert chat(old).json()["status"] == "success"


@pytest.mark.chatgpt4o_site(profile="2.4.71", guest_limit=0)
def test_marker_takes_aipkit_options(chatgpt4o_site: LocalSite) -> None:
    assert chatgpt4o_site.profile.era == "aipkit"
    assert chatgpt4o_site.guest_limit == 0


def test_factory_makes_aipkit_sites(chatgpt4o_site_factory: SiteFactory) -> None:
    site = chatgpt4o_site_factory("2.4.0", stream=True, bots=(8, 9), popup={9})
    assert site.running
    assert chatgpt4o_site_factory("2.4.71", api_mode="chat_completions").api_mode == (
        "chat_completions"
    )
    assert site.bots == (8, 9)
    assert site.streams
    assert cache(site).status == 200


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
