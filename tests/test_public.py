"""The public face: every exported name resolves and is documented; the import stays light."""

from __future__ import annotations

import inspect
import subprocess
import sys

import pytest

import chatgpt4o


@pytest.mark.parametrize("name", chatgpt4o.__all__)
def test_exported_name_resolves_and_is_documented(name: str) -> None:
    value = getattr(chatgpt4o, name)
    if inspect.isclass(value) or inspect.isfunction(value):
        assert inspect.getdoc(value), f"{name} has no docstring"


def test_all_has_no_duplicates_and_the_promised_names() -> None:
    assert len(set(chatgpt4o.__all__)) == len(chatgpt4o.__all__)
    for name in ("Client", "AsyncClient", "Chatgpt4o", "format_prompt", "Chatgpt4oError"):
        assert name in chatgpt4o.__all__
    for name in ("NonceCache", "NonceCacheState", "DiskNonceCache"):  # the token-cache interface
        assert name in chatgpt4o.__all__
    errors = [n for n in chatgpt4o.__all__ if n.endswith("Error")]
    assert all(issubclass(getattr(chatgpt4o, n), chatgpt4o.Chatgpt4oError) for n in errors)


def test_unknown_attribute_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        chatgpt4o.Nope  # noqa: B018


def test_import_defers_the_heavy_dependencies() -> None:
    code = (
        "import sys, chatgpt4o; "
        "print(sorted(m for m in ('requests', 'httpx', 'bs4', 'tenacity') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
