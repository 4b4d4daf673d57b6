"""Money: a billing budget for the stack with actual and forecast thresholds; labels everywhere."""

from __future__ import annotations

from infra.gcp.common import fit_name
from infra.plan import Plan
from infra.plan.mocks import GCP_PROJECT_NUMBER
from tests.gcp.conftest import GcpView

BUDGET = "gcp:billing/budget:Budget"

# Billable resource types and where their labels live.
LABELLED = {
    "gcp:container/cluster:Cluster": ("resourceLabels",),
    "gcp:container/nodePool:NodePool": ("nodeConfig", "resourceLabels"),
    "gcp:storage/bucket:Bucket": ("labels",),
    "gcp:kms/cryptoKey:CryptoKey": ("labels",),
    "gcp:artifactregistry/repository:Repository": ("labels",),
    "gcp:compute/globalAddress:GlobalAddress": ("labels",),
    "gcp:compute/globalForwardingRule:GlobalForwardingRule": ("labels",),
    "gcp:compute/securityPolicy:SecurityPolicy": ("labels",),
}


def test_budget_is_the_stacks_budget_on_the_billing_account(prod_gcp: GcpView, prod_plan: Plan) -> None:
    budget = prod_gcp.one(BUDGET).props
    assert budget["billingAccount"] == prod_gcp.config["billingAccount"]
    amount = budget["amount"]["specifiedAmount"]
    assert (amount["currencyCode"], int(amount["units"])) == ("USD", int(prod_plan.config["budget"]["monthlyUsd"]))


def test_thresholds_alert_on_actual_and_forecast_spend(prod_gcp: GcpView, prod_plan: Plan) -> None:
    rules = {(r["spendBasis"], r["thresholdPercent"]) for r in prod_gcp.one(BUDGET).props["thresholdRules"]}
    expected = {
        (basis, pct / 100)
        for pct in prod_plan.config["budget"]["alertThresholdsPercent"]
        for basis in ("CURRENT_SPEND", "FORECASTED_SPEND")
    }
    assert rules == expected
    assert len(rules) == 6


def test_budget_is_filtered_to_the_project_and_the_stack_label(prod_gcp: GcpView) -> None:
    budget_filter = prod_gcp.one(BUDGET).props["budgetFilter"]
    assert budget_filter["projects"] == [f"projects/{GCP_PROJECT_NUMBER}"]
    assert budget_filter["labels"] == {"llm-fleet-environment": "prod"}


def test_budget_mails_everyone_on_the_list(prod_gcp: GcpView, prod_plan: Plan) -> None:
    channels = prod_gcp.of_type("gcp:monitoring/notificationChannel:NotificationChannel")
    assert sorted(c.props["labels"]["email_address"] for c in channels) == sorted(
        prod_plan.config["budget"]["notifyEmails"]
    )
    assert len(prod_gcp.one(BUDGET).props["allUpdatesRule"]["monitoringNotificationChannels"]) == len(channels)


def test_every_billable_resource_carries_the_cost_labels(prod_gcp: GcpView) -> None:
    expected = {
        "llm-fleet-environment": "prod",
        "llm-fleet-owner": "ml-platform",
        "llm-fleet-cost-center": "llm-prod",
        "managed-by": "pulumi-llm-fleet",
        "llm-fleet-target": "gcp-usc1",
    }
    seen = set()
    for resource in prod_gcp.resources:
        path = LABELLED.get(resource.type)
        if path is None:
            continue
        labels = resource.props
        for key in path:
            labels = labels[key]
        assert expected.items() <= labels.items(), f"{resource.name}: {labels}"
        seen.add(resource.type)
    assert seen == set(LABELLED)
    provider = prod_gcp.one("pulumi:providers:gcp")
    assert '"llm-fleet-owner": "ml-platform"' in provider.props["defaultLabels"]


def test_label_values_are_folded_into_gcps_alphabet(variant_gcp: GcpView) -> None:
    cluster = variant_gcp.one("gcp:container/cluster:Cluster").props
    assert cluster["resourceLabels"]["llm-fleet-cost-center"] == "llm-dev-team"  # from "LLM Dev/Team"
    for value in cluster["resourceLabels"].values():
        assert value == value.lower() and len(value) <= 63


def test_long_names_are_cut_with_a_stable_hash() -> None:
    long = "a" * 40 + "-nodes"
    assert fit_name(long, 30) == fit_name(long, 30)
    assert len(fit_name(long, 30)) == 30
    assert fit_name("short-name", 30) == "short-name"
    assert fit_name(long, 30) != fit_name(long + "x", 30)
