"""The AWS Budget: the stack's monthly budget, actual and forecast alerts at each threshold."""

from __future__ import annotations

import pytest

from infra.aws.budget import notifications
from serving.errors import LlmFleetError
from tests.aws.conftest import AwsView


def test_budget_alerts_on_actual_and_forecast_at_every_threshold(any_aws: AwsView) -> None:
    config = any_aws.plan.config["budget"]
    budget = any_aws.one("aws:budgets/budget:Budget")
    assert budget.props["budgetType"] == "COST"
    assert budget.props["timeUnit"] == "MONTHLY"
    assert float(budget.props["limitAmount"]) == config["monthlyUsd"]
    assert budget.props["limitUnit"] == "USD"
    got = sorted((n["notificationType"], n["threshold"]) for n in budget.props["notifications"])
    want = sorted((kind, t) for t in set(config["alertThresholdsPercent"]) for kind in ("ACTUAL", "FORECASTED"))
    assert got == want
    for notification in budget.props["notifications"]:
        assert notification["thresholdType"] == "PERCENTAGE"
        assert notification["comparisonOperator"] == "GREATER_THAN"
        assert notification["subscriberEmailAddresses"] == config["notifyEmails"]


def test_budget_counts_what_carries_the_target_cost_tag(any_aws: AwsView) -> None:
    budget = any_aws.one("aws:budgets/budget:Budget")
    assert budget.props["costFilters"] == [{"name": "TagKeyValue", "values": [f"user:llm-fleet-target${any_aws.target}"]}]


def test_more_thresholds_than_aws_budgets_hold_are_rejected(dev_aws: AwsView) -> None:
    stack = dev_aws.component.env.stack
    assert len(notifications(stack)) == 2 * len(set(stack.budget.alert_thresholds_percent))
    many = stack.model_copy(
        update={"budget": stack.budget.model_copy(update={"alert_thresholds_percent": [10, 20, 30, 40, 50, 60]})}
    )
    with pytest.raises(LlmFleetError, match=r"budget\.alertThresholdsPercent: .* at most 5 thresholds"):
        notifications(many)
    crowd = stack.model_copy(
        update={"budget": stack.budget.model_copy(update={"notify_emails": [f"a{i}@example.com" for i in range(11)]})}
    )
    with pytest.raises(LlmFleetError, match=r"budget\.notifyEmails: 11 addresses is not allowed"):
        notifications(crowd)
