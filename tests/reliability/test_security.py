"""Security: TLS verified unless turned off explicitly, secrets out of logs, reprs and errors,
cookies kept to the host they were given for."""

from __future__ import annotations

import asyncio
import base64
import logging
import shutil
import socket
import ssl
import subprocess
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Optional

import certifi
import pytest

import chatgpt4o
from chatgpt4o import APIConnectionError, NonceError
from chatgpt4o._page import extract_page
from chatgpt4o.testing import LocalSite, RecordedRequest
from tests.reliability._servers import Exchange, TinySite, chat_page, success

KINDS = ["sync", "async"]
PASSWORD = "pr0xy-s3cret"
COOKIE = "c00kie-s3cret"
AJAX = "/wp-admin/admin-ajax.php"


def nonce_of(request: RecordedRequest) -> str:
    """The nonce a request carried, on either protocol ("" for one that carries none)."""
    fields = {**request.query, **request.fields}
    return fields.get("_wpnonce") or fields.get("_ajax_nonce") or ""


def ask(kind: str, url: str, message: str = "hello", **kwargs: Any) -> str:
    """One call on a fresh client of ``kind``; errors propagate."""
    if kind == "sync":
        with chatgpt4o.Client(url, **kwargs) as client:
            return client.ask(message)

    async def main() -> str:
        async with chatgpt4o.AsyncClient(url, **kwargs) as client:
            return await client.ask(message)

    return asyncio.run(main())


def chain(exc: BaseException) -> str:
    """The str and repr of an exception and of every cause and context behind it."""
    texts: list[str] = []
    seen: Optional[BaseException] = exc
    while seen is not None and len(texts) < 40:
        texts += [str(seen), repr(seen)]
        seen = seen.__cause__ or seen.__context__
    return "\n".join(texts)


@pytest.fixture
def no_env_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the proxies the tests pass explicitly."""
    for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy", "CHATGPT4O_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)


@pytest.fixture(scope="module", params=["1.9.18", "2.4.71"])
def site(request: pytest.FixtureRequest) -> Iterator[LocalSite]:
    with LocalSite(request.param) as running:
        yield running


@pytest.fixture
def fresh(site: LocalSite) -> LocalSite:
    site.clear_faults()
    site.clear_log()
    return site


# -- TLS -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TinySite]:
    """An HTTPS chat site with a self-signed certificate for 127.0.0.1."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("needs the openssl command to make a self-signed certificate")
    folder: Path = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    routes = {
        "/": lambda ex: ex.reply(200, chat_page(), [("content-type", "text/html")]),
        AJAX: lambda ex: ex.reply(200, success("Echo: hello"), [("content-type", "text/json")]),
    }
    with TinySite(routes, tls=context) as server:
        yield server


def test_verification_is_on_by_default() -> None:
    with chatgpt4o.Client("https://127.0.0.1:1") as client:
        assert client.settings.verify is True
        assert client._http.verify is True  # the requests session it made
        assert client.with_options(timeout=5).settings.verify is True
    assert chatgpt4o.AsyncClient("https://127.0.0.1:1").settings.verify is True


