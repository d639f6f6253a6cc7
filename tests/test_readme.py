"""Every ```python block of README.md runs as pasted, against the stand-in site.

Each block runs once, in this process, with ``$CHATGPT4O_BASE_URL`` pointing at a ``LocalSite``
playing the current plugin (and no proxy variables); a block that raises fails. A block that
needs something else is marked in the README with an HTML comment on the line before it:
``<!-- skip-test: why -->``.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import runpy
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
def test_block_runs(
    line: int, code: str, why: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if why:
        pytest.skip(why)
    script = tmp_path / f"readme_line{line}.py"
    script.write_text(code, encoding="utf-8")
    for key in list(os.environ):
        if key.lower().endswith("_proxy") or key.startswith("CHATGPT4O_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.chdir(tmp_path)
    with LocalSite("2.4.71") as site:
        monkeypatch.setenv("CHATGPT4O_BASE_URL", site.url)
        with contextlib.redirect_stdout(io.StringIO()):
            runpy.run_path(str(script), run_name="__main__")


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


def test_the_readme_states_the_backoff_the_clients_use() -> None:
    from chatgpt4o._constants import BACKOFF_INITIAL, BACKOFF_MAX

    text = " ".join(README.read_text(encoding="utf-8").split())
    # The first wait is half the initial backoff plus up to as much jitter (chatgpt4o/_retry.py).
    step = BACKOFF_INITIAL / 2
    stated = f"{step:g} s doubling, plus up to {step:g} s of jitter, never past {BACKOFF_MAX:g} s"

    assert text.count("doubling") == text.count(stated) == 2


def test_the_readme_lists_every_example() -> None:
    text = README.read_text(encoding="utf-8")
    start = text.index("## Examples")
    section = text[start : text.index("\n## ", start + 1)]
    examples = sorted(path.name for path in (README.parent / "examples").glob("*.py"))

    assert [name for name in examples if f"`{name}`" not in section] == []
