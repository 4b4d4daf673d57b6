"""COST-07: the stack's monthly cost ceiling stays within its budget."""

from policy.rules.base import Violation, stack_rule


@stack_rule(
    id="COST-07",
    title="The stack's monthly cost ceiling stays within its budget",
    severity="high",
    category="cost",
    types=(),
    remediation="Lower pool maxima (gpuPools[].nodes.max, Karpenter GPU limits) or raise budget.monthlyUsd; see "
    "`llmfleet cost <stack>` for the itemized estimate.",
    references=("custom",),
)
def enforce_budget_ceiling(ctx):
    budget = ctx.settings.budget_usd
    if budget is None:
        yield Violation("budget.monthlyUsd is not set; expected the stack's monthly budget")
        return
    from policy.cost import estimate_context

    report = ctx.memo("cost", lambda: estimate_context(ctx))
    monthly = report.monthly
    if monthly.ceiling > budget:
        yield Violation(
            f"monthly ceiling ${monthly.ceiling:,.0f} exceeds budget.monthlyUsd ${budget:,.0f} "
            f"(floor ${monthly.floor:,.0f}, expected ${monthly.expected:,.0f})"
        )
