"""``chatgpt4o serve``'s command line: options, one-line failures, and a real run to Ctrl-C."""

from __future__ import annotations

import asyncio
import io
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Optional

import pytest

from chatgpt4o.serve._cli import INSTALL_HINT, _banner, main

ROOT = Path(__file__).resolve().parents[2]
_GUARD = 30.0  # waits for the child server, never a performance limit


def _main(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_help_lists_the_options_and_exits_0() -> None:
    code, out, _ = _main("--help")
    assert code == 0
    options = ("--base-url", "--host", "--port", "--api-key", "--timeout", "--max-retries")
    guards = ("--header-timeout", "--keep-alive-timeout", "--max-connections")
    gates = ("--allowed-host", "--cors-origin")
    pictures = ("--fetch-image-urls", "--max-image-bytes", "--max-body-bytes")
    for option in (*options, *guards, *gates, *pictures):
        assert option in out
    assert INSTALL_HINT in out


@pytest.mark.parametrize(
    "argv",
    [
        ["--port", "abc"],
        ["--port", "70000"],
        ["--port", "-1"],
        ["--nope"],
        ["extra"],
        ["--header-timeout", "0"],
        ["--keep-alive-timeout", "nan"],
        ["--max-connections", "0"],
        ["--max-body-bytes", "0"],
    ],
)
def test_bad_arguments_exit_2_without_a_traceback(argv: list[str]) -> None:
    code, out, err = _main(*argv)
    assert code == 2
    assert out == ""
    assert err.splitlines()[-1].startswith("chatgpt4o serve: error: ")
    assert "Traceback" not in err


@pytest.mark.parametrize("missing", ["uvicorn", "starlette"])
def test_without_the_extra_one_line_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch, missing: str
) -> None:
    monkeypatch.setitem(sys.modules, missing, None)  # import fails as if not installed
    code, out, err = _main("--port", "0")
    assert code == 2
    assert out == ""
    assert err == 'chatgpt4o serve: the server needs its extra: pip install "chatgpt4o[serve]"\n'


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["--timeout", "-1"], "timeout"),
        (["--max-retries", "-3"], "max_retries"),
        (["--base-url", "ftp://127.0.0.1"], "base_url"),
        (["--api-key", " "], "api_key"),
        (["--api-key", " s3cret "], "api_key: has spaces or line breaks around it"),
        (["--max-image-bytes", "30000000"], "max_image_bytes"),
    ],
)
def test_bad_option_values_are_one_line_and_exit_2(argv: list[str], words: str) -> None:
    pytest.importorskip("uvicorn")
    code, _, err = _main(*argv, "--port", "0")
    assert code == 2
    assert err.count("\n") == 1
    assert err.startswith("chatgpt4o serve: ")
    assert words in err


def test_a_port_in_use_is_one_line_and_exits_2() -> None:
    pytest.importorskip("uvicorn")
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        code, _, err = _main("--base-url", "http://127.0.0.1:1", "--port", str(port))
    assert code == 2
    assert (
        err == f"chatgpt4o serve: cannot listen on 127.0.0.1 port {port}: Address already in use\n"
    )


def test_the_banner_says_where_and_warns_when_open_to_all() -> None:
    local = _banner("127.0.0.1", 8000, "https://user:pw@site.example/chat", keyed=False)
    assert local == (
        "chatgpt4o serve: http://127.0.0.1:8000/v1 in front of https://site.example/chat "
        "(no API key)\n"
    )
    assert "[::1]:8000" in _banner("::1", 8000, "https://s.example", keyed=True)
    wide = _banner("0.0.0.0", 8000, "https://s.example", keyed=False)
    assert "warning: listening on 0.0.0.0 without --api-key" in wide
    assert "warning" not in _banner("0.0.0.0", 8000, "https://s.example", keyed=True)


def _get(url: str, key: str, body: Optional[bytes] = None) -> int:
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    request = urllib.request.Request(url, data=body, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=_GUARD) as reply:
            return int(reply.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def test_a_real_run_serves_until_ctrl_c_then_exits_130_quietly() -> None:
    pytest.importorskip("uvicorn")
    from chatgpt4o.testing import LocalSite

    key = "cli-key-must-not-be-logged"
    env = {**os.environ, "CHATGPT4O_SERVE_API_KEY": key}
    env.pop("CHATGPT4O_PROXY", None)
    with LocalSite("1.9.18") as site:
        child = subprocess.Popen(
            [sys.executable, "-m", "chatgpt4o.serve", "--base-url", site.url, "--port", "0"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert child.stderr is not None
            banner = child.stderr.readline()
            assert banner.startswith("chatgpt4o serve: http://127.0.0.1:"), banner
            assert "(API key required)" in banner
            base = banner.split()[2].removesuffix("/v1")
            deadline = time.monotonic() + _GUARD
            while True:
                try:
                    status = _get(base + "/health", key)
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.02)
            assert status == 200
            assert _get(base + "/v1/models", "wrong") == 401
            chat = b'{"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}'
            assert _get(base + "/v1/chat/completions", key, chat) == 200
            child.send_signal(signal.SIGINT)
            _, err = child.communicate(timeout=_GUARD)
        finally:
            if child.poll() is None:
                child.kill()
                child.wait()
    assert child.returncode == 130
    assert "Traceback" not in err
    assert key not in banner + err
    assert site.posts[-1].fields["message"] == "hi"


def test_the_listening_socket_gives_connections_tcp_nodelay() -> None:
    # Without IPPROTO_TCP on the listener, asyncio leaves Nagle on and each reply waits ~40 ms.
    from chatgpt4o.serve._cli import listen

    async def accepted_nodelay() -> int:
        seen: list[int] = []

        def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            sock = writer.get_extra_info("socket")
            seen.append(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            writer.close()

        with listen("127.0.0.1", 0) as sock:
            server = await asyncio.start_server(on_connect, sock=sock)
            async with server:
                _, writer = await asyncio.open_connection(*sock.getsockname()[:2])
                while not seen:
                    await asyncio.sleep(0.001)
                writer.close()
        return seen[0]

    assert asyncio.run(accepted_nodelay()) != 0


def test_the_picture_options_reach_the_app(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("uvicorn")
    from chatgpt4o.serve import _app

    given: dict[str, object] = {}

    def create_app(*args: object, **options: object) -> None:
        given.update(options)
        raise ValueError("stop here")

    monkeypatch.setattr(_app, "create_app", create_app)
    argv = ["--fetch-image-urls", "--max-image-bytes", "1000", "--max-body-bytes", "99999"]
    code, _, err = _main(*argv, "--port", "0")
    assert (code, err) == (2, "chatgpt4o serve: stop here\n")
    assert given["fetch_image_urls"] is True
    assert (given["max_image_bytes"], given["max_body_bytes"]) == (1000, 99999)
    given.clear()
    _main("--port", "0")
    assert given["fetch_image_urls"] is False
    assert (given["max_image_bytes"], given["max_body_bytes"]) == (None, None)
