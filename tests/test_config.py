"""Settings: explicit argument beats environment beats default; bad values name the field."""

from __future__ import annotations

import pytest

from chatgpt4o import InvalidRequestError, InvalidRequestTypeError
from chatgpt4o._config import redact_url, resolve_settings
from chatgpt4o._constants import DEFAULT_BASE_URL, DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT

ENV = {
    "CHATGPT4O_BASE_URL": "http://env.example/chat/",
    "CHATGPT4O_TIMEOUT": "7.5",
    "CHATGPT4O_PROXY": "http://proxy.example:3128",
    "CHATGPT4O_MAX_RETRIES": "4",
}


def test_defaults() -> None:
    settings = resolve_settings(env={})
    assert settings.base_url == DEFAULT_BASE_URL
    assert settings.timeout == DEFAULT_TIMEOUT
    assert settings.max_retries == DEFAULT_MAX_RETRIES
    assert settings.proxy is None
    assert settings.verify is True


def test_environment_beats_default() -> None:
    settings = resolve_settings(env=ENV)
    assert settings.base_url == "http://env.example/chat"
    assert settings.timeout == 7.5
    assert settings.proxy == "http://proxy.example:3128"
    assert settings.max_retries == 4


def test_argument_beats_environment() -> None:
    settings = resolve_settings(
        base_url="https://arg.example", timeout=3, max_retries=0, proxy="socks5://p:1080", env=ENV
    )
    assert (settings.base_url, settings.timeout, settings.max_retries, settings.proxy) == (
        "https://arg.example",
        3.0,
        0,
        "socks5://p:1080",
    )


@pytest.mark.parametrize(
    ("kwargs", "error", "field"),
    [
        ({"base_url": "ftp://x"}, InvalidRequestError, "base_url"),
        ({"base_url": "chatgpt4o.one"}, InvalidRequestError, "base_url"),
        ({"base_url": "http://"}, InvalidRequestError, "base_url"),
        ({"base_url": "http://u:p@host"}, InvalidRequestError, "base_url"),
        ({"base_url": "http://host:99999"}, InvalidRequestError, "base_url"),
        ({"base_url": 5}, InvalidRequestTypeError, "base_url"),
        ({"timeout": 0}, InvalidRequestError, "timeout"),
        ({"timeout": -1.0}, InvalidRequestError, "timeout"),
        ({"timeout": float("inf")}, InvalidRequestError, "timeout"),
        ({"timeout": float("nan")}, InvalidRequestError, "timeout"),
        ({"timeout": True}, InvalidRequestTypeError, "timeout"),
        ({"timeout": [1]}, InvalidRequestTypeError, "timeout"),
        ({"max_retries": -1}, InvalidRequestError, "max_retries"),
        ({"max_retries": 11}, InvalidRequestError, "max_retries"),
        ({"max_retries": 1.5}, InvalidRequestTypeError, "max_retries"),
        ({"proxy": "proxy.example:3128"}, InvalidRequestError, "proxy"),
        ({"proxy": "ftp://proxy"}, InvalidRequestError, "proxy"),
        ({"proxy": "http://:3128"}, InvalidRequestError, "proxy"),
        ({"proxy": 3128}, InvalidRequestTypeError, "proxy"),
        ({"verify": "no"}, InvalidRequestTypeError, "verify"),
    ],
)
def test_bad_values_name_the_field(kwargs: dict[str, object], error: type, field: str) -> None:
    with pytest.raises(error) as info:
        resolve_settings(env={}, **kwargs)  # type: ignore[arg-type]
    assert str(info.value).startswith(field)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("CHATGPT4O_TIMEOUT", "soon"),
        ("CHATGPT4O_MAX_RETRIES", "many"),
        ("CHATGPT4O_BASE_URL", "not a url"),
        ("CHATGPT4O_PROXY", "nope"),
    ],
)
def test_bad_environment_values_name_the_variable(name: str, value: str) -> None:
    with pytest.raises(InvalidRequestError, match=f"\\${name}"):
        resolve_settings(env={name: value})


def test_proxy_password_is_redacted() -> None:
    assert redact_url("http://user:s3cret@proxy:8080") == "http://user:***@proxy:8080"
    assert redact_url("http://proxy:8080") == "http://proxy:8080"
    settings = resolve_settings(proxy="http://user:s3cret@proxy:8080", env={})
    assert "s3cret" not in repr(settings)
    with pytest.raises(InvalidRequestError) as info:
        resolve_settings(proxy="ftp://user:s3cret@proxy:8080", env={})
    assert "s3cret" not in str(info.value)
