"""Many cold calls at once on one client: one page fetch, and every reply answers its own request.

Calls that meet a rotated nonce together share one renewal: tests/reliability/test_concurrency.py.
"""

from __future__ import annotations

from ._runner import MakeSite, Runner

# Tasks on one AsyncClient, threads on one Client.
CALLS = {"async": 50, "sync": 16}


def test_concurrent_cold_calls_fetch_the_page_once(runner: Runner, make_site: MakeSite) -> None:
    site = make_site("1.9.18", stream=True)
    # The page answers slowly, so every call arrives while the first fetch is in flight.
    site.inject("slow", on="page", delay=0.2)
    messages = [f"message number {i}" for i in range(CALLS[runner.kind])]

    outcomes = runner.concurrent(site, messages)

    assert outcomes == [f"Echo: {m}" for m in messages]
    assert site.page_fetches == 1
    posts = site.posts
    assert sorted(p.fields["message"] for p in posts) == sorted(messages)
    assert len({p.fields["_wpnonce"] for p in posts}) == 1
    assert len({p.fields["wpaicg_chat_client_id"] for p in posts}) == 1
    assert runner.sleeps == []
