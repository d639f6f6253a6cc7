"""The command line against the local stand-in: asking, streaming, the REPL, errors, the cache."""

from __future__ import annotations

import io
import os
import socket
import sys
from pathlib import Path
from subprocess import DEVNULL, PIPE, Popen
from typing import Callable

import pytest

from chatgpt4o import __version__
from chatgpt4o._cli import main
from chatgpt4o._images import DEFAULT_IMAGE_PROMPT, ImageInput
from chatgpt4o._output import (
    EXIT_BROKEN_PIPE,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_NETWORK,
    EXIT_NO_CHAT,
    EXIT_REFUSED,
    EXIT_USAGE,
)
from chatgpt4o.testing import PROFILES, LocalSite
from chatgpt4o.testing.pytest_plugin import SiteFactory
from tests.canned import PNG, WEBP

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def cache_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The CLI's token cache lives in the test's directory, never in the user's."""
    monkeypatch.setattr("chatgpt4o._disk_cache.cache_dir", lambda: tmp_path / "cache")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    return tmp_path / "cache"


class Terminal(io.StringIO):
    """A stdin that says it is a terminal."""

    def isatty(self) -> bool:
        return True


class Recorder(io.StringIO):
    """A stdout that keeps each write apart."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[str] = []

    def write(self, text: str) -> int:
        self.writes.append(text)
        return super().write(text)


def run(
    args: list[str], stdin: str = "", tty: bool = False, stdout: io.StringIO | None = None
) -> tuple[int, str, str]:
    out, err = stdout or io.StringIO(), io.StringIO()
    source = Terminal(stdin) if tty else io.StringIO(stdin)
    code = main(args, stdin=source, stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def assert_one_line(err: str) -> None:
    assert err.startswith("chatgpt4o: ")
    assert err.count("\n") == 1
    assert "Traceback" not in err
    assert "<" not in err
    for doubled in (".;", ";;", "..;", ":;", ". ;"):
        assert doubled not in err


def test_one_shot_prompt(chatgpt4o_site: LocalSite) -> None:
    code, out, err = run(["--base-url", chatgpt4o_site.url, "What", "is", "2+2?"])
    assert (code, out, err) == (0, "Echo: What is 2+2?\n", "")


@pytest.mark.parametrize("profile", ["1.9.18", "2.4.71"])  # a JSON reply, a streamed one
def test_terminal_controls_in_a_reply_are_not_printed(
    chatgpt4o_site_factory: SiteFactory, profile: str
) -> None:
    site = chatgpt4o_site_factory(profile)
    prompt = "\x1b[2J\x1b]0;pwned\x07safe\rEVIL\b\x9b2J"  # the stand-in echoes it back
    assert run(["--base-url", site.url, prompt]) == (0, "Echo: safeEVIL\n", "")


def test_options_anywhere_among_the_words(chatgpt4o_site: LocalSite) -> None:
    code, out, _ = run(["hello", "--base-url", chatgpt4o_site.url, "--timeout", "5", "world"])
    assert (code, out) == (0, "Echo: hello world\n")


def test_prompt_from_stdin(chatgpt4o_site: LocalSite) -> None:
    code, out, _ = run(["--base-url", chatgpt4o_site.url], stdin="piped question\n")
    assert code == 0
    assert out == "Echo: piped question\n"


def test_non_utf8_stdin_is_a_usage_error(chatgpt4o_site: LocalSite) -> None:
    stdin = io.TextIOWrapper(io.BytesIO(b"caf\xe9\n"), encoding="utf-8")
    err = io.StringIO()
    code = main(["--base-url", chatgpt4o_site.url], stdin=stdin, stdout=io.StringIO(), stderr=err)
    assert code == EXIT_USAGE
    assert "stdin is not UTF-8" in err.getvalue()
    assert_one_line(err.getvalue())
    assert chatgpt4o_site.posts == []


def test_a_prompt_with_lone_surrogates_is_a_usage_error(chatgpt4o_site: LocalSite) -> None:
    code, _, err = run(["--base-url", chatgpt4o_site.url, "caf\udce9"])
    assert code == EXIT_USAGE
    assert "not valid UTF-8" in err


@pytest.mark.chatgpt4o_site(profile="1.8.79", stream=True)
def test_the_reply_streams_piece_by_piece(chatgpt4o_site: LocalSite) -> None:
    out = Recorder()
    code, text, _ = run(["--base-url", chatgpt4o_site.url, "one two three four"], stdout=out)
    assert (code, text) == (0, "Echo: one two three four\n")
    assert len([piece for piece in out.writes if piece.strip()]) > 1
    waited = Recorder()
    run(["--no-stream", "--base-url", chatgpt4o_site.url, "one two three four"], stdout=waited)
    assert waited.writes == ["Echo: one two three four\n"]


def test_interactive_chat_keeps_the_conversation(chatgpt4o_site: LocalSite) -> None:
    code, out, _ = run(["--base-url", chatgpt4o_site.url], stdin="first\nsecond\n\n", tty=True)
    assert code == 0
    assert "ai> Echo: first" in out
    assert chatgpt4o_site.posts[-1].fields["message"] == (
        "User: first\nAssistant: Echo: first\nUser: second\nAssistant:"
    )


def test_interactive_chat_survives_an_error_and_keeps_the_turn(chatgpt4o_site: LocalSite) -> None:
    chatgpt4o_site.inject("server_error", on="post")
    stdin = "first\n\nsecond\n\n"  # first fails; Enter sends it again
    code, out, err = run(
        ["--base-url", chatgpt4o_site.url, "--max-retries", "0"], stdin=stdin, tty=True
    )
    assert code == 0
    assert_one_line(err)
    assert "HTTP 503" in err
    assert "ai> Echo: first" in out
    assert "ai> Echo: User: first" in out
    messages = [post.fields["message"] for post in chatgpt4o_site.posts]
    assert messages == [
        "first",
        "first",
        "User: first\nAssistant: Echo: first\nUser: second\nAssistant:",
    ]


def test_interactive_ctrl_c_exits_130_quietly(chatgpt4o_site: LocalSite) -> None:
    class Interrupting(Terminal):
        def readline(self, size: int | None = -1) -> str:  # type: ignore[override]
            raise KeyboardInterrupt

    err = io.StringIO()
    code = main(
        ["--base-url", chatgpt4o_site.url], stdin=Interrupting(), stdout=io.StringIO(), stderr=err
    )
    assert code == EXIT_INTERRUPTED
    assert err.getvalue() == ""


def test_a_closed_pipe_exits_quietly(chatgpt4o_site: LocalSite) -> None:
    class Closed(io.StringIO):
        def write(self, text: str) -> int:
            raise BrokenPipeError(32, "Broken pipe")

    err = io.StringIO()
    code = main(
        ["--base-url", chatgpt4o_site.url, "hi"], stdin=io.StringIO(), stdout=Closed(), stderr=err
    )
    assert code == EXIT_BROKEN_PIPE
    assert err.getvalue() == ""


def process(
    *args: str, shell: str = "", env: dict[str, str] | None = None, stdin: int = DEVNULL
) -> Popen[bytes]:
    """``python -m chatgpt4o ARGS`` in a child process (through ``sh -c '"$@" SHELL'`` if given)."""
    environ = {"PYTHONPATH": str(ROOT), "XDG_CACHE_HOME": str(ROOT / ".no-such"), **(env or {})}
    command = [sys.executable, "-m", "chatgpt4o", "--no-cache", *args]
    if shell:
        command = ["sh", "-c", f'"$@" {shell}', "sh", *command]
    return Popen(command, stdin=stdin, stdout=PIPE, stderr=PIPE, env={**os.environ, **environ})


def test_a_closed_pipe_in_a_real_process(chatgpt4o_site: LocalSite) -> None:
    with process("--base-url", chatgpt4o_site.url, "hi " * 2000) as proc:
        assert proc.stdout is not None
        assert proc.stderr is not None
        proc.stdout.close()
        err = proc.stderr.read()
        proc.wait(timeout=30)
    assert err == b""
    assert proc.returncode in (0, EXIT_BROKEN_PIPE)


@pytest.mark.skipif(sys.platform == "win32", reason="closes stdout with sh")
def test_a_closed_stdout_is_a_closed_pipe(chatgpt4o_site: LocalSite) -> None:
    with process("--base-url", chatgpt4o_site.url, "hi", shell=">&-") as proc:
        _, err = proc.communicate(timeout=30)
    assert (proc.returncode, err) == (EXIT_BROKEN_PIPE, b"")
    assert chatgpt4o_site.posts == []  # nothing could show the reply: nothing is sent


def test_characters_the_terminal_cannot_show_are_replaced(chatgpt4o_site: LocalSite) -> None:
    env = {"PYTHONIOENCODING": "ascii"}
    with process("--base-url", chatgpt4o_site.url, "h\u00e9llo \U0001f44b", env=env) as proc:
        out, err = proc.communicate(timeout=30)
    assert (proc.returncode, out, err) == (0, b"Echo: h?llo ?\n", b"")


def test_a_prompt_both_as_words_and_on_stdin_is_refused(chatgpt4o_site: LocalSite) -> None:
    code, out, err = run(["--base-url", chatgpt4o_site.url, "words"], stdin="piped\n")
    assert (code, out) == (EXIT_USAGE, "")
    assert "both as words and on stdin" in err
    assert_one_line(err)
    reader, writer = os.pipe()  # echo piped | chatgpt4o words, with the pipe filled first
    os.write(writer, b"piped\n")
    os.close(writer)
    with process("--base-url", chatgpt4o_site.url, "words", stdin=reader) as proc:
        _, err_bytes = proc.communicate(timeout=30)
    os.close(reader)
    assert proc.returncode == EXIT_USAGE
    assert b"both as words and on stdin" in err_bytes
    assert chatgpt4o_site.posts == []


@pytest.mark.parametrize("profile", list(PROFILES))
def test_demo_runs_every_profile(profile: str) -> None:
    code, out, _ = run(["demo", "--profile", profile])
    assert code == 0
    assert f"{PROFILES[profile].version} site" in out
    assert "ai>  Echo: What is 6 x 7?" in out
    assert "retried on its own" in out


def test_demo_defaults_to_the_current_plugin() -> None:
    code, out, _ = run(["demo"])
    assert code == 0
    assert "AI Puffer 2.4.71" in out
    assert "nonce refreshes: 1, page fetches: 1" in out


def test_demo_ignores_environment_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    dead = f"http://127.0.0.1:{closed_port()}"
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY"):
        monkeypatch.setenv(name, dead)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    code, _, err = run(["demo", "--profile", "1.9.18"])
    assert (code, err) == (0, "")
    code, _, err = run(["demo"])
    assert (code, err) == (0, "")


@pytest.mark.parametrize("args", [["--verbose", "demo"], ["demo", "--verbose"], ["demo", "-v"]])
def test_demo_takes_global_options_before_or_after(args: list[str]) -> None:
    code, out, _ = run([*args, "--profile", "1.7", "--no-stream"])
    assert code == 0
    assert "AI Power 1.7.14 site" in out


def test_double_dash_sends_the_word_demo(chatgpt4o_site: LocalSite) -> None:
    code, out, _ = run(["--base-url", chatgpt4o_site.url, "--", "demo"])
    assert (code, out) == (0, "Echo: demo\n")


def test_help_has_defaults_exit_codes_and_no_markup_and_version() -> None:
    for args in (["--help"], ["demo", "--help"], ["doctor", "--help"]):
        code, out, _ = run(args)
        assert code == 0
        assert "exit codes:" in out
        assert "::" not in out
        assert "``" not in out
    assert "(default: gpt-4o-mini)" in " ".join(run(["--help"])[1].split())
    assert "(default: 2.4.71" in " ".join(run(["demo", "--help"])[1].split())
    assert run(["--version"]) == (0, f"chatgpt4o {__version__}\n", "")


def test_serve_is_a_subcommand() -> None:
    code, out, _ = run(["serve", "--help"])
    assert code == 0
    assert "serve" in out


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_verbose_shows_the_causes_never_a_traceback_or_a_query() -> None:
    # The HTTP library's own messages quote the URL; on current sites the stream GET's query
    # holds the nonce. A page URL with a query shows the causes are cut at the "?".
    url = f"http://127.0.0.1:{closed_port()}/chat?_ajax_nonce=5ecre7"
    code, _, err = run(["--base-url", url, "--max-retries", "0", "-v", "hi"])
    causes = [line for line in err.splitlines() if "caused by" in line]
    assert code == EXIT_NETWORK
    assert any("/chat?…" in line for line in causes), err
    assert not any("5ecre7" in line for line in causes), err
    assert "Traceback" not in err


@pytest.mark.chatgpt4o_site("2.4.71")
@pytest.mark.parametrize(
    ("path", "fault", "code", "words"),
    [
        ("/no-such-page", "", EXIT_NO_CHAT, "no such page: "),
        ("", "banned_word", EXIT_REFUSED, 'the site refused: "'),
    ],
)  # each error's line and code: test_output.py
def test_a_failure_is_one_line_with_its_exit_code(
    chatgpt4o_site: LocalSite, path: str, fault: str, code: int, words: str
) -> None:
    if fault:
        chatgpt4o_site.inject(fault, on="post")
    result = run(["--base-url", chatgpt4o_site.url + path, "--max-retries", "0", "hi"])
    assert result[:2] == (code, "")
    assert words in result[2]
    assert_one_line(result[2])


def test_an_unexpected_error_is_one_line(
    chatgpt4o_site: LocalSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> str:
        raise RuntimeError("boom\x1b]0;pwned\x07")

    monkeypatch.setattr("chatgpt4o._client.Client.create", broken)
    code, _, err = run(["--no-stream", "--base-url", chatgpt4o_site.url, "hi"])
    assert code == EXIT_INTERNAL
    assert "internal error: RuntimeError: boom; " in err  # no terminal control in errors
    assert_one_line(err)


@pytest.mark.parametrize(
    "args",
    [
        ["--timeout", "-1", "hi"],
        ["--model", "gpt-9", "hi"],
        ["--max-retries", "many"],
        ["--no-such-option"],
        [],
        ["demo", "--model", "gpt-5"],
        ["demo", "--profile", "1.7", "--stream"],  # refused as by python -m chatgpt4o.testing
    ],
)
def test_usage_errors_exit_2(args: list[str]) -> None:
    code, out, err = run(args)
    assert code == EXIT_USAGE
    assert out == ""
    assert_one_line(err)


@pytest.mark.parametrize(("profile", "requests"), [("1.9.18", 2), ("1.7", 2), ("2.4.71", 3)])
def test_a_second_call_reuses_the_cached_nonce(
    chatgpt4o_site_factory: SiteFactory, profile: str, requests: int, cache_in_tmp: Path
) -> None:
    site = chatgpt4o_site_factory(profile)
    assert run(["--base-url", site.url, "one"])[0] == 0
    assert len(site.requests) == requests
    assert run(["--base-url", site.url, "two"])[:2] == (0, "Echo: two\n")
    assert len(site.requests) == 2 * requests - 1
    assert site.page_fetches == 1
    assert list(cache_in_tmp.glob("nonces-*.json"))


def test_no_cache_fetches_the_page_every_time(
    chatgpt4o_site: LocalSite, cache_in_tmp: Path
) -> None:
    for word in ("one", "two"):
        assert run(["--no-cache", "--base-url", chatgpt4o_site.url, word])[0] == 0
    assert chatgpt4o_site.page_fetches == 2
    assert not cache_in_tmp.exists()


def test_a_rotated_nonce_in_the_cache_is_renewed(chatgpt4o_site: LocalSite) -> None:
    run(["--base-url", chatgpt4o_site.url, "one"])
    chatgpt4o_site.rotate_nonce()
    assert run(["--base-url", chatgpt4o_site.url, "two"])[:2] == (0, "Echo: two\n")
    assert chatgpt4o_site.page_fetches == 2


# -- pictures ----------------------------------------------------------------------------------

PNG_NOTE = ImageInput("image/png", PNG).describe()
WEBP_NOTE = ImageInput("image/webp", WEBP).describe()


@pytest.fixture
def pictures(tmp_path: Path) -> tuple[str, str]:
    """A PNG and a WEBP file (the WEBP named .jpg: the bytes decide)."""
    (tmp_path / "dot.png").write_bytes(PNG)
    (tmp_path / "photo.jpg").write_bytes(WEBP)
    return str(tmp_path / "dot.png"), str(tmp_path / "photo.jpg")


@pytest.mark.chatgpt4o_site("2.4.71", image_upload=True)
@pytest.mark.parametrize("stream", ["--no-stream", "--timeout=5"], ids=["whole", "streamed"])
def test_image_sends_pictures_with_the_prompt(
    chatgpt4o_site: LocalSite, pictures: tuple[str, str], stream: str
) -> None:
    png, webp = pictures
    url = chatgpt4o_site.url
    code, out, err = run(["--image", png, "what is", stream, "--base-url", url, "--image", webp])
    assert (code, err) == (0, "")
    assert out == f"Echo: what is [images: {PNG_NOTE}, {WEBP_NOTE}]\n"

    code, out, _ = run(["--base-url", chatgpt4o_site.url, "--image", png])  # no words, no stdin
    assert (code, out) == (0, f"Echo: {DEFAULT_IMAGE_PROMPT} [images: {PNG_NOTE}]\n")


@pytest.mark.parametrize(
    ("make_args", "upload", "code", "words"),
    [
        (lambda d: ["--image", str(d / "missing.jpg")], True, EXIT_USAGE, "--image: cannot read"),
        (
            lambda d: ["--image", str(d / "dot.png"), "--max-image-bytes", "69"],
            True,
            EXIT_USAGE,
            "at most 0.0 MB (69 bytes)",
        ),
        (lambda d: ["--image", str(d / "dot.png")], False, EXIT_NO_CHAT, "offers no image upload"),
    ],
    ids=["missing", "too large", "bot takes none"],
)
def test_a_picture_that_cannot_go_is_one_line_and_nothing_is_sent(
    pictures: tuple[str, str],
    tmp_path: Path,
    make_args: Callable[[Path], list[str]],
    upload: bool,
    code: int,
    words: str,
) -> None:
    with LocalSite("2.4.71", image_upload=upload) as site:
        result = run(["--base-url", site.url, *make_args(tmp_path), "what is it?"])
        assert site.posts == []

    assert result[0] == code
    assert_one_line(result[2])
    assert words in result[2]


@pytest.mark.chatgpt4o_site("2.4.71", image_upload=True)
def test_image_in_the_chat_queues_a_picture_for_the_next_message(
    chatgpt4o_site: LocalSite, pictures: tuple[str, str], tmp_path: Path
) -> None:
    png, webp = pictures
    stdin = f"/image {tmp_path / 'missing.png'}\n/image {webp}\nwhat are they?\nthanks\n\n"

    code, out, err = run(["--base-url", chatgpt4o_site.url, "--image", png], stdin=stdin, tty=True)

    assert code == 0
    assert f"(picture {png} queued: image/png, 70 bytes;" in out
    assert f"(picture {webp} queued: image/webp, {len(WEBP)} bytes;" in out
    assert f"ai> Echo: what are they? [images: {PNG_NOTE}, {WEBP_NOTE}]\n" in out
    assert_one_line(err)
    assert "/image: cannot read" in err
    first, second = chatgpt4o_site.upstream_calls
    assert [image.data for image in first.images] == [PNG, WEBP]
    assert second.images == ()  # sent once, with the message after /image


@pytest.mark.chatgpt4o_site("2.4.71")
def test_pictures_a_bot_will_not_take_are_dropped_and_the_chat_goes_on(
    chatgpt4o_site: LocalSite, pictures: tuple[str, str]
) -> None:
    stdin = f"/image {pictures[0]}\nwhat is it?\nhello\n\n"

    code, out, err = run(["--base-url", chatgpt4o_site.url], stdin=stdin, tty=True)

    assert code == 0
    assert "offers no image upload" in err
    assert "the queued pictures were dropped" in err
    assert "ai> Echo: hello\n" in out
    (call,) = chatgpt4o_site.upstream_calls
    assert call.images == ()
