"""Every ```python block of README.md runs as pasted, against the stand-in site.

Each block runs in a fresh interpreter with ``$CHATGPT4O_BASE_URL`` pointing at a ``LocalSite``
(and no proxy variables). A block that needs something else is marked in the README with an
HTML comment on the line before it: ``<!-- skip-test: why -->``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from chatgpt4o.testing import LocalSite

README = Path(__file__).resolve().parents[1] / "README.md"
_BLOCK = re.compile(
    r"(?:<!--\s*skip-test:(?P<why>[^>]*)-->\s*\n)?```python\n(?P<code>.*?)```", re.S
)


def blocks() -> list[tuple[int, str, str]]:
    text = README.read_text(encoding="utf-8")
    found = []
    for match in _BLOCK.finditer(text):
        line = text.count("\n", 0, match.start("code"))
        found.append((line, match.group("code"), (match.group("why") or "").strip()))
    return found


def test_the_readme_has_python_blocks() -> None:
    assert len(blocks()) >= 8


@pytest.mark.parametrize(("line", "code", "why"), blocks(), ids=[f"line{b[0]}" for b in blocks()])
@pytest.mark.parametrize("profile", ["1.9.18", "2.4.71"])
def test_block_runs(line: int, code: str, why: str, profile: str, tmp_path: Path) -> None:
    if why:
        pytest.skip(why)
    if "LocalSite(" in code and profile != "1.9.18":
        pytest.skip("the block starts its own stand-in")
    script = tmp_path / f"readme_line{line}.py"
    script.write_text(code, encoding="utf-8")
    with LocalSite(profile) as site:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.lower().endswith("_proxy") and not key.startswith("CHATGPT4O_")
        }
        env["CHATGPT4O_BASE_URL"] = site.url
        env["NO_PROXY"] = "127.0.0.1,localhost"
        result = subprocess.run(
            [sys.executable, str(script)],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode == 0, f"README.md line {line}:\n{result.stderr}"
    assert "Traceback" not in result.stderr


def _stand_in_section() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index("## Testing your code with `chatgpt4o.testing`")
    return text[start : text.index("\n## ", start + 1)]


def test_the_readme_lists_every_stand_in_profile_and_no_other() -> None:
    from chatgpt4o.testing import PROFILES

    rows = re.findall(r"^\| `([^`]+)`", _stand_in_section(), re.M)

    assert rows == list(PROFILES)


def test_the_readme_names_every_fault_the_stand_in_plays() -> None:
    from chatgpt4o.testing import FAULTS

    section = _stand_in_section()

    assert [name for name in FAULTS if f"`{name}`" not in section] == []
