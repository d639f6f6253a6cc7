"""What every benchmark shares: interleaved timing, result rows, printing, the --json hand-off."""

from __future__ import annotations

import argparse
import gc
import json
import logging
import statistics
import sys
import time
import uuid
from dataclasses import asdict, dataclass, field
from typing import Any, Awaitable, Callable, Dict, List, Mapping, Optional, Sequence, Union

__all__ = [
    "RawEvents",
    "Result",
    "Row",
    "ainterleave",
    "fmt_rate",
    "fmt_ratio",
    "fmt_time",
    "interleave",
    "main",
    "median",
    "paired_ratio",
    "quiet_http_logs",
    "raw_aipkit_cache_form",
    "raw_aipkit_stream_params",
    "raw_chat_form",
    "render_markdown",
    "render_text",
    "spread",
]

Counts = Union[int, Mapping[str, int]]


@dataclass
class Row:
    """One line of a benchmark's table.

    Attributes:
        measure: what was measured.
        sdk: the chatgpt4o figure.
        baseline: the figure it is compared with (or several, spelled out).
        ratio: sdk / baseline, in the direction the goal is stated.
        goal: the goal from the issue ("—" when the row only reports).
        met: whether the goal was met; None for report-only rows.
    """

    measure: str
    sdk: str
    baseline: str = "—"
    ratio: str = "—"
    goal: str = "—"
    met: Optional[bool] = None

    @property
    def verdict(self) -> str:
        return "—" if self.met is None else ("met" if self.met else "**missed**")


@dataclass
class Result:
    """A benchmark's outcome: its table, notes, and how long it took."""

    name: str
    title: str
    rows: List[Row] = field(default_factory=list)
    notes: List[str] = field(default_factory=list)
    seconds: float = 0.0

    def to_json(self) -> Dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Result:
        rows = [Row(**row) for row in data["rows"]]
        return cls(data["name"], data["title"], rows, list(data["notes"]), data["seconds"])


def raw_chat_form(nonce: str, post_id: str, message: str) -> Dict[str, str]:
    """The fields the SDK posts for the benchmark page, written out by hand for raw baselines."""
    return {
        "_wpnonce": nonce,
        "post_id": post_id,
        "url": "http://127.0.0.1:8088",
        "action": "wpaicg_chat_shortcode_message",
        "message": message,
        "bot_id": "0",
        "chatbot_identity": "shortcode",
        "wpaicg_chat_client_id": "AbCdEf1234",
        "wpaicg_chat_history": "[]",
    }


def raw_aipkit_cache_form(nonce: str, bot_id: str, message: str) -> Dict[str, str]:
    """The current plugin's cache POST, by hand: what the site's own chat script sends."""
    return {
        "action": "aipkit_cache_sse_message",
        "message": message,
        "_ajax_nonce": nonce,
        "bot_id": bot_id,
        "user_client_message_id": f"aipkit-client-msg-{bot_id}-{int(time.time() * 1000)}-abcde",
    }


def raw_aipkit_stream_params(
    nonce: str, bot_id: str, post_id: str, cache_key: str, session_id: str
) -> Dict[str, str]:
    """The current plugin's stream GET query, by hand (a new conversation per call)."""
    return {
        "action": "aipkit_frontend_chat_stream",
        "cache_key": cache_key,
        "bot_id": bot_id,
        "session_id": session_id,
        "conversation_uuid": str(uuid.uuid4()),
        "post_id": post_id,
        "_ts": str(int(time.time() * 1000)),
        "_ajax_nonce": nonce,
    }


class RawEvents:
    """The least a hand-written reader of the current plugin's event stream does.

    Splits the body into events at blank lines, keeps the ``delta`` of unnamed ``data:`` events
    (JSON-decoded) and stops at ``event: done``; everything else (the preamble comment,
    ``message_start``, ``status``, ids) is skipped.
    """

    def __init__(self) -> None:
        self.buffer = b""
        self.done = False

    def feed(self, chunk: bytes) -> List[str]:
        self.buffer += chunk
        pieces: List[str] = []
        while not self.done:
            end = self.buffer.find(b"\n\n")
            if end < 0:
                break
            block, self.buffer = self.buffer[:end], self.buffer[end + 2 :]
            if block.startswith(b"event: done"):
                self.done = True
            elif block.startswith(b"data: "):
                pieces.append(json.loads(block[6:])["delta"])
        return pieces


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def paired_ratio(a: Sequence[float], b: Sequence[float]) -> float:
    """The median of a[i] / b[i]: each round's two sides ran back to back, so a drift in the
    machine's speed (other work, CPU frequency) cancels within a pair."""
    return statistics.median(x / y for x, y in zip(a, b))


