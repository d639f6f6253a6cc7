"""``chatgpt4o doctor``: every stand-in profile, and the failures it must name."""

from __future__ import annotations

import io
import json
import socket
from typing import Any, Callable

import pytest

from chatgpt4o._cli import main
from chatgpt4o._doctor import version_hints
from chatgpt4o._output import EXIT_BLOCKED, EXIT_NETWORK, EXIT_NO_CHAT, EXIT_REFUSED
from chatgpt4o.testing import PROFILES, LocalSite
from chatgpt4o.testing.pytest_plugin import SiteFactory


def doctor(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["doctor", *args], stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def report(*args: str) -> tuple[int, dict[str, object]]:
    code, out, _ = doctor(*args, "--json")
    data = json.loads(out)
    return code, data


def steps(data: dict[str, object]) -> dict[str, dict[str, object]]:
    items = data["steps"]
    assert isinstance(items, list)
    return {step["name"]: step for step in items}


@pytest.mark.parametrize("profile", list(PROFILES))
def test_every_profile_can_send(chatgpt4o_site_factory: SiteFactory, profile: str) -> None:
    site = chatgpt4o_site_factory(profile)
    code, data = report(site.url, "--send")
    assert code == 0
    assert data["can_send"] is True
    found = steps(data)
    assert list(found) == ["reach", "block", "plugin", "chats", "pictures", "refresh", "send"]
    chats = found["chats"]["data"]
    assert isinstance(chats, dict)
    aipkit = PROFILES[profile].era == "aipkit"
    assert chats["generation"] == ("aipkit" if aipkit else "wpaicg")
    assert chats["chats"][0]["nonce_found"] is True
    assert chats["chats"][0]["bot_id"] == (str(site.bot_id) if aipkit else "0")
    assert chats["streams"] is site.streams
    versions = found["plugin"]["data"]
    assert isinstance(versions, dict)
    assert PROFILES[profile].version in str(versions["versions"])
    refresh = found["refresh"]["data"]
    assert isinstance(refresh, dict)
    assert refresh["exists"] == (PROFILES[profile].refresh_action if aipkit else None)
    assert site.nonce not in json.dumps(data)
    assert all(isinstance(step["seconds"], float) for step in found.values())


def test_plain_text_report(chatgpt4o_site: LocalSite) -> None:
    code, out, err = doctor(chatgpt4o_site.url)
    assert (code, err) == (0, "")
    assert "ok   chats" in out
    assert "Verdict: a message can be sent." in out
    assert chatgpt4o_site.posts == []  # no message without --send


@pytest.mark.parametrize(
    ("profile", "options", "expected", "words"),
    [
        (
            "2.4.71",
            {"bots": (5, 9), "image_upload": (9,)},
            [("5", False, 0), ("9", True, 4)],
            "bot 5 takes none (its page offers no image upload); bot 9 takes up to 4 per message",
        ),
        (
            "2.4.0",
            {"bots": (8,), "image_upload": True},
            [("8", True, 1)],
            "bot 8 takes 1 per message (AI Puffer 2.4.0 reads only the first)",
        ),
        ("1.9.18", {}, [("0", None, 0)], "the old AI Power plugin (1.7-2.2) takes no pictures"),
    ],
    ids=["2.4.71 one bot of two", "2.4.0", "old plugin"],
)
def test_which_bots_take_pictures_and_how_many(
    profile: str, options: dict[str, Any], expected: list[tuple[str, object, int]], words: str
) -> None:
    with LocalSite(profile, **options) as site:
        code, data = report(site.url)
        text = doctor(site.url)[1]

    assert code == 0
    pictures = steps(data)["pictures"]
    assert pictures["ok"] is None
    assert pictures["detail"] == words
    bots = pictures["data"]["bots"]  # type: ignore[index]
    assert [(b["bot_id"], b.get("image_upload"), b["max_images"]) for b in bots] == expected
    assert f"info pictures {words} (" in text


def test_the_refresh_action_missing(chatgpt4o_site_factory: SiteFactory) -> None:
    site = chatgpt4o_site_factory("2.4.71", refresh_action=False)
    code, data = report(site.url)
    assert code == 0
    assert steps(data)["refresh"]["data"] == {"exists": False}


def closed_port_url(site: LocalSite) -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


def page_fault(fault: str) -> Callable[[LocalSite], str]:
    def prepare(site: LocalSite) -> str:
        site.inject(fault, on="page", times=2)  # the JSON report, then the text one
        return site.url

    return prepare


@pytest.mark.parametrize(
    ("prepare", "code", "step", "words"),
    [
        (closed_port_url, EXIT_NETWORK, "reach", ["connection refused"]),
        (page_fault("cloudflare"), EXIT_BLOCKED, "block", ["Cloudflare"]),
        (lambda site: site.url + "/missing", EXIT_NO_CHAT, "reach", ["HTTP 404", "no such page"]),
        (page_fault("html"), EXIT_NO_CHAT, "chats", ["no usable chat"]),
    ],
    ids=["unreachable", "cloudflare", "404", "no chat element"],
)
def test_the_failing_step_is_named_with_its_exit_code(
    chatgpt4o_site: LocalSite,
    prepare: Callable[[LocalSite], str],
    code: int,
    step: str,
    words: list[str],
) -> None:
    url = prepare(chatgpt4o_site)
    result, data = report(url)
    assert result == code
    failed = steps(data)[step]
    assert failed["ok"] is False
    assert all(word in str(failed["detail"]) for word in words)
    assert doctor(url)[1].endswith("Verdict: no message can be sent.\n")


def test_send_fails_when_the_site_refuses(chatgpt4o_site: LocalSite) -> None:
    chatgpt4o_site.inject("banned_word")
    code, data = report(chatgpt4o_site.url, "--send")
    assert code == EXIT_REFUSED
    assert data["can_send"] is False
    assert "the site refused" in str(steps(data)["send"]["detail"])


def test_the_url_may_come_from_base_url_before_or_after(chatgpt4o_site: LocalSite) -> None:
    assert doctor("--base-url", chatgpt4o_site.url)[0] == 0
    out = io.StringIO()  # a global option's value before the command is not the command
    assert main(["--base-url", chatgpt4o_site.url, "doctor"], stdout=out, stderr=out) == 0


def test_version_hints() -> None:
    html = (
        "<meta name='generator' content='WordPress 6.5' />"
        "<link href='/wp-content/plugins/gpt3-ai-content-generator/x.css?ver=1.9.18'>"
        "<script src='/wp-content/plugins/other/y.js?ver=3'></script>"
    )
    assert version_hints(html) == {
        "gpt3-ai-content-generator": ["1.9.18"],
        "generator": ["WordPress 6.5"],
    }
