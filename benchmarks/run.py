"""Run every benchmark, print a summary and write benchmarks/RESULTS.md.

Usage::

    python benchmarks/run.py                 # all of them, about two minutes
    python benchmarks/run.py extract stream  # some of them (names as in bench_<name>.py)

Each benchmark runs in its own interpreter (no imports, threads or servers carried over from
the one before) and hands its table back as JSON. The figures are ratios measured within one
run on one machine; they report, they don't gate: the exit status is 0 even when a goal is
missed.
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
from typing import List

from _common import Result, render_markdown

HERE = Path(__file__).resolve().parent
ORDER = (
    "extract",
    "overhead",
    "cold",
    "throughput",
    "stream",
    "import",
    "serve",
    "provider",
)


def _run_one(name: str) -> Result:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / f"{name}.json"
        script = HERE / f"bench_{name}.py"
        subprocess.run([sys.executable, str(script), "--json", str(out)], check=True)
        return Result.from_json(json.loads(out.read_text(encoding="utf-8")))


def _versions() -> str:
    names = ("chatgpt4o", "requests", "httpx", "httpcore", "beautifulsoup4", "tenacity")
    found = []
    for name in names:
        try:
            found.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            found.append(f"{name} (not installed)")
    return ", ".join(found)


def _machine() -> List[str]:
    return [
        f"- date: {datetime.datetime.now().astimezone().strftime('%Y-%m-%d %H:%M %Z')}",
        f"- machine: {os.cpu_count()} cores, {platform.platform()}",
        f"- Python: {platform.python_implementation()} {platform.python_version()}",
        f"- libraries: {_versions()}",
    ]


def _summary(results: List[Result]) -> List[str]:
    lines = [
        "| benchmark | measure | chatgpt4o | ratio | goal | verdict |",
        "|---|---|---|---|---|---|",
    ]
    for result in results:
        for row in result.rows:
            if row.met is None:
                continue
            cells = (result.title, row.measure, row.sdk, row.ratio, row.goal, row.verdict)
            lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return lines


def write_results(results: List[Result], seconds: float) -> Path:
    parts = [
        "# Benchmark results",
        "",
        "Written by `python benchmarks/run.py`; see README.md in this folder for what each "
        "benchmark measures and how. Ratios compare two ways of doing the same work, measured "
        "in turn within one run on this machine; absolute times are for scale only.",
        "",
        *_machine(),
        f"- total run time: {seconds:.0f} s",
        "",
        "## Summary",
        "",
        *_summary(results),
        "",
    ]
    parts += [render_markdown(result) for result in results]
    path = HERE / "RESULTS.md"
    path.write_text("\n".join(parts), encoding="utf-8")
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help=f"benchmarks to run: {', '.join(ORDER)}")
    args = parser.parse_args()
    unknown = sorted(set(args.names) - set(ORDER))
    if unknown:
        parser.error(f"unknown benchmark {unknown[0]!r}; choose from {', '.join(ORDER)}")
    names = [name for name in ORDER if name in args.names] if args.names else list(ORDER)
    start = time.perf_counter()
    results = []
    for name in names:
        results.append(_run_one(name))
        print(flush=True)
    seconds = time.perf_counter() - start
    print("Summary")
    for line in _summary(results):
        print("  " + line)
    path = write_results(results, seconds)
    print(f"\n{len(results)} benchmarks in {seconds:.0f} s; wrote {path.relative_to(HERE.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
