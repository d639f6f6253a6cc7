"""Read the recorded picture exchanges in ``tests/fixtures/aipkit/*-images/`` (curl and php-fpm).

Each ``$ curl`` command is split into its form fields, in order, and paired with the status and
body printed after it; ``$ php-fpm`` commands (case 78, straight to FastCGI) print ``Status:``
and ``body (N bytes):`` instead, and name the picture's size in the command.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "aipkit"
_PICTURE_SIZE = re.compile(r"one image/\w+ of (\d+) bytes")


@dataclass
class Recorded:
    """One command of a recording: its form fields and the reply printed after it."""

    command: str
    form: list[tuple[str, str]] = field(default_factory=list)
    status: Optional[int] = None
    body: str = ""
    picture_bytes: int = 0

    def field(self, name: str) -> str:
        """The value of the form field ``name`` (the first one)."""
        return next(value for key, value in self.form if key == name)


def _form(command: str) -> list[tuple[str, str]]:
    words = shlex.split(command)
    pairs = []
    for flag, value in zip(words, words[1:]):
        if flag in ("-F", "--form-string"):
            name, _, text = value.partition("=")
            pairs.append((name, text))
    return pairs


def read_recording(version: str, name: str) -> list[Recorded]:
    """The commands of ``<version>-images/<name>.txt``, e.g. ``("2.4.71", "62-image-png")``."""
    text = (FIXTURES / f"{version}-images" / f"{name}.txt").read_bytes().decode("utf-8")
    pieces = re.split(r"\n\$ ", text)[1:]
    result = []
    for piece in pieces:
        command, _, rest = piece.partition("\n")
        recorded = Recorded(command)
        if command.startswith("curl "):
            recorded.form = _form(command)
            heads = list(re.finditer(r"HTTP/1\.1 (\d+)[^\n]*\n(?:[^\n]+\n)*?\r?\n", rest))
            final = [head for head in heads if head.group(1) != "100"]
            if final:
                recorded.status = int(final[0].group(1))
                recorded.body = rest[final[0].end() :].split("\n$ ")[0].split("\nphp-")[0]
                recorded.body = recorded.body.strip("\n")
        else:
            status = re.search(r"Status: (\d+)", rest)
            body = re.search(r"body \(\d+ bytes\):\n([^\n]*)", rest)
            size = _PICTURE_SIZE.search(command)
            recorded.status = int(status.group(1)) if status else None
            recorded.body = body.group(1) if body else ""
            recorded.picture_bytes = int(size.group(1)) if size else 0
        result.append(recorded)
    return result


def upstream(version: str, name: str) -> str:
    """The raw ``<name>.upstream.json``: what reached the model."""
    return (FIXTURES / f"{version}-images" / f"{name}.upstream.json").read_text("utf-8")
