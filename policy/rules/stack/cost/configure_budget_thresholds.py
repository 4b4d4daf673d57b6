"""COST-11: budget alerts fire at or before 100% of the budget, to someone."""

from policy.props import as_list, get, number
from policy.rules.base import Violation, stack_rule

AWS_BUDGET = "aws:budgets/budget:Budget"
GCP_BUDGET = "gcp:billing/budget:Budget"


@stack_rule(
    id="COST-11",
    title="Budget alerts fire at or before 100% of the budget, to someone",
    severity="medium",
    category="cost",
    types=(AWS_BUDGET, GCP_BUDGET),
    remediation="Keep a threshold at or below 100 in budget.alertThresholdsPercent (e.g. [50, 80, 100]): alerts "
    "only above the budget tell you after the money is spent.",
    references=("custom",),
)
def configure_budget_thresholds(ctx):
    budget = ctx.settings.raw.get("budget") or {}
    thresholds = [n for t in as_list(get(budget, "alertThresholdsPercent")) if (n := number(t)) is not None]
    if budget and not any(t <= 100 for t in thresholds):
        yield Violation(f"budget.alertThresholdsPercent is {thresholds}; expected one at or below 100")
    for resource in ctx.of_type(AWS_BUDGET):
        limit = number(get(resource.props, "limitAmount"))
        early = []
        for note in as_list(get(resource.props, "notifications")):
            value = number(get(note, "threshold"))
            if value is None:
                continue
            if str(get(note, "thresholdType") or "PERCENTAGE") == "PERCENTAGE":
                early.append(value <= 100)
            else:
                early.append(limit is None or value <= limit)
        if not any(early):
            yield Violation("no notification at or below 100% of limitAmount", resource.urn)
    for resource in ctx.of_type(GCP_BUDGET):
        rules = [number(get(r, "thresholdPercent")) for r in as_list(get(resource.props, "thresholdRules"))]
        if not any(v is not None and v <= 1.0 for v in rules):
            yield Violation(
                f"thresholdRules thresholdPercent {rules}; expected one at or below 1.0 (100%)", resource.urn
            )
        rule = get(resource.props, "allUpdatesRule") or {}
        nobody = get(rule, "disableDefaultIamRecipients") is True and not (
            as_list(get(rule, "monitoringNotificationChannels")) or get(rule, "pubsubTopic")
        )
        if nobody:
            yield Violation(
                "allUpdatesRule notifies no channel, topic or billing admin; expected notification channels",
                resource.urn,
            )
