"""Dashboards, rules and scalers read only metrics that something really exports.

Allowed: the serving image's vLLM metrics (../shared/reference/vllm.md), the DCGM exporter,
kube-state-metrics, the Envoy Gateway proxies, Prometheus' own ALERTS, and ``llmfleet:*``
series that one of our recording rules defines.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.plan import Plan
from infra.workloads.operations import metrics

RULE_TYPES = (":PrometheusRule", ":ClusterRules")


def rule_groups(plan: Plan) -> list[dict[str, Any]]:
    return [g for r in plan.resources if r.type.endswith(RULE_TYPES) for g in r.props["spec"]["groups"]]


def all_queries(plan: Plan) -> dict[str, list[str]]:
    """Every PromQL expression of a Plan, by where it lives."""
    out: dict[str, list[str]] = {"rules": [], "dashboards": [], "scalers": []}
    for group in rule_groups(plan):
        out["rules"] += [rule["expr"] for rule in group["rules"]]
    for resource in plan.of_type("kubernetes:core/v1:ConfigMap"):
        if resource.props.get("metadata", {}).get("labels", {}).get("grafana_dashboard") != "1":
            continue
        for text in resource.props["data"].values():
            board = json.loads(text)
            out["dashboards"] += [t["expr"] for p in board["panels"] for t in p["targets"]]
    for resource in plan.of_type("kubernetes:keda.sh/v1alpha1:ScaledObject"):
        out["scalers"] += [t["metadata"]["query"] for t in resource.props["spec"]["triggers"]]
    return out


def recorded(plan: Plan) -> set[str]:
    return {rule["record"] for g in rule_groups(plan) for rule in g["rules"] if "record" in rule}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_query_reads_only_exported_or_recorded_metrics(stack: str, operations_plans: dict[str, Plan]) -> None:
    plan = operations_plans[stack]
    queries = all_queries(plan)
    assert all(queries.values()), f"no queries found in some kind: { {k: len(v) for k, v in queries.items()} }"
    names = recorded(plan)
    assert all(n.startswith(metrics.RECORDED_PREFIX) for n in names)
    for kind, exprs in queries.items():
        unknown = metrics.unknown_metrics(exprs, names)
        assert not unknown, f"{stack} {kind} read unknown metrics: {unknown}"


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_no_removed_vllm_metric_anywhere(stack: str, operations_plans: dict[str, Plan]) -> None:
    for exprs in all_queries(operations_plans[stack]).values():
        for expr in exprs:
            assert not (metrics.referenced_metrics(expr) & metrics.VLLM_REMOVED), expr


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_dashboards_cover_the_required_signals(stack: str, operations_plans: dict[str, Plan]) -> None:
    """Per model: requests, tokens, TTFT, ITL, e2e, queue, KV, preemptions, prefix cache,
    finish reasons, GPU util/memory/temperature, replicas and cost."""
    read = set().union(*(metrics.referenced_metrics(e) for e in all_queries(operations_plans[stack])["dashboards"]))
    required = {
        "vllm:request_success_total",
        "vllm:prompt_tokens_total",
        "vllm:generation_tokens_total",
        "vllm:time_to_first_token_seconds_bucket",
        "vllm:inter_token_latency_seconds_bucket",
        "vllm:e2e_request_latency_seconds_bucket",
        "vllm:num_requests_waiting",
        "vllm:num_requests_running",
        "vllm:kv_cache_usage_perc",
        "vllm:num_preemptions_total",
        "vllm:prefix_cache_hits_total",
        "vllm:prefix_cache_queries_total",
        "DCGM_FI_DEV_GPU_UTIL",
        "DCGM_FI_DEV_FB_USED",
        "DCGM_FI_DEV_GPU_TEMP",
        "kube_deployment_status_replicas_available",
        "llmfleet:serving_cost_usd:per_hour",
    }
    assert required <= read, f"missing from the dashboards: {required - read}"


def test_lexer_finds_metric_names_and_nothing_else() -> None:
    expr = (
        'sum by (pod, le) (rate(vllm:time_to_first_token_seconds_bucket{namespace="llm-x",le=~"1(\\\\.0)?"}[5m]))'
        " / on (pod) group_left count without (engine) (vllm:num_requests_running offset 5m) > bool 2"
        ' and ALERTS{alertstate="firing"} unless DCGM_FI_DEV_XID_ERRORS == 79'
        " or histogram_quantile(0.95, x_bucket) + vector(1.5)"
    )
    assert metrics.referenced_metrics(expr) == {
        "vllm:time_to_first_token_seconds_bucket",
        "vllm:num_requests_running",
        "ALERTS",
        "DCGM_FI_DEV_XID_ERRORS",
        "x_bucket",
    }


def test_unknown_and_removed_names_are_reported() -> None:
    found = metrics.unknown_metrics(
        ["max(vllm:gpu_cache_usage_perc)", "sum(vllm:num_requests_waiting)", "llmfleet:made_up"], recorded=set()
    )
    assert found == {"max(vllm:gpu_cache_usage_perc)": {"vllm:gpu_cache_usage_perc"}, "llmfleet:made_up": {"llmfleet:made_up"}}


def test_histogram_series_are_allowed_only_with_their_suffixes() -> None:
    assert "vllm:time_to_first_token_seconds_bucket" in metrics.EXPORTED
    assert "vllm:time_to_first_token_seconds" not in metrics.EXPORTED


def test_dcgm_counters_file_enables_every_dcgm_metric_the_rules_read() -> None:
    fields = {
        line.split(",")[0].strip()
        for line in metrics.dcgm_counters_csv().splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert fields == set(metrics.DCGM_METRICS)
    assert "DCGM_FI_DEV_ECC_DBE_VOL_TOTAL" in fields  # commented out in dcgm-exporter's defaults
