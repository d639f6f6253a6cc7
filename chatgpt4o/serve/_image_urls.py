"""Which picture URLs the server may fetch, and where a request names them (pure; no I/O).

Fetching a URL a caller names is how SSRF happens: the caller points the server at the network
behind it (``http://127.0.0.1:6379/``, a cloud's metadata address, an office printer) and reads
or triggers what only the server can reach. So with ``--fetch-image-urls`` the server fetches
only ``http(s)`` URLs without credentials, whose host resolves to public internet addresses
only (every address, in every form that reaches one: an IPv4-mapped, 6to4 or NAT64 IPv6 address
is judged by the IPv4 address it carries), and ``_fetch`` then connects to the address checked
here, never to a second DNS answer.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Callable, Optional, Union
from urllib.parse import urlsplit

from chatgpt4o._exceptions import InvalidImageError

__all__ = [
    "PLACEHOLDER_PICTURE",
    "AddressPolicy",
    "FetchTarget",
    "RemotePicture",
    "address_refusal",
    "fetch_target",
    "pinned_address",
    "remote_pictures",
    "with_picture_urls",
]

IPAddress = Union[ipaddress.IPv4Address, ipaddress.IPv6Address]
AddressPolicy = Callable[[str], Optional[str]]
"""An address in, why it may not be fetched from out (None: it may); ``address_refusal``."""

# IANA's special-purpose blocks that are not the public internet. ``is_global`` covers most,
# but what it says has changed between Python versions (192.0.0.0/24, multicast, fec0::/10),
# so the list is spelled out and both must agree that an address is public.
_NOT_PUBLIC = tuple(
    ipaddress.ip_network(block)
    for block in (
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.0.0.0/24",
        "192.0.2.0/24",
        "192.88.99.0/24",
        "192.168.0.0/16",
        "198.18.0.0/15",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "224.0.0.0/4",
        "240.0.0.0/4",
        "::/8",  # unspecified, loopback, IPv4-compatible and -translated forms
        "100::/64",
        "2001::/23",  # IETF protocols, Teredo among them
        "2001:db8::/32",
        "3fff::/20",
        "5f00::/16",
        "fc00::/7",
        "fe80::/10",
        "fec0::/10",
        "ff00::/8",
    )
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def _kind(ip: IPAddress) -> str:
    for kind, found in (
        ("a loopback", ip.is_loopback),
        ("an unspecified", ip.is_unspecified),
        ("a link-local", ip.is_link_local),
        ("a multicast", ip.is_multicast),
        ("a reserved", ip.is_reserved),
        ("a private", ip.is_private),
    ):
        if found:
            return f"{kind} address"
    return "not a public internet address"


def _carried_ipv4(ip: IPAddress) -> Optional[tuple[ipaddress.IPv4Address, str]]:
    """The IPv4 address an IPv6 address reaches, and the form's name, or None."""
    if not isinstance(ip, ipaddress.IPv6Address):
        return None
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped, "IPv4-mapped"
    if ip.sixtofour is not None:
        return ip.sixtofour, "6to4"
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF), "NAT64"
    return None


def address_refusal(address: str) -> Optional[str]:
    """Why the server must not fetch from ``address``, or None for a public internet address.

    Example::

        >>> address_refusal("::ffff:127.0.0.1")
        '::ffff:127.0.0.1 is 127.0.0.1 (IPv4-mapped), a loopback address'
        >>> address_refusal("93.184.215.14") is None
        True

    Raises:
        ValueError: ``address`` is not an IP address.
    """
    ip = ipaddress.ip_address(address)
    carried = _carried_ipv4(ip)
    if carried is None:
        kind = _not_public(ip)
        return None if kind is None else f"{address} is {kind}"
    inner, form = carried
    kind = _not_public(inner)
    return None if kind is None else f"{address} is {inner} ({form}), {kind}"


def _not_public(ip: IPAddress) -> Optional[str]:
    if ip.is_global and not ip.is_multicast and not any(ip in block for block in _NOT_PUBLIC):
        return None
    return _kind(ip)


