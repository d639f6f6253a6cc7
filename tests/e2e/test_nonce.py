"""Rejected nonces: rotated keys, nonces past their life, page caches serving stale ones."""

from __future__ import annotations

from typing import Callable

import pytest

from chatgpt4o.testing import LocalSite
from tests.sites import SITE_IDS, SITES

from ._runner import MakeSite, Runner, expire_nonce, page_gets, rotate_nonce

# Every era that speaks the wpaicg protocol (tests/sites.py), with its nonce failure: 1.7 a long
# JSON text, 1.8.79 "Nonce verification failed" (also with streaming on), 1.9.18 and the widget
# a 403 page. A rotated key and a nonce past its life are the same rejection to a client.
REJECTIONS = [(profile, stream, rotate_nonce) for profile, stream in SITES]
REJECTIONS.append(("1.9.18", False, expire_nonce))
REJECTION_IDS = [*(f"rotated-{site}" for site in SITE_IDS), "expired-1.9.18-json"]


@pytest.mark.parametrize(("profile", "stream", "invalidate"), REJECTIONS, ids=REJECTION_IDS)
def test_rejected_nonce_is_re_scraped_once(
    runner: Runner,
    make_site: MakeSite,
    profile: str,
    stream: bool,
    invalidate: Callable[[LocalSite], None],
) -> None:
    site = make_site(profile, stream=stream)

    # The renewal is not a retry: it happens with no retries allowed.
    outcomes = runner.run(site, "one", invalidate, "two", "three", max_retries=0)

    assert outcomes == ["Echo: one", "Echo: two", "Echo: three"]
    assert site.page_fetches == 2
    posts = site.posts
    assert len(posts) == 4  # one, two (rejected), two again, three
    old, new = posts[0].fields["_wpnonce"], site.nonce
    assert old != new
    assert [p.fields["_wpnonce"] for p in posts] == [old, old, new, new]
    assert [p.fields["message"] for p in posts] == ["one", "two", "two", "three"]
    assert sum(runner.sleeps) == 0  # a nonce refresh does not back off
    first, second = page_gets(site)
    assert "nocache" not in first.query
    assert second.query.get("nocache", "").isdigit()


def test_stale_cached_page_is_fetched_again_past_the_cache(
    runner: Runner, make_site: MakeSite
) -> None:
    site = make_site("1.9.18")
    site.inject("stale_page")

    assert runner.one(site, "hello") == "Echo: hello"

    assert site.page_fetches == 2
    stale, fresh = (p.fields["_wpnonce"] for p in site.posts)
    assert stale != fresh == site.nonce
    first, second = page_gets(site)
    assert "nocache" not in first.query
    # The cache-busting query reached the site.
    assert second.query.get("nocache", "").isdigit()
    assert sum(runner.sleeps) == 0
