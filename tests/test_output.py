"""``printable()``: what the command line prints is cleaned of terminal control sequences."""

from __future__ import annotations

import pytest

from chatgpt4o._output import printable


@pytest.mark.parametrize(
    ("sent", "shown"),
    [
        ("a\x1b[2Jb", "ab"),  # clear the screen
        ("a\x1b[1;31mred\x1b[0m", "ared"),  # colours
        ("\x1b]0;pwned\x07title", "title"),  # window title, BEL-terminated
        ("\x1b]8;;https://evil.example\x1b\\link\x1b]8;;\x1b\\", "link"),  # hyperlink, ST
        ("\x9d0;pwned\x9ctitle", "title"),  # OSC and ST as C1 controls
        ("a\x9b2Jb", "ab"),  # CSI as a C1 control
        ("\x1bP1$qm\x1b\\x", "x"),  # DCS string
        ("a\x1b7b\x1bcc", "abc"),  # other escapes: save cursor, reset
        ("safe\rEVIL", "safeEVIL"),  # carriage return overwrites the line
        ("abc\b\b\bxyz", "abcxyz"),  # backspaces overwrite text
        ("a\x00b\x07c\x7fd\x85e", "abcde"),  # other C0, BEL, DEL, C1
        ("line\r\nnext", "line\nnext"),
        ("tab\tand newline\n kept, é 👋 too", "tab\tand newline\n kept, é 👋 too"),
        ("\x1b]0;never ended", "0;never ended"),  # an unended OSC loses its ESC: plain text
    ],
)
def test_printable(sent: str, shown: str) -> None:
    assert printable(sent) == shown
