"""SLO rules are generated from each model's config: thresholds, histogram boundaries, windows."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import pytest

from infra.config import Slo
from infra.plan import Plan
from infra.workloads.operations import alerts, metrics
from serving.errors import LlmFleetError


def scope(**slo: Any) -> alerts.PlacementRuleScope:
    return alerts.PlacementRuleScope(
        model="m",
        target="t",
        namespace="llm-m",
        server="m-server",
        api_routes=("m", "m-prefixed"),
        workload_kind="Deployment",
        slo=Slo(**slo),
        min_replicas=1,
        queue_depth_per_replica=5,
        replica_usd_per_hour=1.0,
        config_path="models[0].slo",
    )


def rule(groups: list[dict[str, Any]], alert: str) -> dict[str, Any]:
    return next(r for g in groups for r in g["rules"] if r.get("alert") == alert)


def test_availability_burn_thresholds_follow_the_workbook() -> None:
    groups = alerts.placement_rule_groups(scope(availability_percent=99.9))
    page = rule(groups, "ModelAvailabilityBurnRatePage")["expr"]
    ticket = rule(groups, "ModelAvailabilityBurnRateTicket")["expr"]
    # budget 0.1%: 14.4x over 1h/5m or 6x over 6h/30m pages; 3x over 1d/2h or 1x over 3d/6h tickets
    assert re.findall(r"ratio_rate(\w+)\{[^}]*\} > ([0-9.e-]+)", page) == [
        ("1h", "0.0144"), ("5m", "0.0144"), ("6h", "0.006"), ("30m", "0.006"),
    ]  # fmt: skip
    assert re.findall(r"ratio_rate(\w+)\{[^}]*\} > ([0-9.e-]+)", ticket) == [
        ("1d", "0.003"), ("2h", "0.003"), ("3d", "0.001"), ("6h", "0.001"),
    ]  # fmt: skip


def test_thresholds_change_with_the_config() -> None:
    tight = rule(alerts.placement_rule_groups(scope(availability_percent=99.99)), "ModelAvailabilityBurnRatePage")
    loose = rule(alerts.placement_rule_groups(scope(availability_percent=99.0)), "ModelAvailabilityBurnRatePage")
    assert "> 0.00144" in tight["expr"] and "> 0.144" in loose["expr"]


def test_a_threshold_that_could_never_be_met_is_capped_below_one() -> None:
    page = rule(alerts.placement_rule_groups(scope(availability_percent=92.0)), "ModelAvailabilityBurnRatePage")
    assert "> 0.999" in page["expr"]  # 14.4 x 8% = 1.152


@pytest.mark.parametrize(
    ("ttft_ms", "itl_ms", "ttft_le", "itl_le"),
    [(1500, 80, "1(\\\\.0)?", "0\\\\.075"), (3000, 200, "2\\\\.5", "0\\\\.2"), (2500, 150, "2\\\\.5", "0\\\\.15")],
)
def test_latency_sli_uses_the_largest_bucket_at_or_below_the_target(
    ttft_ms: int, itl_ms: int, ttft_le: str, itl_le: str
) -> None:
    s = scope(ttft_p95_ms=ttft_ms, itl_p95_ms=itl_ms)
    ttft = alerts.sli_error_ratio(s, "ttft", "5m")
    itl = alerts.sli_error_ratio(s, "itl", "5m")
    assert f'vllm:time_to_first_token_seconds_bucket{{namespace="llm-m",le=~"{ttft_le}"}}' in ttft
    assert f'vllm:inter_token_latency_seconds_bucket{{namespace="llm-m",le=~"{itl_le}"}}' in itl


def test_a_latency_target_below_every_bucket_is_a_config_error() -> None:
    with pytest.raises(LlmFleetError, match=r"models\[0\]\.slo\.itlP95Ms: 5 ms is below vLLM's smallest histogram bucket \(10 ms\)"):
        alerts.placement_rule_groups(scope(itl_p95_ms=5))


def test_bucket_regex_matches_both_spellings_of_a_bound() -> None:
    def promql_regex(value: float) -> re.Pattern[str]:
        # PromQL string unescaping (\\ -> \), then Prometheus' fully anchored match.
        return re.compile("^(?:" + metrics.bucket_le(value).replace("\\\\", "\\") + ")$")

    assert promql_regex(1.0).match("1.0") and promql_regex(1.0).match("1")
    assert not promql_regex(1.0).match("10") and not promql_regex(1.0).match("1.5")
    assert promql_regex(0.075).match("0.075") and not promql_regex(0.075).match("0x075")


def test_availability_sli_reads_the_api_route_not_the_health_route() -> None:
    expr = alerts.sli_error_ratio(scope(), "availability", "1h")
    assert 'envoy_cluster_name=~"httproute/llm-m/(m|m-prefixed)/rule/.*"' in expr
    assert 'envoy_response_code_class="5"' in expr


def test_replicas_alert_only_when_there_is_a_minimum() -> None:
    with_min = alerts.alert_names(alerts.placement_rule_groups(scope()))
    no_min = alerts.alert_names(alerts.placement_rule_groups(dataclasses.replace(scope(), min_replicas=0)))
    assert "ModelReplicasBelowMinimum" in with_min and "ModelReplicasBelowMinimum" not in no_min
    assert "< 1" in rule(alerts.placement_rule_groups(scope()), "ModelReplicasBelowMinimum")["expr"]


def test_queue_alert_uses_the_autoscaling_target() -> None:
    groups = alerts.placement_rule_groups(dataclasses.replace(scope(), queue_depth_per_replica=17))
    assert "> 17" in rule(groups, "VllmQueueGrowing")["expr"]


def test_every_alert_has_summary_description_and_runbook() -> None:
    groups = alerts.placement_rule_groups(scope()) + alerts.cluster_rule_groups("t", [alerts.ClientQuota("c", 10)])
    for r in (r for g in groups for r in g["rules"] if "alert" in r):
        assert set(r["annotations"]) == {"summary", "description", "runbook"}, r["alert"]
        assert all(len(v) > 20 for v in r["annotations"].values()), r["alert"]
        assert r["labels"]["severity"] in {"critical", "warning"}
    assert set(alerts.RUNBOOKS) == set(alerts.alert_names(groups))


def test_static_labels_are_written_into_annotations() -> None:
    """Prometheus renders $labels from the series, before the rule's own labels apply."""
    stalled = rule(alerts.placement_rule_groups(scope()), "VllmGenerationStalled")
    assert stalled["annotations"]["summary"].startswith("m pod {{ $labels.pod }}")


