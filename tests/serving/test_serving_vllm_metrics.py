"""The rendered queries against what the real vLLM 0.32.0 server exposes (serving/catalog/vllm_metrics.json).

The catalogue is read from the real server's /metrics by tests/serving/vllm_server (``make
test-vllm-server`` fails when it drifts); here, in every ``make test``, every ``vllm:`` series,
label, label value and ``le`` bucket of the dev and prod alerts, dashboards and KEDA scalers
must be in it, and the operations allow-lists and bucket tables must agree with it.
"""

from __future__ import annotations

import pytest

from infra.workloads.operations import metrics
from serving.versions import VLLM_VERSION
from tests.serving.vllm_metrics import (
    Reference,
    catalog_from_exposition,
    grouping_problems,
    load_catalog,
    plan_queries,
    plan_references,
    selectors,
    unknown_references,
)


@pytest.fixture(scope="module")
def catalog() -> dict:
    data = load_catalog()
    assert data["vllm"] == VLLM_VERSION and "real vLLM 0.32.0 CPU server" in data["source"]
    return data["metrics"]


def _le(value: float) -> str:
    """How prometheus_client writes a bucket bound (floatToGoString): 1.0, 0.25, +Inf."""
    return repr(float(value))


def test_the_allow_lists_and_bucket_tables_are_what_vllm_exposes(catalog):
    for name in metrics.VLLM_GAUGES | metrics.VLLM_COUNTERS | metrics.VLLM_HISTOGRAMS:
        assert name in catalog, f"{name} is not a family of the real server"
    for name in metrics.VLLM_HISTOGRAMS:
        assert catalog[name]["type"] == "histogram" and catalog[name]["buckets"][-1] == "+Inf"
    for name in metrics.VLLM_REMOVED:
        assert name not in catalog
    assert catalog["vllm:time_to_first_token_seconds"]["buckets"] == [*map(_le, metrics.TTFT_BUCKETS), "+Inf"]
    assert catalog["vllm:inter_token_latency_seconds"]["buckets"] == [*map(_le, metrics.ITL_BUCKETS), "+Inf"]
    assert "abort" in catalog["vllm:request_success_total"]["labelValues"]["finished_reason"]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_vllm_series_label_and_bucket_the_stack_reads_exists(catalog, stack, request):
    plan = request.getfixturevalue(f"{stack}_plan")
    refs = plan_references(plan.resources)
    kinds = {ref.where.split()[0].rsplit(":", 1)[-1] for ref in refs}
    assert {"PrometheusRule", "ConfigMap", "ScaledObject"} <= kinds, kinds
    assert len({ref.metric for ref in refs}) >= 10
    assert any(label == "le" for ref in refs for label, _, _ in ref.matchers), "the SLO rules read buckets"
    assert unknown_references(refs, catalog) == []
    assert grouping_problems(plan_queries(plan.resources), catalog) == []


@pytest.mark.parametrize(
    ("query", "problem"),
    [
        ('vllm:gpu_cache_usage_perc{namespace="x"}', "vllm:gpu_cache_usage_perc is not exposed"),
        ('rate(vllm:time_to_first_token_seconds_bucket{le="1"}[5m])', 'le="1"} matches none of'),
        ('rate(vllm:time_to_first_token_seconds_bucket{le=~"0\\\\.3"}[5m])', 'le=~"0\\.3"} matches none of'),
        ('vllm:num_requests_waiting_by_reason{reason="queue"}', 'reason="queue"} matches none of'),
        ('vllm:num_requests_waiting{reason="capacity"}', "has no label reason"),
        ('vllm:kv_cache_usage_perc{le="1.0"}', "not a _bucket series"),
    ],
)
def test_planted_mistakes_are_found(catalog, query, problem):
    found = unknown_references(selectors(query, "planted"), catalog)
    assert len(found) == 1 and problem in found[0], found


def test_planted_grouping_mistake_is_found(catalog):
    found = grouping_problems([("planted", "sum by (finished_reason) (vllm:kv_cache_usage_perc)")], catalog)
    assert found == ["planted: groups by finished_reason, which none of ['vllm:kv_cache_usage_perc'] has"]
    assert grouping_problems([("ok", "sum by (namespace, le) (rate(vllm:e2e_request_latency_seconds_bucket[5m]))")], catalog) == []


def test_the_exposition_reader():
    page = "\n".join(
        [
            "# HELP vllm:x_seconds X.",
            "# TYPE vllm:x_seconds histogram",
            'vllm:x_seconds_bucket{engine="0",le="0.5",model_name="m"} 1.0',
            'vllm:x_seconds_bucket{engine="0",le="+Inf",model_name="m"} 2.0',
            'vllm:x_seconds_count{engine="0",model_name="m"} 2.0',
            "# TYPE vllm:y_total counter",
            'vllm:y_total{model_name="m",reason="a"} 0.0',
            'vllm:y_total{model_name="m",reason="b\\"q"} 0.0',
            "# TYPE other_metric gauge",
            "other_metric 1.0",
        ]
    )
    assert catalog_from_exposition(page) == {
        "vllm:x_seconds": {
            "type": "histogram",
            "samples": ["vllm:x_seconds_bucket", "vllm:x_seconds_count"],
            "labels": ["engine", "model_name"],
            "buckets": ["0.5", "+Inf"],
        },
        "vllm:y_total": {
            "type": "counter",
            "samples": ["vllm:y_total"],
            "labels": ["model_name", "reason"],
            "labelValues": {"reason": ["a", 'b"q']},
        },
    }
    assert list(selectors('sum(vllm:y_total{reason!="a"}) / vllm:x_seconds_count', "w")) == [
        Reference("w", "vllm:y_total", (("reason", "!=", "a"),)),
        Reference("w", "vllm:x_seconds_count", ()),
    ]
