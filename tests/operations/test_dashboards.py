"""Dashboards as code: one per placement, in its namespace, with the SLO targets of its model."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.plan import Plan
from infra.workloads.operations import dashboards
from tests.operations.harness import one


def board(plan: Plan, placement: str) -> dict[str, Any]:
    cm = one(plan, "kubernetes:core/v1:ConfigMap", f"{placement}-ops-dashboard")
    assert cm.props["metadata"]["labels"]["grafana_dashboard"] == "1"
    (text,) = cm.props["data"].values()
    return json.loads(text)


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_one_dashboard_per_placement(stack: str, operations_plans: dict[str, Plan]) -> None:
    plan = operations_plans[stack]
    uids = set()
    for model in plan.config["models"]:
        for placement in model["placements"]:
            name = f"{placement['target']}-{model['name']}"
            if name.startswith("gcp-usc1-"):  # GMP: a Cloud Monitoring dashboard (test_cloud_dashboards.py)
                assert one(plan, "gcp:monitoring/dashboard:Dashboard", f"{name}-ops-dashboard")
                continue
            b = board(plan, name)
            assert b["uid"] == f"llmfleet-{name}" and len(b["uid"]) <= 40
            assert b["schemaVersion"] == dashboards.SCHEMA_VERSION
            assert one(plan, "kubernetes:core/v1:ConfigMap", f"{name}-ops-dashboard").props["metadata"]["namespace"] == (
                f"llm-{model['name']}"
            )
            uids.add(b["uid"])
    assert len(uids) == sum(1 for m in plan.config["models"] for p in m["placements"] if p["target"] != "gcp-usc1")


def test_slo_targets_and_bounds_are_drawn_from_the_config(ops_prod: Plan) -> None:
    b = board(ops_prod, "aws-use1-llama-70b")
    exprs = {p["title"]: [t["expr"] for t in p["targets"]] for p in b["panels"]}
    assert "vector(3.0)" in exprs["Time to first token"]  # ttftP95Ms 3000
    assert "vector(0.12)" in exprs["Inter-token latency"]  # itlP95Ms 120
    assert {"vector(2)", "vector(4)"} <= set(exprs["Replicas"])


def test_panels_are_laid_out_without_overlap(ops_prod: Plan) -> None:
    b = board(ops_prod, "dc1-llama-70b")
    cells = set()
    for panel in b["panels"]:
        g = panel["gridPos"]
        assert g["x"] + g["w"] <= 24
        area = {(x, y) for x in range(g["x"], g["x"] + g["w"]) for y in range(g["y"], g["y"] + g["h"])}
        assert not (area & cells), panel["title"]
        cells |= area
    assert len({p["id"] for p in b["panels"]}) == len(b["panels"])


def test_cost_panel_states_its_basis(ops_prod: Plan) -> None:
    cost = next(p for p in board(ops_prod, "dc1-llama-70b")["panels"] if p["title"].startswith("Serving cost"))
    assert "on-prem node: 280000 USD over 48 months" in cost["description"]
    assert "Idle nodes" in cost["description"]
