"""Dashboards on Google Managed Prometheus clusters: Cloud Monitoring dashboards generated from the
Grafana panels, parsed by Google's own Dashboard message types, every query checked by promtool
and pinned to its cluster."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from infra.plan import Plan
from infra.workloads.operations import cloud_dashboards, dashboards
from infra.workloads.operations.cloud_dashboards import cloud_dashboard, scope_to_cluster
from infra.workloads.operations.metrics import referenced_metrics
from tests.operations.harness import ROOT

DASHBOARD = "gcp:monitoring/dashboard:Dashboard"
CONFIGMAP = "kubernetes:core/v1:ConfigMap"
GMP_TARGET = "gcp-usc1"
PROMTOOL = shutil.which("promtool")
GOOGLE_TYPES = ROOT / ".venv-gcp-dashboards" / "bin" / "python"
PARSE = """
import sys
from google.cloud.monitoring_dashboard_v1.types import Dashboard
for text in sys.stdin.read().split("\\0"):
    Dashboard.from_json(text, ignore_unknown_fields=False)
print("parsed")
"""


def cloud_boards(plan: Plan) -> dict[str, dict[str, Any]]:
    return {r.name: json.loads(r.props["dashboardJson"]) for r in plan.of_type(DASHBOARD)}


def widgets(board: dict[str, Any]) -> list[dict[str, Any]]:
    return [tile["widget"] for tile in board["mosaicLayout"]["tiles"]]


def queries(widget: dict[str, Any]) -> list[str]:
    if "scorecard" in widget:
        return [widget["scorecard"]["timeSeriesQuery"]["prometheusQuery"]]
    body = next(widget[k] for k in ("xyChart", "timeSeriesTable", "pieChart") if k in widget)
    return [d["timeSeriesQuery"]["prometheusQuery"] for d in body["dataSets"]]


def grafana_board(plan: Plan, name: str) -> dict[str, Any]:
    (text,) = next(r for r in plan.of_type(CONFIGMAP) if r.name == name).props["data"].values()
    return json.loads(text)


def test_gmp_cluster_dashboards_are_cloud_monitoring_dashboards_not_configmaps(ops_prod: Plan) -> None:
    boards = cloud_boards(ops_prod)
    placements = [p["target"] + "-" + m["name"] for m in ops_prod.config["models"] for p in m["placements"]]
    expected = {f"{GMP_TARGET}-ops-fleet-dashboard", f"{GMP_TARGET}-ops-client-dashboard"} | {
        f"{p}-ops-dashboard" for p in placements if p.startswith(GMP_TARGET)
    }
    assert set(boards) == expected
    dashboard_maps = [r.name for r in ops_prod.of_type(CONFIGMAP) if "grafana_dashboard" in (r.props["metadata"].get("labels") or {})]
    assert dashboard_maps and not [n for n in dashboard_maps if n.startswith(GMP_TARGET)]
    projects = {r.props["project"] for r in ops_prod.of_type(DASHBOARD)}
    assert projects == {next(t["project"] for t in ops_prod.config["targets"] if t["name"] == GMP_TARGET)}


def test_every_panel_and_query_of_the_grafana_board_is_on_the_cloud_board(ops_prod: Plan) -> None:
    boards = cloud_boards(ops_prod)
    fleet = dashboards.fleet_dashboard(GMP_TARGET)
    cloud = boards[f"{GMP_TARGET}-ops-fleet-dashboard"]
    assert cloud["displayName"] == fleet["title"]
    assert [w["title"] for w in widgets(cloud)] == [p["title"] for p in fleet["panels"]]
    for panel, widget in zip(fleet["panels"], widgets(cloud), strict=True):
        assert queries(widget) == [scope_to_cluster(t["expr"], GMP_TARGET) for t in panel["targets"]]
    # A placement board: same panels as the Grafana one of the same model elsewhere.
    grafana = grafana_board(ops_prod, "aws-use1-llama-8b-ops-dashboard")
    placement = boards[f"{GMP_TARGET}-llama-8b-ops-dashboard"]
    assert [w["title"] for w in widgets(placement)] == [p["title"] for p in grafana["panels"]]
    assert [len(queries(w)) for w in widgets(placement)] == [len(p["targets"]) for p in grafana["panels"]]


def test_tiles_keep_the_grafana_layout_on_the_wider_grid(ops_prod: Plan) -> None:
    for board in cloud_boards(ops_prod).values():
        cells: set[tuple[int, int]] = set()
        for tile in board["mosaicLayout"]["tiles"]:
            assert tile["xPos"] + tile["width"] <= cloud_dashboards.MOSAIC_COLUMNS
            for x in range(tile["xPos"], tile["xPos"] + tile["width"]):
                for y in range(tile["yPos"], tile["yPos"] + tile["height"]):
                    assert (x, y) not in cells
                    cells.add((x, y))


def test_every_series_selector_is_pinned_to_the_cluster(ops_prod: Plan) -> None:
    seen = 0
    for board in cloud_boards(ops_prod).values():
        for widget in widgets(board):
            for expr in queries(widget):
                for name in referenced_metrics(expr):
                    uses = re.findall(rf"(?<![\w:]){re.escape(name)}(?![\w:])(.?)", expr)
                    assert uses and all(u == "{" for u in uses), (name, expr)
                    pinned = re.findall(rf"(?<![\w:]){re.escape(name)}\{{cluster=\"{GMP_TARGET}\"", expr)
                    assert len(pinned) == len(uses), (name, expr)
                    seen += 1
    assert seen > 50


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("up", 'up{cluster="c"}'),
        ('sum(rate(vllm:x_total{namespace="n"}[5m]))', 'sum(rate(vllm:x_total{cluster="c", namespace="n"}[5m]))'),
        ("a / ignoring (reason) group_left sum(a[1h])", 'a{cluster="c"} / ignoring (reason) group_left sum(a{cluster="c"}[1h])'),
        ("vector(2)", "vector(2)"),
        ('b_bucket{le="1"} and b', 'b_bucket{cluster="c", le="1"} and b{cluster="c"}'),
    ],
)
def test_scope_to_cluster(expr: str, expected: str) -> None:
    assert scope_to_cluster(expr, "c") == expected


@pytest.mark.external
@pytest.mark.skipif(PROMTOOL is None, reason="promtool not installed (Debian: apt-get install -y prometheus)")
def test_promtool_parses_every_cloud_dashboard_query(ops_prod: Plan, tmp_path: Path) -> None:
    exprs = sorted({q for b in cloud_boards(ops_prod).values() for w in widgets(b) for q in queries(w)})
    rules = {"groups": [{"name": "cloud-dashboards", "rules": [{"record": f"q:{i}", "expr": e} for i, e in enumerate(exprs)]}]}
    path = tmp_path / "queries.yml"
    path.write_text(yaml.safe_dump(rules))
    result = subprocess.run([PROMTOOL, "check", "rules", str(path)], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(exprs)} rules found" in result.stdout


@pytest.mark.external
@pytest.mark.skipif(
    not GOOGLE_TYPES.exists(),
    reason="Google's Dashboard types are not installed: python3 -m venv .venv-gcp-dashboards && "
    ".venv-gcp-dashboards/bin/pip install -r requirements/gcp-dashboards.txt (`make gcp-dashboards-venv`)",
)
def test_googles_dashboard_types_accept_every_generated_dashboard(ops_prod: Plan) -> None:
    texts = [r.props["dashboardJson"] for r in ops_prod.of_type(DASHBOARD)]
    assert texts
    ok = subprocess.run([GOOGLE_TYPES, "-c", PARSE], input="\0".join(texts), capture_output=True, text=True, timeout=120, check=False)
    assert ok.returncode == 0 and "parsed" in ok.stdout, ok.stderr
    # The check can fail: a field the API does not have is refused.
    broken = json.loads(texts[0])
    broken["mosaicLayout"]["tiles"][0]["widget"]["xyChart"]["dataSets"][0]["legend"] = "x"
    bad = subprocess.run([GOOGLE_TYPES, "-c", PARSE], input=json.dumps(broken), capture_output=True, text=True, timeout=120, check=False)
    assert bad.returncode != 0 and "legend" in bad.stderr


def test_legends_and_units_follow_the_grafana_panel() -> None:
    board = dashboards.fleet_dashboard("c")
    cloud = cloud_dashboard(board, "c")
    by_title = {w["title"]: w for w in widgets(cloud)}
    gpu = by_title["GPU utilization by node"]["xyChart"]["dataSets"][0]
    assert gpu["legendTemplate"] == "${Hostname}"
    assert gpu["timeSeriesQuery"]["unitOverride"] == "%"
    assert "timeSeriesTable" in by_title["Firing alerts"]