@pytest.mark.parametrize("kind", KINDS)
def test_a_self_signed_site_is_refused_by_default(
    tls_server: TinySite, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    # Variables that turn verification off in some tools must not turn it off here.
    for name, value in {
        "CURL_CA_BUNDLE": "",
        "REQUESTS_CA_BUNDLE": "",
        "PYTHONHTTPSVERIFY": "0",
        "CHATGPT4O_VERIFY": "0",
    }.items():
        monkeypatch.setenv(name, value)
    before = len(tls_server.requests)

    with pytest.raises(APIConnectionError) as caught:
        ask(kind, tls_server.url, max_retries=0, timeout=5)

    assert "certificate" in chain(caught.value).lower()
    assert len(tls_server.requests) == before  # nothing got past the handshake


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
@pytest.mark.parametrize("bundle_variable", [False, True], ids=["no CA variable", "CA variable"])
@pytest.mark.parametrize("kind", KINDS)
def test_verification_can_be_turned_off_explicitly(
    tls_server: TinySite, monkeypatch: pytest.MonkeyPatch, kind: str, bundle_variable: bool
) -> None:
    # REQUESTS_CA_BUNDLE names a CA bundle (conda, Nix and corporate machines set it); it says
    # which CAs to trust when verifying, not whether to verify.
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
    if bundle_variable:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", certifi.where())
    before = len(tls_server.requests)

    assert ask(kind, tls_server.url, verify=False, timeout=5) == "Echo: hello"
    assert [r.path for r in tls_server.requests[before:]] == ["/", AJAX]


# -- secrets in logs, reprs and errors -------------------------------------------------------


def proxy_through(site: LocalSite) -> str:
    """The site itself as the HTTP proxy (it serves absolute-form request lines as usual)."""
    return f"http://user:{PASSWORD}@127.0.0.1:{site.url.rsplit(':', 1)[1]}"


def secrets_in(text: str, nonces: list[str]) -> list[str]:
    basic = base64.b64encode(f"user:{PASSWORD}".encode()).decode()
    return [s for s in (PASSWORD, basic, COOKIE, *nonces) if s and s in text]


def log_text(records: list[logging.LogRecord]) -> str:
    return "\n".join(
        f"{r.getMessage()} {r.exc_text or ''} {r.args!r}"
        for r in records
        if r.name.startswith("chatgpt4o")
    )


@pytest.mark.usefixtures("no_env_proxies")
@pytest.mark.parametrize("kind", KINDS)
def test_a_successful_call_logs_no_secret(
    fresh: LocalSite, caplog: pytest.LogCaptureFixture, kind: str
) -> None:
    caplog.set_level(logging.DEBUG, logger="chatgpt4o")

    reply = ask(kind, fresh.url, proxy=proxy_through(fresh), cookies={"session": COOKIE},
                verify=False, timeout=5)  # fmt: skip

    assert reply == "Echo: hello"
    # The secrets were in play: the proxy credentials, the cookie and the nonce were sent.
    posts = fresh.posts
    assert posts
    assert all("proxy-authorization" in r.headers for r in fresh.requests)
    assert all(r.cookies.get("session") == COOKIE for r in fresh.requests)
    assert len(caplog.records) >= 4  # requests and statuses at DEBUG
    assert secrets_in(log_text(caplog.records), [nonce_of(p) for p in posts]) == []


@pytest.mark.usefixtures("no_env_proxies")
@pytest.mark.parametrize("kind", KINDS)
def test_a_failing_call_logs_and_raises_no_secret(
    fresh: LocalSite, caplog: pytest.LogCaptureFixture, kind: str
) -> None:
    caplog.set_level(logging.DEBUG, logger="chatgpt4o")
    fresh.inject("rate_limit", retry_after="0")  # a retry, logged with its error
    if fresh.profile.era == "aipkit":  # then nonces rejected twice: renewed by the refresh action
        fresh.inject("nonce_expired", times=2, on="cache")
    else:  # ... or by reading the page again
        fresh.inject("stale_page", times=2)

    with pytest.raises(NonceError) as caught:
        ask(kind, fresh.url, proxy=proxy_through(fresh), cookies={"session": COOKIE},
            verify=False, timeout=5)  # fmt: skip

    nonces = [nonce_of(p) for p in fresh.posts if nonce_of(p)]
    assert len(nonces) == 3
    assert any(r.levelno == logging.INFO and "Retrying" in r.getMessage() for r in caplog.records)
    assert secrets_in(log_text(caplog.records), nonces) == []
    assert secrets_in(chain(caught.value), nonces) == []


@pytest.mark.usefixtures("no_env_proxies")
@pytest.mark.parametrize("kind", KINDS)
def test_an_unreachable_proxy_error_hides_its_password(
    caplog: pytest.LogCaptureFixture, kind: str
) -> None:
    caplog.set_level(logging.DEBUG, logger="chatgpt4o")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead = probe.getsockname()[1]  # closed again below: connections are refused

    proxy = f"http://user:{PASSWORD}@127.0.0.1:{dead}"
    with pytest.raises(APIConnectionError) as caught:
        ask(kind, "http://127.0.0.1:9", proxy=proxy, max_retries=1, timeout=5)

    assert secrets_in(chain(caught.value), []) == []
    assert secrets_in(log_text(caplog.records), []) == []


@pytest.mark.parametrize("kind", KINDS)
def test_an_explicit_proxy_beats_the_proxy_variables(
    fresh: LocalSite, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    # README: an explicit argument beats the environment.
    for name in ("no_proxy", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}"
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY"):
        monkeypatch.setenv(name, dead)

    reply = ask(kind, fresh.url, proxy=proxy_through(fresh), max_retries=0, verify=False,
                timeout=5)  # fmt: skip

    assert reply == "Echo: hello"
    assert len(fresh.requests) >= 2  # the page, then the chat request(s)
    assert all("proxy-authorization" in r.headers for r in fresh.requests)


@pytest.mark.parametrize("kind", KINDS)
def test_reprs_hide_the_proxy_password(kind: str) -> None:
    proxy = f"http://user:{PASSWORD}@127.0.0.1:3128"
    cls = chatgpt4o.Client if kind == "sync" else chatgpt4o.AsyncClient
    client = cls("http://127.0.0.1:1", proxy=proxy, cookies={"session": COOKIE})
    texts = [
        repr(client),
        str(client),
        repr(client.settings),
        str(client.settings),
        repr(client.with_options(timeout=3)),
    ]

    assert all("user:***@127.0.0.1:3128" in text for text in texts[:3])
    assert secrets_in("\n".join(texts), []) == []
    if isinstance(client, chatgpt4o.Client):
        client.close()
    else:
        asyncio.run(client.aclose())


def test_page_repr_hides_the_nonce(fresh: LocalSite) -> None:
    with urllib.request.urlopen(fresh.url + "/") as response:
        html = response.read().decode()
    page = extract_page(html, fresh.url + "/")
    tokens = page.chat()

    assert tokens.nonce == fresh.nonce
    assert tokens.nonce not in repr(tokens)
    assert tokens.nonce not in str(tokens)
    assert tokens.nonce not in repr(page)


BAD_WITH_SECRETS = [
    {"proxy": f"ftp://user:{PASSWORD}@127.0.0.1:21"},
    {"proxy": f"http://user:{PASSWORD}@127.0.0.1:port"},
    {"proxy": f"http://user:{PASSWORD}@"},
    {"base_url": f"ftp://user:{PASSWORD}@127.0.0.1/"},
    {"base_url": f"http://user:{PASSWORD}@127.0.0.1/"},
    {"base_url": f"http://user:{PASSWORD}@127.0.0.1:99999/"},
]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("settings", BAD_WITH_SECRETS, ids=lambda s: next(iter(s.values())))
def test_errors_about_bad_settings_hide_passwords(kind: str, settings: dict[str, str]) -> None:
    cls = chatgpt4o.Client if kind == "sync" else chatgpt4o.AsyncClient
    arguments: dict[str, Any] = {"base_url": "http://127.0.0.1:1", **settings}

    with pytest.raises(ValueError) as caught:  # noqa: PT011 - what matters is what it shows
        cls(**arguments)

    assert secrets_in(chain(caught.value), []) == []


@pytest.mark.parametrize("kind", KINDS)
def test_errors_about_a_bad_proxy_variable_hide_its_password(
    monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    monkeypatch.setenv("CHATGPT4O_PROXY", f"socks4://user:{PASSWORD}@127.0.0.1:1080")
    cls = chatgpt4o.Client if kind == "sync" else chatgpt4o.AsyncClient

    with pytest.raises(ValueError, match="CHATGPT4O_PROXY") as caught:
        cls("http://127.0.0.1:1")

    assert secrets_in(chain(caught.value), []) == []


# -- cookies and redirects -------------------------------------------------------------------


def redirect_to(url: str, status: int = 302) -> Any:
    def route(exchange: Exchange) -> None:
        exchange.reply(status, b"", [("Location", url)])

    return route


@pytest.mark.usefixtures("no_env_proxies")
@pytest.mark.parametrize("kind", KINDS)
def test_cookies_do_not_follow_a_page_redirect_to_another_host(fresh: LocalSite, kind: str) -> None:
    # Cookies are scoped by host name: 127.0.0.1 and localhost are two hosts.
    if fresh.profile.era == "aipkit":
        pytest.skip(
            "the current plugin refuses a POST from another origin, and to the stand-in a page "
            "read through localhost is one (its site URL is 127.0.0.1): a faithful 403"
        )
    elsewhere = fresh.url.replace("127.0.0.1", "localhost")
    with TinySite({"/": redirect_to(elsewhere + "/")}) as first:
        reply = ask(kind, first.url, cookies={"session": COOKIE}, verify=False, timeout=5)
        seen_first = first.requests

    assert reply == "Echo: hello"
    assert COOKIE in seen_first[0].headers.get("cookie", "")  # given to its own host
    assert [r.method for r in fresh.requests] == ["GET", "POST"]  # the call went on there
    for request in fresh.requests:
        assert request.cookies == {}
        assert COOKIE not in str(request.headers)


@pytest.mark.usefixtures("no_env_proxies")
@pytest.mark.parametrize("kind", KINDS)
def test_a_post_redirect_is_not_followed(fresh: LocalSite, kind: str) -> None:
    # A 307 would re-send the form, nonce and message included, to the other host.
    elsewhere = fresh.url.replace("127.0.0.1", "localhost") + AJAX
    routes = {
        "/": lambda ex: ex.reply(200, chat_page(fresh.nonce), [("content-type", "text/html")]),
        AJAX: redirect_to(elsewhere, 307),
    }
    with TinySite(routes) as first:
        with pytest.raises(chatgpt4o.APIStatusError) as caught:
            ask(kind, first.url, cookies={"session": COOKIE}, verify=False, timeout=5)
        seen_first = first.requests

    assert caught.value.status_code == 307
    assert elsewhere in str(caught.value)
    assert [r.method for r in seen_first] == ["GET", "POST"]
    assert fresh.requests == []
