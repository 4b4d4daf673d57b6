"""The AWS Budget of a target: the stack's monthly budget, alerting on actual and
forecasted spend at each ``budget.alertThresholdsPercent``.

The budget counts what carries this target's cost-allocation tag
(``llm-fleet-target``, see infra.naming.cost_tags), so the tag key must be activated as a
cost-allocation tag in the account's Billing console once. AWS sees only AWS spend: the
limit is the whole stack's budget, an upper bound for this target's share.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from infra.aws.common import AwsEnv
from infra.config import StackConfig
from serving.errors import LlmFleetError

TARGET_TAG = "llm-fleet-target"
MAX_NOTIFICATIONS = 10
"""AWS Budgets: at most 10 notifications per budget and 10 e-mail subscribers per notification."""
MAX_EMAIL_SUBSCRIBERS = 10
NOTIFICATION_TYPES = ("ACTUAL", "FORECASTED")


def notifications(stack: StackConfig) -> list[aws.budgets.BudgetNotificationArgs]:
    """An actual and a forecast alert at each threshold, to every address; checked against the
    limits of AWS Budgets."""
    config = stack.budget
    thresholds = sorted(set(config.alert_thresholds_percent))
    if len(thresholds) * len(NOTIFICATION_TYPES) > MAX_NOTIFICATIONS:
        raise LlmFleetError(
            f"budget.alertThresholdsPercent: {config.alert_thresholds_percent} is not allowed on aws; "
            f"at most {MAX_NOTIFICATIONS // len(NOTIFICATION_TYPES)} thresholds (each gets an actual and a "
            "forecast alert, and an AWS budget holds 10 notifications)"
        )
    if len(config.notify_emails) > MAX_EMAIL_SUBSCRIBERS:
        raise LlmFleetError(
            f"budget.notifyEmails: {len(config.notify_emails)} addresses is not allowed on aws; "
            f"at most {MAX_EMAIL_SUBSCRIBERS} (use a mailing list)"
        )
    return [
        aws.budgets.BudgetNotificationArgs(
            notification_type=kind,
            comparison_operator="GREATER_THAN",
            threshold=float(threshold),
            threshold_type="PERCENTAGE",
            subscriber_email_addresses=list(config.notify_emails),
        )
        for threshold in thresholds
        for kind in NOTIFICATION_TYPES
    ]


class Budget(pulumi.ComponentResource):
    budget: aws.budgets.Budget

    def __init__(self, name: str, env: AwsEnv, opts: pulumi.ResourceOptions | None = None):
        alerts = notifications(env.stack)
        super().__init__("llm-fleet:aws:Budget", name, None, opts)
        self.budget = aws.budgets.Budget(
            f"{name}",
            name=f"{env.cluster_name}-monthly",
            budget_type="COST",
            time_unit="MONTHLY",
            limit_amount=f"{env.stack.budget.monthly_usd:.2f}",
            limit_unit="USD",
            cost_filters=[aws.budgets.BudgetCostFilterArgs(name="TagKeyValue", values=[f"user:{TARGET_TAG}${env.name}"])],
            notifications=alerts,
            tags=env.tagged(),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"budget": self.budget.name})