@dataclass(frozen=True)
class FetchTarget:
    """Where a picture URL points: its scheme, host (ASCII, no brackets) and port."""

    scheme: str
    host: str
    port: int

    @property
    def host_header(self) -> str:
        """The ``Host`` header (and TLS server name, without the port) the URL's server expects."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return host if self.port == default else f"{host}:{self.port}"


def _refused(field: str, why: str) -> InvalidImageError:
    return InvalidImageError(f"{field}: {why}", field=field)


def fetch_target(url: str, field: str) -> FetchTarget:
    """Check that ``url`` may be fetched (``http(s)``, a host, no user name or password).

    Example::

        fetch_target("https://example.com/cat.png", "messages[0].content[1].image_url.url")
        # FetchTarget(scheme="https", host="example.com", port=443)

    Raises:
        InvalidImageError: the URL may not be fetched, naming ``field`` and saying why.
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise _refused(field, f"not a URL this server can fetch ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise _refused(field, f"only http and https picture URLs are fetched, not {scheme}:")
    if parts.username is not None or parts.password is not None:
        raise _refused(field, "picture URLs with a user name or password are not fetched")
    host = parts.hostname or ""
    if not host:
        raise _refused(field, "the URL has no host")
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError:
        raise _refused(field, f"{host!r} is not a valid host name") from None
    if port is None:
        port = 443 if scheme == "https" else 80
    return FetchTarget(scheme, ascii_host, port)


def pinned_address(
    addresses: Sequence[str], *, host: str, field: str, policy: AddressPolicy = address_refusal
) -> str:
    """The address to connect to (the first), once ``policy`` allows every one of ``addresses``.

    Every address must be allowed, not just the one connected to: a host whose DNS answers
    with both a public and a private address is refused.

    Raises:
        InvalidImageError: no address, or one the policy refuses (naming ``field``).
    """
    if not addresses:
        raise _refused(field, f"{host} has no address")
    for address in addresses:
        try:
            why = policy(address)
        except ValueError:
            why = f"{address!r} is not an IP address"
        if why is not None:
            raise _refused(
                field,
                f"not fetched: {host} resolves to {why}; this server fetches pictures from "
                "public internet addresses only",
            )
    return addresses[0]


@dataclass(frozen=True)
class RemotePicture:
    """An ``image_url`` part whose URL is ``http(s)``, and where it is in the request."""

    message: int
    part: int
    url: str
    field: str


def _image_url(part: object) -> Optional[tuple[str, str]]:
    """An ``image_url`` part's URL and the field naming it, or None when it has none."""
    if not isinstance(part, Mapping) or part.get("type") != "image_url":
        return None
    value = part.get("image_url")
    if isinstance(value, str):
        return value, "image_url"
    if isinstance(value, Mapping) and isinstance(value.get("url"), str):
        return str(value["url"]), "image_url.url"
    return None


def remote_pictures(messages: object) -> list[RemotePicture]:
    """The ``http(s)`` picture URLs in a request's ``messages``, in order.

    Anything malformed is skipped: the request's own checks refuse it, naming it.

    Example::

        remote_pictures([{"role": "user", "content": [
            {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}}]}])
        # [RemotePicture(0, 0, "https://example.com/cat.png",
        #                "messages[0].content[0].image_url.url")]
    """
    found: list[RemotePicture] = []
    if not isinstance(messages, list):
        return found
    for index, message in enumerate(messages):
        content = message.get("content") if isinstance(message, Mapping) else None
        if not isinstance(content, list):
            continue
        for number, part in enumerate(content):
            url = _image_url(part)
            if url is not None and url[0][:8].lower().startswith(("http://", "https://")):
                field = f"messages[{index}].content[{number}].{url[1]}"
                found.append(RemotePicture(index, number, url[0], field))
    return found


def with_picture_urls(messages: list[object], urls: Mapping[tuple[int, int], str]) -> list[object]:
    """``messages`` with the URL of each part at ``(message, part)`` replaced (a copy)."""
    result = list(messages)
    for (index, number), url in urls.items():
        message = result[index]
        assert isinstance(message, Mapping)
        content = list(message["content"])
        part = content[number]
        value = part["image_url"]
        content[number] = {
            **part,
            "image_url": {**value, "url": url} if isinstance(value, Mapping) else url,
        }
        result[index] = {**message, "content": content}
    return result


# A 1x1 PNG: stands in for the fetched pictures while a request is checked before fetching.
PLACEHOLDER_PICTURE = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP4z8DwHwAFAAH/"
    "VscvDQAAAABJRU5ErkJggg=="
)
