"""Import cost: ``python -c "import chatgpt4o"`` vs ``python -c "import requests"``.

Fresh interpreters, alternating, wall time of each (interpreter start-up included, as a user
sees it); ``python -c pass`` is timed alongside to show the start-up share. Then which heavy
dependencies each step loads: ``import chatgpt4o`` should load none of requests, httpx, bs4 and
tenacity; ``chatgpt4o.Client`` needs requests and tenacity but not httpx or bs4;
``chatgpt4o.AsyncClient`` needs httpx; bs4 waits for the first page to scrape.
Goal: chatgpt4o / requests <= 1.2.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from typing import Dict, List

from _common import Result, Row, fmt_ratio, fmt_time, main, median

ROUNDS = 15
HEAVY = ("requests", "httpx", "bs4", "tenacity")
STATEMENTS = {
    "chatgpt4o": "import chatgpt4o",
    "requests": "import requests",
    "bare": "pass",
}
# Each step runs after the ones before it, in one interpreter.
STEPS = (
    ("import chatgpt4o", "import chatgpt4o"),
    ("chatgpt4o.Client", "chatgpt4o.Client"),
    ("chatgpt4o.AsyncClient", "chatgpt4o.AsyncClient"),
)


def _time(statement: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", statement], check=True)
    return time.perf_counter() - start


def loaded_after_steps() -> Dict[str, List[str]]:
    """For each step, the heavy modules in sys.modules after it."""
    script = "\n".join(
        ["import json, sys", "out = {}"]
        + [
            f"{code}\nout[{label!r}] = [m for m in {HEAVY!r} if m in sys.modules]"
            for label, code in STEPS
        ]
        + ["print(json.dumps(out))"]
    )
    done = subprocess.run(
        [sys.executable, "-c", script], check=True, capture_output=True, text=True
    )
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def top_imports(count: int = 6) -> List[str]:
    """The slowest modules (cumulative, µs) under ``-X importtime`` for ``import chatgpt4o``."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import chatgpt4o"],
        check=True,
        capture_output=True,
        text=True,
    )
    rows = []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _, cumulative, name = line[len("import time:") :].split("|")
        rows.append((int(cumulative), name.strip()))
    rows.sort(reverse=True)
    return [f"{name} {us / 1000:.1f} ms" for us, name in rows[:count]]


def run() -> Result:
    for statement in STATEMENTS.values():  # warm the OS file cache and the .pyc files
        _time(statement)
    samples: Dict[str, List[float]] = {name: [] for name in STATEMENTS}
    for _ in range(ROUNDS):
        for name, statement in STATEMENTS.items():
            samples[name].append(_time(statement))
    sdk, req, bare = (median(samples[k]) for k in ("chatgpt4o", "requests", "bare"))
    ratio = sdk / req
    loaded = loaded_after_steps()
    first = loaded["import chatgpt4o"]
    client = loaded["chatgpt4o.Client"]
    async_client = loaded["chatgpt4o.AsyncClient"]
    lazy_ok = not first and not {"httpx", "bs4"} & set(client) and "bs4" not in async_client
    rows = [
        Row(
            '`python -c "import chatgpt4o"` vs `import requests`',
            fmt_time(sdk),
            fmt_time(req),
            fmt_ratio(ratio),
            "≤ 1.2×",
            ratio <= 1.2,
        ),
        Row(
            "↳ same, interpreter start-up (`python -c pass`) subtracted",
            fmt_time(sdk - bare),
            fmt_time(req - bare),
            fmt_ratio((sdk - bare) / (req - bare)),
        ),
        Row(
            "heavy modules loaded by `import chatgpt4o`",
            ", ".join(first) or "none",
            "—",
            "—",
            "none of " + ", ".join(HEAVY),
            not first,
        ),
        Row(
            "… then `chatgpt4o.Client`",
            ", ".join(client) or "none",
            "—",
            "—",
            "no httpx, no bs4",
            "httpx" not in client and "bs4" not in client,
        ),
        Row(
            "… then `chatgpt4o.AsyncClient`",
            ", ".join(async_client) or "none",
            "—",
            "—",
            "no bs4 (until a page is scraped)",
            "bs4" not in async_client,
        ),
    ]
    notes = [
        f"medians of {ROUNDS} fresh interpreters each, alternating chatgpt4o, requests, pass; "
        f"`python -c pass` took {fmt_time(bare)}",
    ]
    if not lazy_ok or ratio > 1.2:
        notes.append("slowest imports under -X importtime: " + "; ".join(top_imports()))
    return Result("import", "6. Import cost", rows, notes)


if __name__ == "__main__":
    main(run)
