"""Run the whole red-team catalogue against prod and write GAPS.md.

    .venv/bin/python -m tests.policy.redteam.gaps [--reuse-config]

``--reuse-config`` takes the config outcomes of the last full run (cached under the system temp
directory) instead of evaluating the program ~50 times again: for a quick pass after Plan-only
changes; run it without the flag before committing a change to the config catalogue.

Prints mutations that pass unblocked but are not yet listed in catalogue.GAPS (add them there
with the missing rule) and listed gaps that are blocked now (remove them).
"""

from __future__ import annotations

import json
import re
import sys
import tempfile
from collections import Counter
from pathlib import Path

from infra.plan import evaluate_stack
from tests.policy.redteam.catalogue import CONFIG, FALSE_POSITIVES, GAPS, PLAN, SAFE_CONFIG_VARIANTS, SAFE_PLAN_VARIANTS
from tests.policy.redteam.edits import CLASSES
from tests.policy.redteam.runner import ROOT, Outcome, blocking, run_config_mutation, run_plan_mutation

GAPS_FILE = Path(__file__).with_name("GAPS.md")
_ITEM = re.compile(r"^- `([A-Z0-9-]+)`", re.MULTILINE)
CONFIG_CACHE = Path(tempfile.gettempdir()) / "llmfleet-redteam-config-outcomes.json"


def listed_ids(text: str) -> set[str]:
    return set(_ITEM.findall(text))


def _config_outcomes(prod: dict, before: set, reuse: bool) -> dict[str, Outcome]:
    ids = [m.id for m in [*CONFIG, *SAFE_CONFIG_VARIANTS]]
    if reuse and CONFIG_CACHE.is_file():
        cached = json.loads(CONFIG_CACHE.read_text(encoding="utf-8"))
        if sorted(cached) == sorted(ids):
            return {k: Outcome(**v) for k, v in cached.items()}
    outcomes = {m.id: run_config_mutation(prod, before, m) for m in [*CONFIG, *SAFE_CONFIG_VARIANTS]}
    CONFIG_CACHE.write_text(json.dumps({k: vars(v) for k, v in outcomes.items()}), encoding="utf-8")
    return outcomes


def main() -> int:
    prod = evaluate_stack("prod", ROOT).to_json()
    before = blocking(prod)
    outcomes = {m.id: run_plan_mutation(prod, before, m) for m in [*PLAN, *SAFE_PLAN_VARIANTS]}
    outcomes.update(_config_outcomes(prod, before, "--reuse-config" in sys.argv[1:]))

    mutations = [*PLAN, *CONFIG]
    safe = [*SAFE_PLAN_VARIANTS, *SAFE_CONFIG_VARIANTS]
    unchanged = [m.id for m in [*mutations, *safe] if not outcomes[m.id].changed]
    open_ = [m for m in mutations if not outcomes[m.id].stopped]
    refused = [m for m in mutations if outcomes[m.id].verdict == "refused"]
    false_pos = [m for m in safe if outcomes[m.id].verdict != "passed"]

    lines = [
        "# Red-team gaps (generated: `python -m tests.policy.redteam.gaps`)",
        "",
        f"Prod baseline: {len(before)} mandatory findings before any mutation.",
        f"Mutations: {len(mutations)} ({len(PLAN)} Plan edits, {len(CONFIG)} config edits); "
        f"stopped {len(mutations) - len(open_)} (exit 1: {len(mutations) - len(open_) - len(refused)}, "
        f"refused by config validation, exit 2: {len(refused)}); open {len(open_)}.",
        f"Safe variants: {len(safe)}; false positives {len(false_pos)}.",
        "",
        "| class | mutations | stopped |",
        "| --- | --- | --- |",
    ]
    by_class = Counter(m.cls for m in mutations)
    stopped_by_class = Counter(m.cls for m in mutations if outcomes[m.id].stopped)
    lines += [f"| {c} | {by_class[c]} | {stopped_by_class[c]} |" for c in CLASSES]
    lines += ["", "## Not blocked yet (strict xfail in catalogue.GAPS)", ""]
    lines += [
        f"- `{m.id}` [{m.cls}; {m.ref}] {m.what} -- missing: {GAPS.get(m.id, '(not recorded yet)')}" for m in open_
    ] or ["(none)"]
    lines += ["", "## False positives on safe variants (catalogue.FALSE_POSITIVES)", ""]
    lines += [f"- `{m.id}` {m.what}: {'; '.join(outcomes[m.id].findings)[:400]}" for m in false_pos] or ["(none)"]
    lines += ["", "## Stopped only by config validation (exit 2, not a policy finding)", ""]
    lines += [f"  {m.id}: {outcomes[m.id].findings[0][:200] if outcomes[m.id].findings else ''}" for m in refused] or [
        "(none)"
    ]
    GAPS_FILE.write_text("\n".join(lines) + "\n", encoding="utf-8")

    new = [m.id for m in open_ if m.id not in GAPS]
    closed = [i for i in GAPS if outcomes.get(i) is not None and outcomes[i].stopped]
    fp_new = [m.id for m in false_pos if m.id not in FALSE_POSITIVES]
    fp_closed = [i for i in FALSE_POSITIVES if outcomes[i].verdict == "passed"]
    print("\n".join(lines))
    print(
        f"\nunchanged edits: {unchanged}\nnew gaps: {new}\nclosed gaps: {closed}\n"
        f"new false positives: {fp_new}\nfixed false positives: {fp_closed}"
    )
    return 1 if unchanged else 0


if __name__ == "__main__":
    sys.exit(main())
