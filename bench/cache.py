"""Benchmark: `plan`, then `policy`, then `report` on the same unchanged stack, each a fresh
process of the installed command with an empty evaluation cache at the start. The first
evaluates the program; the next ones reuse its Plan. Goal: each later command at most 30%
of the first one's time.

    .venv/bin/python bench/cache.py [--stack prod] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LLMFLEET = Path(sys.executable).parent / "llmfleet"
GOAL = 0.30


def timed(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    result = subprocess.run([str(LLMFLEET), *argv], cwd=ROOT, env=env, capture_output=True, check=False)
    elapsed = time.perf_counter() - start
    if result.returncode not in (0, 1):
        sys.exit(f"{' '.join(argv)} exited {result.returncode}: {result.stderr.decode()[-500:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--stack", default="prod")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rows: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as scratch:
        for run in range(args.repeat):
            env = {**os.environ, "LLMFLEET_CACHE_DIR": f"{scratch}/cache-{run}"}
            commands = {
                "plan (first: evaluates)": ["plan", args.stack],
                "policy (cache)": ["policy", args.stack, "--format", "json"],
                "report (cache)": ["report", args.stack, "--out", f"{scratch}/report.html"],
                "policy --no-cache": ["policy", args.stack, "--format", "json", "--no-cache"],
            }
            for label, argv in commands.items():
                rows.setdefault(label, []).append(timed(argv, env))
    first = statistics.median(rows["plan (first: evaluates)"])
    print(f"stack {args.stack}, {args.repeat} runs, medians (s) on {os.cpu_count()} CPUs")
    print(f"{'command':<26}{'median s':>10}{'of first':>10}")
    worst = 0.0
    for label, times in rows.items():
        share = statistics.median(times) / first
        if "(cache)" in label:
            worst = max(worst, share)
        print(f"{label:<26}{statistics.median(times):>10.2f}{share:>10.0%}")
    verdict = "meets" if worst <= GOAL else "MISSES"
    print(f"slowest cached command: {worst:.0%} of the first ({verdict} the goal of at most {GOAL:.0%})")


if __name__ == "__main__":
    main()
