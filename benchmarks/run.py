"""Run the benchmarks, print their tables and write benchmarks/RESULTS.md.

Usage::

    python benchmarks/run.py                 # all of them, a few minutes; writes RESULTS.md
    python benchmarks/run.py overhead serve  # some of them (and writes only those)
    python benchmarks/run.py --quick         # a few rounds each: shows they run; no RESULTS.md

Each benchmark runs in a fresh interpreter (no imports, threads or servers carried over) and
hands its table back as JSON. The figures are ratios measured within one run on one machine;
they report, they don't gate: the exit status is 0 even when a goal is missed.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path
from typing import List, Optional, Sequence

from _harness import Result, markdown, text
from measures import BENCHMARKS

HERE = Path(__file__).resolve().parent
LIBRARIES = ("chatgpt4o", "requests", "httpx", "httpcore", "beautifulsoup4", "tenacity", "uvicorn")


def _in_child(name: str, quick: bool) -> Result:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "result.json"
        argv = [sys.executable, __file__, "--child", name, "--json", str(out)]
        done = subprocess.run(argv + ["--quick"] * quick)
        if done.returncode:  # its traceback is on stderr; the others still run
            return Result(f"{name}: failed (exit status {done.returncode})")
        return Result.from_json(json.loads(out.read_text(encoding="utf-8")))


def _version(name: str) -> str:
    try:
        return f"{name} {metadata.version(name)}"
    except metadata.PackageNotFoundError:
        return f"{name} (not installed)"


def _summary(results: Sequence[Result]) -> List[str]:
    lines = ["| measure | chatgpt4o | ratio | goal | verdict |", "|---|---|---|---|---|"]
    for result in results:
        for row in result.rows:
            if row.met is not None:
                lines.append(
                    f"| {row.measure} | {row.sdk} | {row.ratio} | {row.goal} | {row.verdict} |"
                )
    return lines


def write_results(results: Sequence[Result], seconds: float) -> Path:
    now = datetime.datetime.now().astimezone()
    parts = [
        "# Benchmark results",
        "",
        "Written by `python benchmarks/run.py` (see README.md here for what is measured and "
        "how). Ratios compare chatgpt4o with hand-written code doing the same work, both "
        "measured in turn within one run on this machine; absolute times are for scale.",
        "",
        f"- date: {now.strftime('%Y-%m-%d %H:%M %Z')}; total run time {seconds:.0f} s",
        f"- machine: {os.cpu_count()} cores, {platform.platform()}; "
        f"{platform.python_implementation()} {platform.python_version()}",
        f"- libraries: {', '.join(_version(name) for name in LIBRARIES)}",
        "",
        "## Summary",
        "",
        *_summary(results),
        "",
        *(markdown(result) for result in results),
    ]
    path = HERE / "RESULTS.md"
    path.write_text("\n".join(parts), encoding="utf-8")
    return path


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", metavar="NAME", help=", ".join(BENCHMARKS))
    parser.add_argument("--quick", action="store_true", help="a few rounds each; no RESULTS.md")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--json", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        start = time.perf_counter()
        result = BENCHMARKS[args.child](args.quick)
        result.seconds = time.perf_counter() - start
        Path(args.json).write_text(json.dumps(result.to_json()), encoding="utf-8")
        return 0
    unknown = sorted(set(args.names) - set(BENCHMARKS))
    if unknown:
        parser.error(f"unknown benchmark {unknown[0]!r}; choose from {', '.join(BENCHMARKS)}")
    start = time.perf_counter()
    results = []
    for name in [name for name in BENCHMARKS if name in args.names or not args.names]:
        results.append(_in_child(name, args.quick))
        print(text(results[-1]) + "\n", flush=True)
    seconds = time.perf_counter() - start
    print("\n".join(["Summary", *_summary(results)]))
    if args.quick:
        print(f"\nquick run in {seconds:.0f} s (rough figures; RESULTS.md left as it was)")
    else:
        path = write_results(results, seconds)
        print(
            f"\n{len(results)} benchmarks in {seconds:.0f} s; wrote {path.relative_to(HERE.parent)}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
