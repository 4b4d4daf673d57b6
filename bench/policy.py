"""Benchmark: the rule pack over generated Plans of 1k and 10k resources (goal: 10k in
under 2 s), and Checkov on the same rendered Kubernetes manifests, as a ratio.

The generated Plans repeat the real prod Plan's resources (copy ``i`` renames every
resource ``<name>-c<i>`` and remaps URNs, parents and providers), so every rule, resource
and stack-wide join alike, runs on realistic props. Checkov runs from ``.venv-checkov``
(``make checkov-venv``, requirements/checkov.txt); without it the ratio is skipped.

    .venv/bin/python bench/policy.py [--source prod|baseline] [--sizes 1000,10000] [--checkov-size 1000]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from policy.engine import evaluate_plan  # noqa: E402
from policy.rules import all_rules  # noqa: E402

CHECKOV = ROOT / ".venv-checkov" / "bin" / "checkov"
GOAL_10K_S = 2.0


def source_plan(source: str) -> dict[str, Any]:
    if source == "baseline":
        from tests.policy.baseline import baseline

        return baseline()
    from infra.plan import evaluate_stack

    return evaluate_stack(source, ROOT).to_json()


def generated_plan(template: dict[str, Any], size: int) -> dict[str, Any]:
    """``template``'s resources repeated (renamed per copy) until there are ``size``."""
    resources = template["resources"]
    out: list[dict[str, Any]] = []
    copy_index = 0
    while len(out) < size:
        suffix = f"-c{copy_index}"
        urns = {r["urn"]: r["urn"] + suffix for r in resources}
        for r in resources:
            if len(out) >= size:
                break
            clone = json.loads(json.dumps(r))
            clone["urn"] = urns[r["urn"]]
            # Target components keep their names (the config knows them); everything else is renamed.
            if not r["type"].endswith(":Target"):
                clone["name"] = r["name"] + suffix
            clone["parent"] = urns.get(r["parent"], r["parent"])
            clone["provider"] = urns.get(r["provider"], r["provider"])
            out.append(clone)
        copy_index += 1
    return {**template, "resources": out}


def time_rules(plan: dict[str, Any], repeat: int = 3) -> tuple[float, int]:
    times, findings = [], 0
    for _ in range(repeat):
        start = time.perf_counter()
        report = evaluate_plan(plan)
        times.append(time.perf_counter() - start)
        findings = len(report.findings)
    return statistics.median(times), findings


def kubernetes_manifests(plan: dict[str, Any]) -> list[dict[str, Any]]:
    """Every Kubernetes object of the Plan as a manifest (Helm releases have none to render)."""
    out = []
    for r in plan["resources"]:
        props = r["props"]
        if r["type"].startswith("kubernetes:") and "apiVersion" in props and "kind" in props:
            out.append(props)
    return out


def time_checkov(manifests: list[dict[str, Any]]) -> tuple[float, int] | None:
    if not CHECKOV.exists():
        return None
    import yaml

    with tempfile.TemporaryDirectory() as tmp:
        for index, manifest in enumerate(manifests):
            Path(tmp, f"{index:05d}.yaml").write_text(yaml.safe_dump(manifest, sort_keys=False), encoding="utf-8")
        start = time.perf_counter()
        result = subprocess.run(
            [
                str(CHECKOV),
                "-d",
                tmp,
                "--framework",
                "kubernetes",
                "--skip-download",
                "--quiet",
                "--compact",
                "-o",
                "json",
            ],
            capture_output=True,
            text=True,
            check=False,
            timeout=1800,
        )
        elapsed = time.perf_counter() - start
    failed = 0
    try:
        data = json.loads(result.stdout)
        for block in data if isinstance(data, list) else [data]:
            failed += int(block.get("summary", {}).get("failed", 0))
    except (json.JSONDecodeError, AttributeError):
        failed = -1
    return elapsed, failed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", default="prod", help="stack to replicate (or 'baseline': the test fixture)")
    parser.add_argument("--sizes", default="1000,10000", help="resource counts of the generated Plans")
    parser.add_argument(
        "--checkov-size", type=int, default=1000, help="Plan size whose manifests Checkov scans (0: skip)"
    )
    args = parser.parse_args(argv)

    start = time.perf_counter()
    template = source_plan(args.source)
    print(
        f"source: {args.source} ({len(template['resources'])} resources, evaluated in {time.perf_counter() - start:.1f} s)"
    )
    start = time.perf_counter()
    all_rules()
    evaluate_plan(template)  # warm-up: rule modules, the capacity planner, the price catalogue
    print(f"warm-up (imports + one evaluation): {time.perf_counter() - start:.2f} s; {len(all_rules())} rules")

    ok = True
    for size in (int(s) for s in args.sizes.split(",")):
        plan = generated_plan(template, size)
        seconds, findings = time_rules(plan)
        per_k = seconds / size * 1000
        line = f"rules on {size:>6,} resources: {seconds:6.3f} s  ({per_k * 1000:.1f} ms per 1k resources; {findings} findings)"
        if size >= 10000:
            verdict = "ok" if seconds < GOAL_10K_S else "SLOWER than the goal"
            line += f"  goal < {GOAL_10K_S:.0f} s: {verdict}"
            ok = ok and seconds < GOAL_10K_S
        print(line)

    if args.checkov_size:
        plan = generated_plan(template, args.checkov_size)
        manifests = kubernetes_manifests(plan)
        k8s_plan = {**plan, "resources": [r for r in plan["resources"] if r["type"].startswith("kubernetes:")]}
        ours, _ = time_rules(k8s_plan)
        checkov = time_checkov(manifests)
        if checkov is None:
            print(f"checkov: skipped ({CHECKOV} not found; `make checkov-venv`)")
        else:
            elapsed, failed = checkov
            print(
                f"checkov on the same {len(manifests)} manifests: {elapsed:.2f} s ({failed} failed checks); "
                f"our rules on those objects: {ours:.3f} s; ratio checkov/ours = {elapsed / max(ours, 1e-9):,.0f}x"
            )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
