"""Benchmark: time of the offline plan for prod and for generated stacks of 1, 10 and 50
model placements. Prints figures; the goal is prod under 5 s on a 2-core machine and
growth linear in placements.

    .venv/bin/python bench/plan.py
"""

from __future__ import annotations

import copy
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from infra.plan.runner import evaluate_config, evaluate_stack  # noqa: E402
from infra.stackfile import load_stack_file  # noqa: E402

ARCHITECTURES = ["llama-3.1-8b", "qwen2.5-7b", "qwen3-8b", "mistral-7b-v0.3"]


def generated_stack(placements: int):
    """prod's targets, with ``placements`` model placements spread over its L40S/L4 pools."""
    stack_file = load_stack_file("prod", ROOT)
    values = copy.deepcopy(stack_file.values)
    template = values["models"][0]
    pools = [("aws-use1", "l40s"), ("gcp-usc1", "l4")]
    models = []
    for i in range((placements + len(pools) - 1) // len(pools)):
        model = copy.deepcopy(template)
        model["name"] = f"model-{i:03d}"
        model["architecture"] = ARCHITECTURES[i % len(ARCHITECTURES)]
        model["placements"] = [
            {"target": t, "pool": p, "replicas": {"min": 1, "max": 2}}
            for t, p in pools[: min(len(pools), placements - i * len(pools))]
        ]
        models.append(model)
    values["models"] = models
    values["routing"] = []
    generated = type(stack_file)(
        stack_file.stack, stack_file.path, values, stack_file.secure_keys, stack_file.provider_config
    )
    return generated, generated.parse()


def timed(fn, repeat: int = 3) -> tuple[float, int]:
    times, count = [], 0
    for _ in range(repeat):
        start = time.perf_counter()
        plan = fn()
        times.append(time.perf_counter() - start)
        count = len(plan.resources)
    return statistics.median(times), count


def main() -> None:
    print(f"{'stack':<22}{'placements':>11}{'resources':>11}{'median s':>10}{'ms/placement':>14}")
    seconds, count = timed(lambda: evaluate_stack("prod", ROOT))
    prod_placements = sum(len(m["placements"]) for m in load_stack_file("prod", ROOT).values["models"])
    print(f"{'prod':<22}{prod_placements:>11}{count:>11}{seconds:>10.2f}{1000 * seconds / prod_placements:>14.0f}")
    previous: tuple[int, float] | None = None
    marginal = []
    for n in (1, 10, 50):
        stack_file, config = generated_stack(n)
        seconds, count = timed(lambda sf=stack_file, c=config: evaluate_config(sf, c), repeat=1 if n == 50 else 3)
        print(f"{'generated':<22}{n:>11}{count:>11}{seconds:>10.2f}{1000 * seconds / n:>14.0f}")
        if previous is not None:
            marginal.append((previous[0], n, 1000 * (seconds - previous[1]) / (n - previous[0])))
        previous = (n, seconds)
    for low, high, ms in marginal:
        print(f"marginal cost {low:>2} -> {high:>2} placements: {ms:.0f} ms per added placement")
    print("goal: prod < 5 s; the marginal cost per placement stays flat (linear growth)")


if __name__ == "__main__":
    main()
