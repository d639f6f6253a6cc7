"""DiskNonceCache: tokens outlive the process, for their age only, and a bad file is ignored."""

from __future__ import annotations

import base64
import json
import logging
import os
import stat
import sys
from pathlib import Path
from typing import Callable

import pytest

import chatgpt4o
from chatgpt4o import DiskNonceCache, NonceCacheState
from chatgpt4o._disk_cache import cache_dir, site_key
from chatgpt4o.testing import LocalSite
from chatgpt4o.testing.pytest_plugin import SiteFactory


class Clock:
    """Wall-clock seconds a test moves by hand."""

    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def ask(site: LocalSite, cache: chatgpt4o.NonceCache, text: str = "Hi") -> str:
    with chatgpt4o.Client(site.url, nonce_cache=cache) as client:
        return client.ask(text)


@pytest.mark.parametrize("profile", ["1.7", "1.9.18", "2.4.71"])
def test_a_second_process_skips_the_page_fetch(
    tmp_path: Path, clock: Clock, chatgpt4o_site_factory: SiteFactory,
    profile: str,
) -> None:  # fmt: skip
    site = chatgpt4o_site_factory(profile)
    path = tmp_path / "tokens.json"
    assert ask(site, DiskNonceCache(site.url, path, clock=clock)) == "Echo: Hi"
    first = len(site.requests)
    assert ask(site, DiskNonceCache(site.url, path, clock=clock), "Again") == "Echo: Again"
    assert len(site.requests) - first == first - 1
    assert site.page_fetches == 1


def test_the_file_is_private_json_without_cookies(
    tmp_path: Path, clock: Clock, chatgpt4o_site: LocalSite
) -> None:
    path = tmp_path / "sub" / "tokens.json"
    cache = DiskNonceCache(chatgpt4o_site.url, path, clock=clock)
    with chatgpt4o.Client(
        chatgpt4o_site.url, nonce_cache=cache, cookies={"wp_login": "secret"}
    ) as c:
        c.ask("Hi")
    if sys.platform != "win32":
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text()
    assert "secret" not in text
    data = json.loads(text)
    assert data["site"] == site_key(chatgpt4o_site.url)
    assert data["page"]["chats"][0]["nonce"] == chatgpt4o_site.nonce
    assert data["fetched_at"] == clock.now


def test_a_cached_page_expires_by_wall_clock(
    tmp_path: Path, clock: Clock, chatgpt4o_site: LocalSite
) -> None:
    path = tmp_path / "tokens.json"
    ask(chatgpt4o_site, DiskNonceCache(chatgpt4o_site.url, path, clock=clock, max_age=60))
    clock.now += 61
    assert DiskNonceCache(chatgpt4o_site.url, path, clock=clock, max_age=60).fresh() is None
    clock.now -= 3600  # a clock set back proves nothing
    assert DiskNonceCache(chatgpt4o_site.url, path, clock=clock, max_age=60).fresh() is None


@pytest.mark.parametrize(("profile", "pages", "refreshes"), [("1.9.18", 2, 0), ("2.4.71", 1, 1)])
def test_a_rejected_cached_nonce_is_renewed_and_written(
    tmp_path: Path, clock: Clock, chatgpt4o_site_factory: SiteFactory,
    profile: str, pages: int, refreshes: int,
) -> None:  # fmt: skip
    # The old plugin reads the page again; the current one asks its refresh action.
    site = chatgpt4o_site_factory(profile)
    path = tmp_path / "tokens.json"
    ask(site, DiskNonceCache(site.url, path, clock=clock))
    site.rotate_nonce()
    assert ask(site, DiskNonceCache(site.url, path, clock=clock)) == "Echo: Hi"
    assert (site.page_fetches, len(site.nonce_refreshes)) == (pages, refreshes)
    assert json.loads(path.read_text())["page"]["chats"][0]["nonce"] == site.nonce


