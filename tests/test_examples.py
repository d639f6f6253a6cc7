"""Every example runs as-is, top to bottom, against the local stand-in site."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from chatgpt4o.testing import LocalSite

EXAMPLES = sorted((Path(__file__).parent.parent / "examples").glob("*.py"))


def test_there_are_examples() -> None:
    assert len(EXAMPLES) >= 10


@pytest.mark.parametrize("path", EXAMPLES, ids=[path.name for path in EXAMPLES])
@pytest.mark.parametrize(
    ("profile", "stream"),
    [("1.9.18", False), ("1.9.18", True), ("2.4.71", True)],
    ids=["wpaicg-json", "wpaicg-sse", "aipkit-2.4.71"],
)
def test_example_runs(path: Path, profile: str, stream: bool) -> None:
    with LocalSite(profile, stream=stream) as site:
        env = {**os.environ, "CHATGPT4O_BASE_URL": site.url}
        env.pop("CHATGPT4O_PROXY", None)
        result = subprocess.run(
            [sys.executable, str(path)],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode == 0, result.stderr
    assert "Echo:" in result.stdout or result.stdout.startswith("ok:")
    assert "Traceback" not in result.stderr
