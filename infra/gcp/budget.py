"""Budget: a Cloud Billing budget for the stack with actual and forecast threshold alerts."""

from __future__ import annotations

import hashlib
import math

import pulumi
import pulumi_gcp as gcp

from infra.gcp.common import GcpScope

SPEND_BASES = ("CURRENT_SPEND", "FORECASTED_SPEND")
BUDGET_LABEL = "llm-fleet-environment"
"""The one label a budget filter may name: the stack's environment."""


class Budget(pulumi.ComponentResource):
    budget: gcp.billing.Budget
    channels: list[gcp.monitoring.NotificationChannel]

    def __init__(self, name: str, scope: GcpScope, opts: pulumi.ResourceOptions | None = None):
        super().__init__("llm-fleet:gcp:Budget", name, None, opts)
        self._scope = scope
        self._create_channels(name)
        self._create_budget(name)
        self.register_outputs({"budget": self.budget.name})

    def _create_channels(self, name: str) -> None:
        # Budget e-mails beyond the billing admins go through Cloud Monitoring channels.
        self.channels = [
            gcp.monitoring.NotificationChannel(
                f"{name}-{hashlib.sha256(email.encode()).hexdigest()[:8]}",
                project=self._scope.project,
                type="email",
                display_name=f"llm-fleet budget: {email}",
                labels={"email_address": email},
                user_labels=self._scope.labels,
                opts=self._scope.opts(self),
            )
            for email in self._scope.stack.budget.notify_emails
        ]

    def _create_budget(self, name: str) -> None:
        stack, target = self._scope.stack, self._scope.target
        nanos, units = math.modf(stack.budget.monthly_usd)
        self.budget = gcp.billing.Budget(
            f"{name}-budget",
            billing_account=target.billing_account,
            display_name=f"llm-fleet {stack.environment} ({target.name})",
            amount={
                "specified_amount": {"currency_code": "USD", "units": str(int(units)), "nanos": round(nanos * 1e9)}
            },
            budget_filter={
                "projects": [pulumi.Output.concat("projects/", self._scope.project_number)],
                "labels": {BUDGET_LABEL: self._scope.labels[BUDGET_LABEL]},
                "calendar_period": "MONTH",
                "credit_types_treatment": "INCLUDE_ALL_CREDITS",
            },
            threshold_rules=[
                {"threshold_percent": percent / 100, "spend_basis": basis}
                for percent in sorted(stack.budget.alert_thresholds_percent)
                for basis in SPEND_BASES
            ],
            all_updates_rule={
                "monitoring_notification_channels": [c.id for c in self.channels],
                "disable_default_iam_recipients": False,
            },
            opts=self._scope.opts(self),
        )
