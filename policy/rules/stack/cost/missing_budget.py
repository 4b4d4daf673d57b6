"""COST-08: each cloud account has a budget with actual and forecast alerts."""

from policy.props import as_list, get, number
from policy.rules.base import Violation, stack_rule

AWS_BUDGET = "aws:budgets/budget:Budget"
GCP_BUDGET = "gcp:billing/budget:Budget"


def _aws_alerts(budget) -> set[str]:
    kinds = set()
    for note in as_list(get(budget.props, "notifications")):
        if as_list(get(note, "subscriberEmailAddresses")) or as_list(get(note, "subscriberSnsTopicArns")):
            kinds.add(str(get(note, "notificationType")))
    return kinds


def _gcp_alerts(budget) -> set[str]:
    return {str(get(r, "spendBasis", "CURRENT_SPEND")) for r in as_list(get(budget.props, "thresholdRules"))}


@stack_rule(
    id="COST-08",
    title="Each cloud account has a budget with actual and forecast alerts",
    severity="medium",
    category="cost",
    types=(AWS_BUDGET, GCP_BUDGET),
    remediation="AWS: aws.budgets.Budget (COST, MONTHLY, limitAmount <= budget.monthlyUsd) with ACTUAL and FORECASTED "
    "notifications to budget.notifyEmails. GCP: gcp.billing.Budget on the target's billingAccount with threshold "
    "rules on CURRENT_SPEND and FORECASTED_SPEND.",
    references=("custom",),
)
def missing_budget(ctx):
    limit = ctx.settings.budget_usd
    kinds = {t.get("kind") for t in ctx.settings.targets}
    if "aws" in kinds:
        budgets = [b for b in ctx.of_type(AWS_BUDGET) if get(b.props, "budgetType", "COST") == "COST"]
        if not budgets:
            yield Violation(f"the stack has an aws target but no {AWS_BUDGET}")
        for budget in budgets:
            missing = {"ACTUAL", "FORECASTED"} - _aws_alerts(budget)
            if missing:
                yield Violation(f"no {' and '.join(sorted(missing))} notification with a subscriber", budget.urn)
            amount = number(get(budget.props, "limitAmount"))
            if limit is not None and amount is not None and amount > limit:
                yield Violation(f"limitAmount {amount:g} exceeds budget.monthlyUsd {limit:g}", budget.urn)
    accounts = {t.get("billingAccount") for t in ctx.settings.targets if t.get("kind") == "gcp"}
    gcp_budgets = ctx.of_type(GCP_BUDGET)
    for account in sorted(a for a in accounts if a):
        mine = [b for b in gcp_budgets if str(get(b.props, "billingAccount") or "").endswith(str(account))]
        if not mine:
            yield Violation(f"billing account {account} has no {GCP_BUDGET}")
        for budget in mine:
            missing = {"CURRENT_SPEND", "FORECASTED_SPEND"} - _gcp_alerts(budget)
            if missing:
                yield Violation(f"no threshold rule on {' and '.join(sorted(missing))}", budget.urn)
