"""Run one rule on a Plan and mutate Plans: the tools the rule cases use."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from policy.engine import evaluate_plan
from policy.rules import all_rules
from policy.rules.base import Rule
from tests.policy.baseline import TODAY, baseline

Mutation = Callable[[dict[str, Any]], None]


def rules_by_id() -> dict[str, Rule]:
    return {r.meta.id: r for r in all_rules()}


def run_rule(rule_id: str, plan: dict[str, Any], today: dt.date = TODAY) -> dict[str, list[str]]:
    """{resource name: [messages]} of one rule's findings (the stack itself is 'llm-fleet-prod')."""
    report = evaluate_plan(plan, today, rules=[rules_by_id()[rule_id]])
    out: dict[str, list[str]] = {}
    for finding in report.findings:
        if finding.rule == rule_id:
            out.setdefault(finding.name, []).append(finding.message)
    return {k: sorted(v) for k, v in out.items()}


@dataclass(frozen=True)
class Case:
    """A named change to the baseline and the exact findings it must produce ({} = passes)."""

    name: str
    change: Mutation | None = None
    expected: dict[str, list[str]] = field(default_factory=dict)

    def plan(self) -> dict[str, Any]:
        plan = baseline()
        if self.change is not None:
            self.change(plan)
        return plan


def cases_params(cases: dict[str, list[Case]]) -> list[Any]:
    import pytest

    return [
        pytest.param(rule_id, case, id=f"{rule_id}-{case.name}") for rule_id, items in cases.items() for case in items
    ]


def check(rule_id: str, case: Case) -> None:
    assert run_rule(rule_id, case.plan()) == {k: sorted(v) for k, v in case.expected.items()}


# -- mutations ------------------------------------------------------------------------------


def resource(plan: dict[str, Any], name: str) -> dict[str, Any]:
    for r in plan["resources"]:
        if r["name"] == name:
            return r
    raise KeyError(name)


def _walk(container: Any, keys: list[str]) -> Any:
    for key in keys:
        container = container[int(key)] if isinstance(container, list) else container.setdefault(key, {})
    return container


def _keys(path: str | tuple[str, ...]) -> list[str]:
    return list(path) if isinstance(path, tuple) else path.split(".")


def set_(name: str, path: str | tuple[str, ...], value: Any) -> Mutation:
    """Set props at a dotted path ('spec.template.spec.containers.0.image'; a tuple for keys with dots)."""

    def change(plan: dict[str, Any]) -> None:
        keys = _keys(path)
        parent = _walk(resource(plan, name)["props"], keys[:-1])
        if isinstance(parent, list):
            parent[int(keys[-1])] = value
        else:
            parent[keys[-1]] = value

    return change


def drop(name: str, path: str | tuple[str, ...]) -> Mutation:
    def change(plan: dict[str, Any]) -> None:
        keys = _keys(path)
        parent = _walk(resource(plan, name)["props"], keys[:-1])
        if isinstance(parent, list):
            del parent[int(keys[-1])]
        else:
            parent.pop(keys[-1], None)

    return change


def remove(*names: str) -> Mutation:
    def change(plan: dict[str, Any]) -> None:
        plan["resources"] = [r for r in plan["resources"] if r["name"] not in names]

    return change


def attr(name: str, key: str, value: Any) -> Mutation:
    """Set a resource attribute other than props (protect, provider, parent)."""

    def change(plan: dict[str, Any]) -> None:
        resource(plan, name)[key] = value

    return change


def config(path: str, value: Any) -> Mutation:
    def change(plan: dict[str, Any]) -> None:
        keys = path.split(".")
        parent = _walk(plan["config"], keys[:-1])
        if isinstance(parent, list):
            parent[int(keys[-1])] = value
        else:
            parent[keys[-1]] = value

    return change


def add(res: dict[str, Any]) -> Mutation:
    def change(plan: dict[str, Any]) -> None:
        plan["resources"].append(res)

    return change


def chain(*changes: Mutation) -> Mutation:
    def change(plan: dict[str, Any]) -> None:
        for c in changes:
            c(plan)

    return change
