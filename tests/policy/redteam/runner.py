"""Apply a mutation to prod and judge it the way `llmfleet policy prod` would.

Plan mutations edit a deep copy of the real prod Plan; config mutations edit the parsed
``llm-fleet:`` values of Pulumi.prod.yaml and evaluate the real program offline into a new
Plan. Outcomes: ``blocked`` (a mandatory finding the unmutated prod does not have: exit 1),
``refused`` (the config validator or the program refuses the edit: exit 2, nothing deploys),
``passed`` (exit 0).
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, replace
from pathlib import Path

from infra.config import ConfigError
from infra.plan import evaluate_config
from infra.stackfile import load_stack_file
from policy.engine import evaluate_plan
from serving.errors import LlmFleetError
from tests.policy.redteam.edits import Doc, Mutation

ROOT = Path(__file__).resolve().parents[3]
Key = tuple[str, str, str]


@dataclass(frozen=True)
class Outcome:
    verdict: str  # blocked | refused | passed | leaked
    findings: list[str]
    changed: bool

    @property
    def stopped(self) -> bool:
        return self.verdict in ("blocked", "refused")


def blocking(plan: Doc) -> set[Key]:
    report = evaluate_plan(plan)
    return {(f.rule, f.urn, f.message) for f in report.mandatory}


def _leak_checked(outcome: Outcome, planted: str | None) -> Outcome:
    """A finding or refusal that repeats the planted secret is itself a leak (never a pass)."""
    if planted and any(planted in line for line in outcome.findings):
        return replace(
            outcome, verdict="leaked", findings=[line.replace(planted, "[planted]") for line in outcome.findings]
        )
    return outcome


def judge(plan: Doc, before: set[Key], changed: bool) -> Outcome:
    new = sorted(blocking(plan) - before)
    return Outcome(
        "blocked" if new else "passed", [f"{rule} {urn.rsplit('::', 1)[-1]}: {msg}" for rule, urn, msg in new], changed
    )


def run_plan_mutation(prod: Doc, before: set[Key], m: Mutation) -> Outcome:
    plan = copy.deepcopy(prod)
    m.edit(plan)
    return _leak_checked(judge(plan, before, plan != prod), m.planted)


def run_config_mutation(prod: Doc, before: set[Key], m: Mutation) -> Outcome:
    return _leak_checked(_run_config(prod, before, m), m.planted)


def _run_config(prod: Doc, before: set[Key], m: Mutation) -> Outcome:
    stack_file = load_stack_file("prod", ROOT)
    values = copy.deepcopy(stack_file.values)
    m.edit(values)
    changed = values != stack_file.values
    mutated = replace(stack_file, values=values)
    try:
        plan = evaluate_config(mutated, mutated.parse()).to_json()
    except ConfigError as exc:
        return Outcome("refused", list(exc.lines), changed)
    except LlmFleetError as exc:
        return Outcome("refused", [str(exc).splitlines()[0]], changed)
    plan = json.loads(json.dumps(plan))
    return judge(plan, before, changed and plan != prod)
