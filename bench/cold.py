"""Benchmark: the cold path. `llmfleet policy prod` in a fresh process without the
evaluation cache (imports, the real program under the SDK's mock runtime, every rule)
side by side with Checkov on the already-rendered prod manifests. Prints both medians and
the ratio (goal: 1.0x or less). Checkov runs from .venv-checkov (`make checkov-venv`, or a
symlink to an installed one).

    .venv/bin/python bench/cold.py [--repeat 3]
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
CHECKOV = ROOT / ".venv-checkov" / "bin" / "checkov"


def timed(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    result = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, check=False, timeout=1800)
    elapsed = time.perf_counter() - start
    if result.returncode not in (0, 1):
        sys.exit(f"{' '.join(argv)} exited {result.returncode}: {result.stderr.decode()[-800:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if not CHECKOV.exists():
        sys.exit(f"{CHECKOV} not found: `make checkov-venv` or ln -s <checkov venv> .venv-checkov")
    with tempfile.TemporaryDirectory() as scratch:
        env = {**os.environ, "LLMFLEET_CACHE_DIR": f"{scratch}/cache"}
        manifests = Path(scratch) / "prod"
        subprocess.run([str(LLMFLEET), "render", "prod", "--out", str(manifests), "--quiet"], env=env, check=True)
        ours_argv = [str(LLMFLEET), "policy", "prod", "--no-cache", "--quiet", "--format", "json"]
        checkov_argv = [
            str(CHECKOV), "-d", str(manifests), "--framework", "kubernetes",
            "--skip-download", "--quiet", "--compact", "-o", "json",
        ]  # fmt: skip
        ours, checkov = [], []
        for _ in range(args.repeat):  # interleaved, so both see the same machine load
            ours.append(timed(ours_argv, env))
            checkov.append(timed(checkov_argv, env))
    o, c = statistics.median(ours), statistics.median(checkov)
    print(f"cold `llmfleet policy prod --no-cache`: median {o:.2f} s over {args.repeat} runs {ours}")
    print(f"checkov on the rendered prod manifests: median {c:.2f} s over {args.repeat} runs {checkov}")
    print(f"ratio llmfleet/checkov: {o / c:.2f}x (goal: 1.0x or less); {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
