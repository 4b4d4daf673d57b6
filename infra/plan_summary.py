"""The summary `llmfleet plan` prints: resources per target and type, the policy and cost lines."""

from __future__ import annotations

from collections import Counter
from typing import Any

from rich.table import Table


def summary_table(plan: Any) -> Table:
    """Resources per target and type (components included, providers left out)."""
    counts: Counter[tuple[str, str]] = Counter()
    for resource in plan.resources:
        if resource.type.startswith("pulumi:providers:"):
            continue
        counts[(plan.target_of(resource) or "(stack)", resource.type)] += 1
    table = Table(title=f"llm-fleet plan: stack '{plan.stack}'", show_lines=False)
    table.add_column("target")
    table.add_column("resource type")
    table.add_column("count", justify="right")
    for (target, rtype), count in sorted(counts.items()):
        table.add_row(target, rtype, str(count))
    return table


def plan_footer(plan: Any) -> tuple[list[str], int]:
    """Policy and cost lines of the plan summary, and the exit code the policy implies."""
    lines: list[str] = []
    exit_code = 0
    try:
        from policy.engine import evaluate_plan, policy_summary_line
    except ImportError:
        pass
    else:
        report = evaluate_plan(plan.to_json())
        lines.append(policy_summary_line(report))
        exit_code = report.exit_code
    try:
        from policy.cost import cost_summary_line, estimate_cost
    except ImportError:
        pass
    else:
        lines.append(cost_summary_line(estimate_cost(plan.to_json())))
    return lines, exit_code
