"""Every example runs as-is, top to bottom, against the stand-in site, and says the right thing.

Each example runs once, in this process (``runpy``), with ``$CHATGPT4O_BASE_URL`` pointing at a
``LocalSite`` playing the current plugin (2.4.71), its bot's image upload on for the examples
that send pictures; what it prints must carry the stand-in's echo of what it asked (and its note
of the pictures that reached the model). ``server_held_history.py`` also runs on an old site,
where the same code takes the other route its docstring describes.
``test_async_with_fixture.py`` runs as its own pytest session in a fresh interpreter: what it
shows is that installing chatgpt4o is enough for pytest to find the fixtures.
"""

from __future__ import annotations

import contextlib
import io
import os
import runpy
import subprocess
import sys
from pathlib import Path

import pytest

from chatgpt4o.testing import LocalSite

EXAMPLES = Path(__file__).parent.parent / "examples"

# The stand-in's note of examples/red_dot.png reaching the model.
RED_DOT = "[images: image/png 112 bytes sha256:2c8ac5d0fd8b]"

# Lines each example must print (among others), the stand-in's echo proving who answered what.
PRINTS: dict[str, list[str]] = {
    "async_basics.py": ["Echo: Name three Italian cheeses."],
    "async_concurrent.py": [f"What is {n} squared? -> Echo: What is {n} squared?" for n in (1, 10)],
    "conversation.py": [
        "you> Suggest a city in Portugal.",
        "ai>  Echo: System: You are a concise travel guide.",
        "User: And a day trip from there?",  # the restored conversation sent the earlier turns
        "(6 turns kept)",
    ],
    "error_handling.py": [
        "bad model, caught before any request: model: unknown model 'gpt-5'; expected one of "
        "gpt-4o-mini-2024-07-18, gpt-4o-mini",
        "Echo: Tell me a fun fact about octopuses.",
    ],
    "openai_style.py": [
        "Echo: System: You are a helpful assistant.",
        "User: Give me a fun fact about owls.",
        "Echo: Count to three.",
    ],
    "pictures.py": [
        f"Echo: What colour is the dot? {RED_DOT}",
        f"Echo: Describe it. {RED_DOT}",
        f"Echo: What is in this image? {RED_DOT}",
        "User: Is it round?",
        f"Echo: What shape is in the picture? {RED_DOT}",
        f"Echo: Async: what is in it? {RED_DOT}",
        f"Echo: Async, streamed: and now? {RED_DOT}",
    ],
    "provider.py": ["Echo: Say hello in Spanish."] * 2,
    "provider_pictures.py": [f"Echo: What is in this picture? {RED_DOT}"] * 2,
    "proxy_and_timeout.py": ["Echo: Why is the sky blue? One sentence."],
    "serve_openai.py": [
        "Echo: Name three French cheeses.",
        "Echo: Count to five.",
        "models: gpt-4o-mini-2024-07-18, gpt-4o-mini",
    ],
    "streaming.py": ["Echo: Write a haiku about the sea.", "Echo: Write a haiku about mountains."],
    "sync_basics.py": [
        "Echo: Name three French cheeses.",
        "Echo: System: Answer in one word.",
        "User: What is the capital of Italy?",
    ],
    "testing_your_code.py": ["ok: 3 posts, 1 page fetch"],
}
WITH_PICTURES = {"pictures.py", "provider_pictures.py"}  # need a bot with image upload
IN_A_FRESH_PYTEST = "test_async_with_fixture.py"
ON_BOTH_GENERATIONS = "server_held_history.py"


def run_example(name: str, site: LocalSite, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Run ``examples/<name>`` as ``python examples/<name>`` would; return its output lines."""
    for variable in [key for key in os.environ if key.startswith("CHATGPT4O_")]:
        monkeypatch.delenv(variable)
    monkeypatch.setenv("CHATGPT4O_BASE_URL", site.url)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        runpy.run_path(str(EXAMPLES / name), run_name="__main__")
    return output.getvalue().splitlines()


def test_every_example_is_run() -> None:
    on_disk = sorted(path.name for path in EXAMPLES.glob("*.py"))

    assert on_disk == sorted([*PRINTS, IN_A_FRESH_PYTEST, ON_BOTH_GENERATIONS])


@pytest.mark.parametrize("name", sorted(PRINTS))
def test_example_prints_the_echo_of_what_it_asked(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with LocalSite("2.4.71", image_upload=name in WITH_PICTURES) as site:
        lines = run_example(name, site, monkeypatch)

    assert [line for line in PRINTS[name] if lines.count(line) < PRINTS[name].count(line)] == []
    assert site.errors == []


def test_server_held_history_resumes_the_sites_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    with LocalSite("2.4.71") as site:
        lines = run_example(ON_BOTH_GENERATIONS, site, monkeypatch)
        (thread,) = site.threads()  # the second client resumed it, not a new one
        turns = site.thread(*thread)

    assert lines[-2:] == ["ai>  Echo: Is 91 one?", f"(4 turns in thread {thread[2]})"]
    assert len(turns) == 4
    # Only the new turn went over the wire the second time: the site held the rest.
    assert [p.fields["message"] for p in site.posts if "message" in p.fields][-1] == "Is 91 one?"


def test_server_held_history_sends_the_turns_to_an_old_site(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with LocalSite("1.9.18") as site:
        lines = run_example(ON_BOTH_GENERATIONS, site, monkeypatch)

    assert "ai>  Echo: Is 91 one?" in lines
    last = site.posts[-1].fields
    assert last["message"] == "Is 91 one?"
    assert "What is a prime number?" in last["wpaicg_chat_history"]


def test_the_fixture_example_passes_in_a_fresh_pytest() -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("CHATGPT4O_")}
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / IN_A_FRESH_PYTEST)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == "ok: the async tests passed\n"
