"""What every measurement shares: interleaved timing, paired ratios, result rows and tables."""

from __future__ import annotations

import gc
import statistics
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Awaitable, Callable, Dict, List, Mapping, Optional, Sequence, Tuple

Samples = Dict[str, List[float]]


@dataclass
class Row:
    """One line of a table: what was measured, the two figures, their ratio, the goal."""

    measure: str
    sdk: str
    baseline: str = "—"
    ratio: str = "—"
    goal: str = "—"
    met: Optional[bool] = None  # None: the row only reports

    @property
    def verdict(self) -> str:
        return "—" if self.met is None else ("met" if self.met else "**missed**")


@dataclass
class Result:
    """One benchmark's table, its notes and how long it took."""

    title: str
    rows: List[Row] = field(default_factory=list)
    notes: List[str] = field(default_factory=list)
    seconds: float = 0.0

    def to_json(self) -> Dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Result:
        rows = [Row(**row) for row in data["rows"]]
        return cls(data["title"], rows, list(data["notes"]), data["seconds"])


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def paired(a: Sequence[float], b: Sequence[float]) -> Tuple[float, str]:
    """The median of a[i] / b[i] and the middle half of those ratios (``1.02–1.11``).

    Each pair ran back to back, so a drift in the machine's speed cancels within it.
    """
    ratios = [x / y for x, y in zip(a, b)]
    low, _, high = statistics.quantiles(ratios, n=4) if len(ratios) > 1 else ratios * 3
    return statistics.median(ratios), f"{low:.2f}–{high:.2f}"


def fmt_time(seconds: float) -> str:
    """``12.3 µs``, ``4.56 ms`` or ``1.23 s``."""
    if abs(seconds) < 1e-3:
        return f"{seconds * 1e6:.1f} µs"
    if abs(seconds) < 1.0:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"


def fmt_ratio(value: float) -> str:
    return f"{value:.2f}×"


def ratio_row(
    measure: str, samples: Samples, sdk: str, base: str, unit: str, goal: Optional[str] = None
) -> Tuple[Row, str]:
    """A row for paired samples of seconds per unit (lower is better): ``goal`` is ``"≤ 1.15"``
    style, or ``"≥ 0.85"`` when the samples are rates (higher is better)."""
    ratio, middle = paired(samples[sdk], samples[base])
    met = None
    if goal is not None:
        limit = float(goal.split()[1])
        met = ratio >= limit if goal.startswith("≥") else ratio <= limit
    return (
        Row(
            measure,
            f"{_fmt(median(samples[sdk]), unit)}",
            f"{_fmt(median(samples[base]), unit)}",
            fmt_ratio(ratio),
            f"{goal}×" if goal else "—",
            met,
        ),
        middle,
    )


def _fmt(value: float, unit: str) -> str:
    return f"{value:,.0f} {unit}" if unit.endswith("/s") else f"{fmt_time(value)}{unit}"


def _batch(fn: Callable[[], Any], number: int) -> float:
    gc.collect()  # one side's garbage is not the next side's pause
    start = time.perf_counter()
    for _ in range(number):
        fn()
    return (time.perf_counter() - start) / number


def interleave(
    sides: Mapping[str, Callable[[], Any]], *, rounds: int, number: int = 1, warmup: int = 1
) -> Samples:
    """Time each side in turn (A, B, A, B, ...): seconds per call, one sample per round."""
    for _ in range(warmup):
        for fn in sides.values():
            _batch(fn, number)
    samples: Samples = {name: [] for name in sides}
    for _ in range(rounds):
        for name, fn in sides.items():
            samples[name].append(_batch(fn, number))
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
    number: int = 1,
    warmup: int = 1,
) -> Samples:
    """interleave() for coroutine functions, awaited one at a time in the running loop."""
    for _ in range(warmup):
        for fn in sides.values():
            await _abatch(fn, number)
    samples: Samples = {name: [] for name in sides}
    for _ in range(rounds):
        for name, fn in sides.items():
            samples[name].append(await _abatch(fn, number))
    return samples


def _cells(row: Row) -> Tuple[str, ...]:
    return (row.measure, row.sdk, row.baseline, row.ratio, row.goal, row.verdict)


def markdown(result: Result) -> str:
    lines = [
        f"## {result.title}",
        "",
        "| measure | chatgpt4o | baseline | ratio | goal | verdict |",
        "|---|---|---|---|---|---|",
    ]
    lines += ["| " + " | ".join(_cells(row)) + " |" for row in result.rows]
    lines += [""] + [f"- {note}" for note in result.notes] + [""]
    return "\n".join(lines)


def text(result: Result) -> str:
    header = ("measure", "chatgpt4o", "baseline", "ratio", "goal", "verdict")
    table = [header] + [tuple(c.strip("*") for c in _cells(row)) for row in result.rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    lines = [f"{result.title}  ({result.seconds:.1f} s)"]
    lines += ["  " + "  ".join(c.ljust(w) for c, w in zip(row, widths)) for row in table]
    lines += [f"  * {note}" for note in result.notes]
    return "\n".join(lines)
