"""Scrape objects select the pods that run vLLM, never a LeaderWorkerSet group's Ray workers."""

from __future__ import annotations

from infra.plan import Plan
from infra.workloads.server import ROLE_LABEL

MONITORS = ("kubernetes:monitoring.coreos.com/v1:PodMonitor", "kubernetes:monitoring.googleapis.com/v1:PodMonitoring")


def test_pod_monitors_exclude_group_workers(prod_plan: Plan) -> None:
    placements = {p.urn for p in prod_plan.of_type("llm-fleet:workloads:ModelPlacement")}
    monitors = [
        m
        for m in prod_plan.of_type(*MONITORS)
        if any(a.urn in placements for a in prod_plan.ancestors(m))
        # the endpoint picker's own scrape (inference-aware routing) selects no server pod
        and m.props["metadata"]["labels"].get("app.kubernetes.io/component") != "endpoint-picker"
    ]
    assert len(monitors) == len(placements)
    assert {prod_plan.target_of(m) for m in monitors} == {"aws-use1", "gcp-usc1", "dc1"}
    for monitor in monitors:
        selector = monitor.props["spec"]["selector"]
        assert {"key": ROLE_LABEL, "operator": "NotIn", "values": ["worker"]} in selector["matchExpressions"]
        assert selector["matchLabels"], monitor.name
