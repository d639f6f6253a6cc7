"""Which picture URLs and addresses ``--fetch-image-urls`` may fetch from (pure)."""

from __future__ import annotations

from typing import Optional

import pytest

from chatgpt4o import InvalidImageError
from chatgpt4o.serve._image_urls import (
    FetchTarget,
    RemotePicture,
    address_refusal,
    fetch_target,
    pinned_address,
    remote_pictures,
    with_picture_urls,
)

FIELD = "messages[0].content[1].image_url.url"


# What each refusal is called; "" where Python versions name the block differently (their
# is_private has changed), as long as it is refused.
@pytest.mark.parametrize(
    ("address", "refusal"),
    [
        ("93.184.215.14", None),
        ("8.8.8.8", None),
        ("2606:4700:4700::1111", None),
        ("::ffff:8.8.8.8", None),  # IPv4-mapped public
        ("64:ff9b::808:808", None),  # NAT64 of a public address (DNS64 networks)
        ("2002:808:808::1", None),  # 6to4 of a public address
        ("127.0.0.1", "127.0.0.1 is a loopback address"),
        ("127.255.0.9", "127.255.0.9 is a loopback address"),
        ("::1", "::1 is a loopback address"),
        ("0.0.0.0", "0.0.0.0 is an unspecified address"),
        ("::", ":: is an unspecified address"),
        ("10.1.2.3", "10.1.2.3 is a private address"),
        ("172.16.0.1", "172.16.0.1 is a private address"),
        ("192.168.1.1", "192.168.1.1 is a private address"),
        ("fd00:ec2::254", "fd00:ec2::254 is a private address"),
        ("169.254.169.254", "169.254.169.254 is a link-local address"),  # cloud metadata
        ("fe80::1", "fe80::1 is a link-local address"),
        ("fe80::1%eth0", "fe80::1%eth0 is a link-local address"),
        ("224.0.0.1", "224.0.0.1 is a multicast address"),
        ("ff0e::1", "ff0e::1 is a multicast address"),
        ("240.0.0.1", "240.0.0.1 is a reserved address"),
        ("255.255.255.255", ""),
        ("100.64.0.1", ""),  # carrier-grade NAT
        ("192.0.0.8", ""),  # IETF protocol assignments
        ("198.18.0.1", ""),  # benchmarking
        ("192.0.2.1", ""),  # documentation
        ("fec0::1", ""),  # deprecated site-local
        ("2001:db8::1", ""),  # documentation
        ("2001::1", ""),  # Teredo
        ("::127.0.0.1", ""),  # IPv4-compatible (deprecated)
        ("::ffff:0:127.0.0.1", ""),  # IPv4-translated
        ("64:ff9b:1::a00:1", ""),  # local-use NAT64
        ("::ffff:127.0.0.1", "::ffff:127.0.0.1 is 127.0.0.1 (IPv4-mapped), a loopback address"),
        ("::ffff:10.0.0.1", "::ffff:10.0.0.1 is 10.0.0.1 (IPv4-mapped), a private address"),
        (
            "::ffff:169.254.169.254",
            "::ffff:169.254.169.254 is 169.254.169.254 (IPv4-mapped), a link-local address",
        ),
        ("2002:7f00:1::", "2002:7f00:1:: is 127.0.0.1 (6to4), a loopback address"),
        ("2002:a9fe:a9fe::1", "2002:a9fe:a9fe::1 is 169.254.169.254 (6to4), a link-local address"),
        ("64:ff9b::7f00:1", "64:ff9b::7f00:1 is 127.0.0.1 (NAT64), a loopback address"),
        ("64:ff9b::a00:1", "64:ff9b::a00:1 is 10.0.0.1 (NAT64), a private address"),
    ],
)
def test_only_public_internet_addresses_are_fetched_from(
    address: str, refusal: Optional[str]
) -> None:
    found = address_refusal(address)
    if refusal is None:
        assert found is None
    else:
        assert found is not None
        assert found.startswith(f"{address} is ")
        assert refusal in found