def spread(ratios: Sequence[float]) -> str:
    """The middle half of per-round ratios, e.g. ``1.08–1.13``."""
    q = statistics.quantiles(ratios, n=4) if len(ratios) > 1 else [ratios[0]] * 3
    return f"{q[0]:.2f}–{q[2]:.2f}"


def fmt_time(seconds: float) -> str:
    """``12.3 µs``, ``4.56 ms`` or ``1.23 s``."""
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} µs"
    if seconds < 1.0:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"


def fmt_rate(per_second: float) -> str:
    return f"{per_second:,.0f} calls/s"


def fmt_ratio(value: float) -> str:
    return f"{value:.2f}×" if value < 100 else f"{value:,.0f}×"


def _batch(fn: Callable[[], Any], number: int) -> float:
    gc.collect()  # one side's garbage is not the next side's pause
    start = time.perf_counter()
    for _ in range(number):
        fn()
    return (time.perf_counter() - start) / number


def interleave(
    sides: Mapping[str, Callable[[], Any]], *, rounds: int, number: Counts = 1, warmup: int = 1
) -> Dict[str, List[float]]:
    """Time each side in turn (A, B, A, B, ...): seconds per call, one sample per round.

    Args:
        sides: name -> a callable doing one unit of work.
        rounds: samples per side.
        number: calls per sample (per side when a mapping), so that a sample lasts long
            enough for the clock.
        warmup: untimed rounds first.
    """
    counts = number if isinstance(number, Mapping) else dict.fromkeys(sides, number)
    for _ in range(warmup):
        for name, fn in sides.items():
            _batch(fn, counts[name])
    samples: Dict[str, List[float]] = {name: [] for name in sides}
    for _ in range(rounds):
        for name, fn in sides.items():
            samples[name].append(_batch(fn, counts[name]))
    return samples


async def _abatch(fn: Callable[[], Awaitable[Any]], number: int) -> float:
    gc.collect()
    start = time.perf_counter()
    for _ in range(number):
        await fn()
    return (time.perf_counter() - start) / number


async def ainterleave(
    sides: Mapping[str, Callable[[], Awaitable[Any]]],
    *,
    rounds: int,
    number: Counts = 1,
    warmup: int = 1,
) -> Dict[str, List[float]]:
    """interleave() for coroutine functions, awaited one at a time in the running loop."""
    counts = number if isinstance(number, Mapping) else dict.fromkeys(sides, number)
    for _ in range(warmup):
        for name, fn in sides.items():
            await _abatch(fn, counts[name])
    samples: Dict[str, List[float]] = {name: [] for name in sides}
    for _ in range(rounds):
        for name, fn in sides.items():
            samples[name].append(await _abatch(fn, counts[name]))
    return samples


def quiet_http_logs() -> None:
    """Silence urllib3's "connection pool is full" warnings: both sides of a race get them."""
    logging.getLogger("urllib3").setLevel(logging.ERROR)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def render_markdown(result: Result) -> str:
    lines = [
        f"## {result.title}",
        "",
        "| measure | chatgpt4o | baseline | ratio | goal | verdict |",
        "|---|---|---|---|---|---|",
    ]
    for row in result.rows:
        cells = (row.measure, row.sdk, row.baseline, row.ratio, row.goal, row.verdict)
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    if result.notes:
        lines.append("")
        lines.extend(f"- {note}" for note in result.notes)
    lines.append("")
    return "\n".join(lines)


def render_text(result: Result) -> str:
    header = ("measure", "chatgpt4o", "baseline", "ratio", "goal", "verdict")
    table = [header] + [
        (r.measure, r.sdk, r.baseline, r.ratio, r.goal, r.verdict.strip("*")) for r in result.rows
    ]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    lines = [f"{result.title}  ({result.seconds:.1f} s)"]
    for index, row in enumerate(table):
        lines.append("  " + "  ".join(cell.ljust(width) for cell, width in zip(row, widths)))
        if index == 0:
            lines.append("  " + "  ".join("-" * width for width in widths))
    lines.extend(f"  * {note}" for note in result.notes)
    return "\n".join(lines)


def main(run: Callable[[], Result]) -> None:
    """Run one benchmark from the command line: print its table; ``--json FILE`` saves it."""
    parser = argparse.ArgumentParser(description=(sys.modules["__main__"].__doc__ or "").strip())
    parser.add_argument("--json", metavar="FILE", help="also write the result as JSON to FILE")
    args = parser.parse_args()
    start = time.perf_counter()
    result = run()
    result.seconds = time.perf_counter() - start
    print(render_text(result), flush=True)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump(result.to_json(), out)
