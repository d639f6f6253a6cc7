"""WordPress nonce algorithm, and how the site's clock, life and key rotation affect nonces."""

from __future__ import annotations

import pytest

from chatgpt4o.testing import LocalSite, create_nonce, verify_nonce

from ._http import chat

KEY = "put your unique phrase here"
NOW = 1_700_000_000.0  # tick = ceil(NOW / 43200) = 39352


def test_create_nonce_matches_hand_computed_hmac_md5() -> None:
    # printf '39352|wpaicg-chatbox|0|' | openssl dgst -md5 -hmac 'put your unique phrase here'
    #   -> b21db53601948ff0d0f0b9afe1f0ff72; characters [-12:-2] -> b9afe1f0ff
    assert create_nonce(KEY, "wpaicg-chatbox", now=NOW) == "b9afe1f0ff"
    assert create_nonce(KEY.encode(), now=NOW) == "b9afe1f0ff"


def test_nonce_is_ten_lowercase_hex_and_depends_on_action_and_user() -> None:
    base = create_nonce(KEY, now=NOW)
    assert len(base) == 10
    assert all(c in "0123456789abcdef" for c in base)
    assert create_nonce(KEY, "wpaicg-img-nonce", now=NOW) != base
    assert create_nonce(KEY, now=NOW, uid=1) != base
    assert create_nonce(KEY, now=NOW, token="session") != base


def test_verify_accepts_current_and_previous_tick_only() -> None:
    nonce = create_nonce(KEY, now=NOW)
    half = 43200.0
    assert verify_nonce(nonce, KEY, now=NOW) == 1
    assert verify_nonce(nonce, KEY, now=NOW + half) == 2
    assert verify_nonce(nonce, KEY, now=NOW + 2 * half) == 0
    assert verify_nonce(nonce, KEY, now=NOW - half) == 0  # not valid before it was made
    assert verify_nonce(nonce, KEY, "wpaicg-img-nonce", now=NOW) == 0
    assert verify_nonce(nonce, "another key", now=NOW) == 0
    assert verify_nonce("", KEY, now=NOW) == 0


def test_life_sets_the_tick_length() -> None:
    nonce = create_nonce(KEY, now=NOW, life=60.0)
    assert verify_nonce(nonce, KEY, now=NOW + 30, life=60.0) == 2
    assert verify_nonce(nonce, KEY, now=NOW + 60, life=60.0) == 0
    with pytest.raises(ValueError, match="positive"):
        create_nonce(KEY, now=NOW, life=0)


def test_site_nonce_is_stable_within_a_tick_and_unique_per_site() -> None:
    clock = lambda: NOW  # noqa: E731
    with LocalSite(clock=clock) as one, LocalSite(clock=clock) as two:
        assert one.nonce == one.nonce
        assert one.nonce != two.nonce  # each site has its own random key
        before = one.nonce
        one.advance_clock(one.nonce_life / 2)
        assert one.nonce != before


def test_nonce_from_the_previous_tick_still_works_then_expires() -> None:
    with LocalSite("1.8.79", clock=lambda: NOW) as site:
        old = site.nonce
        site.advance_clock(site.nonce_life / 2)
        assert chat(site, _wpnonce=old).json()["status"] == "success"
        site.advance_clock(site.nonce_life / 2)
        assert chat(site, _wpnonce=old).json() == {
            "status": "error",
            "msg": "Nonce verification failed",
        }
        assert chat(site).json()["status"] == "success"  # a fresh page's nonce works


def test_rotate_nonce_kills_every_earlier_nonce_at_once() -> None:
    with LocalSite("1.8.79") as site:
        old = site.nonce
        new = site.rotate_nonce()
        assert new == site.nonce != old
        assert chat(site, _wpnonce=old).json()["msg"] == "Nonce verification failed"
        assert chat(site, _wpnonce=new).json()["status"] == "success"


def test_shortening_nonce_life() -> None:
    with LocalSite("1.9.18") as site:
        site.nonce_life = 60.0
        nonce = site.nonce
        assert chat(site, _wpnonce=nonce).status == 200
        site.advance_clock(60.0)
        assert chat(site, _wpnonce=nonce).status == 403
        with pytest.raises(ValueError, match="nonce_life"):
            site.nonce_life = -1
    with pytest.raises(ValueError, match="nonce_life"):
        LocalSite(nonce_life=0)
