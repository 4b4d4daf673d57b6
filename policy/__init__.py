"""llm-fleet's guardrails: the rule pack, its engine and the cost model.

One implementation, two front doors: ``llmfleet policy`` (offline, on a Plan) and
``pulumi preview --policy-pack policy`` (CrossGuard, policy/__main__.py). Policy imports
``serving`` (the capacity planner) and never infra or a Pulumi resource SDK.
"""

from __future__ import annotations

from typing import Any

__all__ = ["CostReport", "PolicyReport", "all_rules", "estimate_cost", "evaluate_plan"]


def __getattr__(name: str) -> Any:
    # Lazy: importing `policy` (for example from the CrossGuard pack) loads nothing heavy.
    if name in ("evaluate_plan", "PolicyReport"):
        from policy import engine

        return getattr(engine, name)
    if name in ("estimate_cost", "CostReport"):
        from policy import cost

        return getattr(cost, name)
    if name == "all_rules":
        from policy.rules import all_rules

        return all_rules
    raise AttributeError(name)