def test_a_host_is_refused_when_any_of_its_addresses_is_not_public() -> None:
    assert pinned_address(["8.8.8.8", "8.8.4.4"], host="a.test", field=FIELD) == "8.8.8.8"
    with pytest.raises(InvalidImageError) as caught:
        pinned_address(["8.8.8.8", "10.0.0.7"], host="a.test", field=FIELD)
    assert caught.value.field == FIELD
    assert str(caught.value) == (
        f"{FIELD}: not fetched: a.test resolves to 10.0.0.7 is a private address; this server "
        "fetches pictures from public internet addresses only"
    )
    with pytest.raises(InvalidImageError, match=r"a\.test has no address"):
        pinned_address([], host="a.test", field=FIELD)


@pytest.mark.parametrize(
    ("url", "target"),
    [
        ("https://example.com/cat.png", FetchTarget("https", "example.com", 443)),
        ("HTTP://Example.COM:8080/a?b=c#d", FetchTarget("http", "example.com", 8080)),
        ("https://[2606:4700::1111]/x", FetchTarget("https", "2606:4700::1111", 443)),
        ("https://bücher.example/x", FetchTarget("https", "xn--bcher-kva.example", 443)),
        ("http://example.com:0/x", FetchTarget("http", "example.com", 0)),
    ],
)
def test_an_http_url_is_a_fetch_target(url: str, target: FetchTarget) -> None:
    assert fetch_target(url, FIELD) == target


def test_the_host_header_carries_a_port_only_when_it_is_not_the_default() -> None:
    assert FetchTarget("https", "example.com", 443).host_header == "example.com"
    assert FetchTarget("http", "example.com", 8080).host_header == "example.com:8080"
    assert FetchTarget("http", "::1", 80).host_header == "[::1]"


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("ftp://example.com/cat.png", "only http and https picture URLs are fetched, not ftp:"),
        ("file:///etc/passwd", "only http and https picture URLs are fetched, not file:"),
        ("https://user:pw@example.com/", "picture URLs with a user name or password"),
        ("https://user@example.com/", "picture URLs with a user name or password"),
        ("https:///cat.png", "the URL has no host"),
        ("https://example.com:99999/", "not a URL this server can fetch"),
    ],
)
def test_other_urls_are_refused_naming_the_field(url: str, why: str) -> None:
    with pytest.raises(InvalidImageError) as caught:
        fetch_target(url, FIELD)
    assert caught.value.field == FIELD
    assert str(caught.value).startswith(f"{FIELD}: {why}")


def test_remote_pictures_are_found_where_they_are_and_replaced_in_a_copy() -> None:
    messages: list[object] = [
        {"role": "system", "content": "Be brief"},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "Compare"},
                {"type": "image_url", "image_url": {"url": "https://a.test/1", "detail": "low"}},
                {"type": "image_url", "image_url": "HTTP://b.test/2.png"},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
                {"type": "image_url", "image_url": {}},
            ],
        },
    ]
    found = remote_pictures(messages)
    assert found == [
        RemotePicture(1, 1, "https://a.test/1", "messages[1].content[1].image_url.url"),
        RemotePicture(1, 2, "HTTP://b.test/2.png", "messages[1].content[2].image_url"),
    ]
    replaced = with_picture_urls(messages, {(1, 1): "data:one", (1, 2): "data:two"})
    content = replaced[1]["content"]  # type: ignore[index]
    assert content[1] == {"type": "image_url", "image_url": {"url": "data:one", "detail": "low"}}
    assert content[2] == {"type": "image_url", "image_url": "data:two"}
    assert content[3:] == messages[1]["content"][3:]  # type: ignore[index]
    assert remote_pictures(messages) == found  # the request itself is untouched


@pytest.mark.parametrize("messages", ["hi", None, [{"role": "user", "content": "hi"}], [3]])
def test_requests_without_remote_pictures_have_none(messages: object) -> None:
    assert remote_pictures(messages) == []
