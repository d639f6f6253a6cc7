"""``import chatgpt4o`` and ``import chatgpt4o.serve`` load neither Starlette nor uvicorn."""

from __future__ import annotations

import subprocess
import sys

import pytest

import chatgpt4o.serve

_HEAVY = ("starlette", "uvicorn", "httpx", "anyio", "h11", "openai")


@pytest.mark.parametrize(
    "statement",
    ["import chatgpt4o", "import chatgpt4o.serve", "from chatgpt4o.serve import _errors, _auth"],
)
def test_importing_stays_light(statement: str) -> None:
    code = f"import sys; {statement}; print(sorted(m for m in {_HEAVY!r} if m in sys.modules))"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_the_package_names_resolve_and_are_documented() -> None:
    pytest.importorskip("starlette")
    assert chatgpt4o.serve.__doc__
    for name in chatgpt4o.serve.__all__:
        value = getattr(chatgpt4o.serve, name)
        assert value.__doc__, name
    assert sorted(chatgpt4o.serve.__all__) == dir(chatgpt4o.serve)
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        chatgpt4o.serve.nope  # noqa: B018