@pytest.mark.parametrize(
    "content",
    [
        b"not json",
        b"\xff\xfe",
        b'{"format": 1}',
        b'{"format": 99}',
        b"[]",
        json.dumps(
            {"format": 1, "site": "x", "fetched_at": 0, "rejected": False,
             "refresh_supported": True, "page": {"url": "x", "chats": []}}
        ).encode(),
    ],
)  # fmt: skip
def test_a_corrupt_file_is_ignored_with_a_debug_log(
    tmp_path: Path, content: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "tokens.json"
    path.write_bytes(content)
    with caplog.at_level(logging.DEBUG, logger="chatgpt4o"):
        cache = DiskNonceCache("https://example.com", path)
    assert cache.fresh() is None
    assert "ignored" in caplog.text


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("streams", "yes"),
        ("image_upload", "yes"),
        ("image_upload", 1),
        ("image_upload", None),
        ("plugin_version", 2.4),
        ("plugin_version", ["2.4.71"]),
    ],
)
def test_a_file_of_another_site_or_with_bad_chats_is_ignored(
    tmp_path: Path, clock: Clock, chatgpt4o_site: LocalSite, name: str, value: object
) -> None:
    path = tmp_path / "tokens.json"
    ask(chatgpt4o_site, DiskNonceCache(chatgpt4o_site.url, path, clock=clock))
    assert DiskNonceCache("https://other.example", path, clock=clock).fresh() is None
    data = json.loads(path.read_text())
    data["page"]["chats"][0][name] = value
    path.write_text(json.dumps(data))
    assert DiskNonceCache(chatgpt4o_site.url, path, clock=clock).fresh() is None


def test_a_file_from_before_pictures_costs_one_page_fetch_never_an_error(
    tmp_path: Path, clock: Clock
) -> None:
    png = base64.b64decode(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP4z8DwHwAFAAH/VscvDQAAAABJRU5ErkJggg=="
    )
    path = tmp_path / "tokens.json"
    with LocalSite("2.4.71", image_upload=True) as site:
        ask(site, DiskNonceCache(site.url, path, clock=clock))
        data = json.loads(path.read_text())
        for chat in data["page"]["chats"]:  # as chatgpt4o wrote it before pictures
            del chat["image_upload"], chat["plugin_version"]
        path.write_text(json.dumps(data))

        with chatgpt4o.Client(
            site.url, nonce_cache=DiskNonceCache(site.url, path, clock=clock)
        ) as client:
            reply = client.ask("What is it?", images=png)

        assert site.page_fetches == 2
    assert reply.startswith("Echo: What is it? [images: image/png 70 bytes")
    chat = json.loads(path.read_text())["page"]["chats"][0]
    assert (chat["image_upload"], chat["plugin_version"]) == (True, "2.4.71")


@pytest.mark.skipif(sys.platform == "win32" or os.geteuid() == 0, reason="root reads anything")
def test_an_unreadable_file_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    path.write_text("{}")
    path.chmod(0)
    assert DiskNonceCache("https://example.com", path).fresh() is None