def test_every_placement_gets_its_rules(operations_plans: dict[str, Plan]) -> None:
    for stack, plan in operations_plans.items():
        placements = {f"{p['target']}-{m['name']}" for m in plan.config["models"] for p in m["placements"]}
        rules = {r.name.removesuffix("-ops-rules") for r in plan.resources if r.name.endswith("-ops-rules")}
        assert rules == placements, stack


def test_gmp_clusters_get_cluster_rules_scoped_to_the_cluster(ops_prod: Plan) -> None:
    gcp = [r for r in ops_prod.resources if r.name.startswith("gcp-usc1-") and r.name.endswith("-rules")]
    assert {r.type for r in gcp} == {"kubernetes:monitoring.googleapis.com/v1:ClusterRules"}
    others = [r for r in ops_prod.resources if r.name.endswith("-rules") and not r.name.startswith("gcp-usc1-")]
    assert {r.type for r in others} == {"kubernetes:monitoring.coreos.com/v1:PrometheusRule"}
    assert all(r.props["metadata"]["namespace"] in {"monitoring", "llm-llama-8b", "llm-llama-70b"} for r in others)


def test_cost_rule_uses_the_price_of_the_pool(ops_prod: Plan) -> None:
    def cost(name: str) -> str:
        groups = next(r for r in ops_prod.resources if r.name == f"{name}-ops-rules").props["spec"]["groups"]
        return next(r["expr"] for g in groups for r in g["rules"] if r.get("record") == alerts.RECORD_COST)

    # g6e.xlarge on-demand 1.861 USD/h, one L40S per replica
    assert cost("aws-use1-llama-8b").endswith("* 1.861")
    # llama-70b TP4 on p5.48xlarge (8 x H100, 55.04 USD/h): half a node
    assert cost("aws-use1-llama-70b").endswith("* 27.52")
    # dc1: 280000 USD over 48 months + 10.2 kW at 0.11 USD/kWh, 4 of 8 GPUs
    assert cost("dc1-llama-70b").endswith(f"* {round((280000 / (48 * 730) + 10.2 * 0.11) / 2, 4)!r}")


def test_readme_lists_every_alert_with_its_severity_and_wait() -> None:
    from pathlib import Path

    readme = (Path(alerts.__file__).parent / "README.md").read_text()
    groups = alerts.placement_rule_groups(scope()) + alerts.cluster_rule_groups("t", [alerts.ClientQuota("c", 10)])
    for r in (r for g in groups for r in g["rules"] if "alert" in r):
        assert f"| `{r['alert']}` | {r['labels']['severity']} | {r.get('for', '0m')} |" in readme, r["alert"]