def test_an_unwritable_directory_does_not_fail_the_call(
    tmp_path: Path, chatgpt4o_site: LocalSite
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    cache = DiskNonceCache(chatgpt4o_site.url, blocker / "tokens.json")
    assert ask(chatgpt4o_site, cache) == "Echo: Hi"


def test_clear_forgets(tmp_path: Path, clock: Clock, chatgpt4o_site: LocalSite) -> None:
    path = tmp_path / "tokens.json"
    cache = DiskNonceCache(chatgpt4o_site.url, path, clock=clock)
    ask(chatgpt4o_site, cache)
    cache.refresh_unsupported()
    cache.clear()
    assert not path.exists()
    assert cache.fresh() is None
    assert cache.state() is None
    assert cache.refresh_supported
    assert DiskNonceCache(chatgpt4o_site.url, path, clock=clock).state() is None
    cache.clear()  # no file: nothing to unlink
    assert not path.exists()


def test_the_file_holds_the_state_a_new_cache_restores(
    tmp_path: Path, clock: Clock, chatgpt4o_site: LocalSite
) -> None:
    path = tmp_path / "tokens.json"
    cache = DiskNonceCache(chatgpt4o_site.url, path, clock=clock)
    ask(chatgpt4o_site, cache)
    page = cache.fresh()
    assert page is not None
    cache.reject(page)
    cache.refresh_unsupported()
    state = cache.state()
    assert state == NonceCacheState(page, clock.now, rejected=True, refresh_supported=False)
    data = json.loads(path.read_text())
    assert (data["fetched_at"], data["rejected"], data["refresh_supported"]) == (
        clock.now,
        True,
        False,
    )
    assert DiskNonceCache(chatgpt4o_site.url, path, clock=clock).state() == state


def test_restore_does_not_write_the_file_and_persist_does(
    tmp_path: Path, clock: Clock, chatgpt4o_site: LocalSite
) -> None:
    source = DiskNonceCache(chatgpt4o_site.url, tmp_path / "a.json", clock=clock)
    ask(chatgpt4o_site, source)
    state = source.state()
    assert state is not None
    path = tmp_path / "b.json"
    cache = DiskNonceCache(chatgpt4o_site.url, path, clock=clock)
    cache.restore(state)
    assert not path.exists()
    assert cache.fresh() == state.page
    cache.persist(None)  # no tokens: nothing to write
    assert not path.exists()
    cache.persist(cache.state())
    if sys.platform != "win32":
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert DiskNonceCache(chatgpt4o_site.url, path, clock=clock).state() == state


def test_default_path_follows_the_platform(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    home = Path.home()
    assert cache_dir({}, "linux") == home / ".cache" / "chatgpt4o"
    assert cache_dir({"XDG_CACHE_HOME": "relative"}, "linux") == home / ".cache" / "chatgpt4o"
    assert cache_dir({}, "darwin") == home / "Library" / "Caches" / "chatgpt4o"
    assert cache_dir({"LOCALAPPDATA": r"C:\Users\a\AppData\Local"}, "win32").parts[-2:] == (
        "chatgpt4o",
        "Cache",
    )
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    first = DiskNonceCache("https://a.example")
    assert first.path.parent == (
        tmp_path / "chatgpt4o" if sys.platform.startswith("linux") else first.path.parent
    )
    assert DiskNonceCache("https://A.example/").path == first.path
    assert DiskNonceCache("https://b.example").path != first.path


# --- a file someone else may have written (issue 21) ------------------------------------------

POSIX = pytest.mark.skipif(sys.platform == "win32", reason="POSIX owners, modes, FIFOs")


def to_foreign_host(path: Path, foreign: LocalSite) -> None:
    data = json.loads(path.read_text())
    for chat in data["page"]["chats"]:
        chat["ajax_url"] = foreign.ajax_url
    path.write_text(json.dumps(data))


def page_on_foreign_host(path: Path, foreign: LocalSite) -> None:
    data = json.loads(path.read_text())
    data["page"]["url"] = foreign.url + "/"
    for chat in data["page"]["chats"]:
        chat["ajax_url"] = foreign.ajax_url
    path.write_text(json.dumps(data))


def in_a_directory_others_can_write(path: Path, foreign: LocalSite) -> None:
    path.parent.chmod(0o777)


def writable_by_the_group(path: Path, foreign: LocalSite) -> None:
    path.chmod(0o620)


def owned_by_another_user(path: Path, foreign: LocalSite) -> None:
    os.chown(path, 4242, -1)


def in_a_directory_of_another_user(path: Path, foreign: LocalSite) -> None:
    os.chown(path.parent, 4242, -1)


def symlink_to_dev_zero(path: Path, foreign: LocalSite) -> None:
    path.unlink()
    path.symlink_to("/dev/zero")


def a_fifo(path: Path, foreign: LocalSite) -> None:
    path.unlink()
    os.mkfifo(path)


def deeply_nested_json(path: Path, foreign: LocalSite) -> None:
    path.write_text("[" * 50_000 + "]" * 50_000)


def padded_past_the_size_cap(path: Path, foreign: LocalSite) -> None:
    path.write_text(path.read_text() + " " * (64 * 1024))


ROOT = sys.platform != "win32" and os.geteuid() == 0
HOSTILE = [
    to_foreign_host,
    page_on_foreign_host,
    deeply_nested_json,
    padded_past_the_size_cap,
    pytest.param(in_a_directory_others_can_write, marks=POSIX),
    pytest.param(writable_by_the_group, marks=POSIX),
    pytest.param(symlink_to_dev_zero, marks=POSIX),
    pytest.param(a_fifo, marks=POSIX),
    *(
        pytest.param(change, marks=pytest.mark.skipif(not ROOT, reason="chown needs root"))
        for change in (owned_by_another_user, in_a_directory_of_another_user)
    ),
]


@pytest.mark.parametrize("hostile", HOSTILE)
@pytest.mark.parametrize("profile", ["1.9.18", "2.4.71"])
def test_a_file_someone_else_may_have_written_costs_one_page_fetch(
    tmp_path: Path,
    clock: Clock,
    chatgpt4o_site_factory: SiteFactory,
    profile: str,
    hostile: Callable[[Path, LocalSite], None],
) -> None:
    site, foreign = chatgpt4o_site_factory(profile), chatgpt4o_site_factory(profile)
    directory = tmp_path / "cache"
    directory.mkdir(mode=0o700)
    path = directory / "tokens.json"
    ask(site, DiskNonceCache(site.url, path, clock=clock))
    hostile(path, foreign)

    assert ask(site, DiskNonceCache(site.url, path, clock=clock), "Again") == "Echo: Again"
    assert site.page_fetches == 2, "the file was ignored: the page was read again"
    assert foreign.requests == []
