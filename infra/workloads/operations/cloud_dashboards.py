"""Cloud Monitoring dashboards from the Grafana dashboards of :mod:`.dashboards`.

On a cluster whose metrics live in Google Managed Prometheus nothing loads Grafana ConfigMaps
(there is no in-cluster Grafana), so the same panels become a Cloud Monitoring dashboard
(``gcp:monitoring/dashboard``) whose widgets run the same PromQL (``timeSeriesQuery.prometheusQuery``)
against the project's GMP data. GMP is project-wide, so every series selector is pinned to the
cluster (GKE labels each series with ``cluster``, the target's name).

Pure functions: a Grafana dashboard dict in, a Cloud Monitoring ``Dashboard`` dict (the REST
resource's JSON) out. ``tests/operations/test_cloud_dashboards.py`` parses it with Google's own
message types and checks every query with promtool.
"""

from __future__ import annotations

import re
from typing import Any

from infra.workloads.operations.metrics import referenced_metrics

MOSAIC_COLUMNS = 48
"""Cloud Monitoring's mosaic grid has 48 columns; Grafana's has 24: x and width double."""
UNITS = {"s": "s", "percent": "%", "percentunit": "10^2.%", "decmbytes": "MBy", "celsius": "Cel", "reqps": "1/s"}
"""Grafana unit -> the UCUM unit Cloud Monitoring shows (no entry: the series' own unit)."""
_GRAFANA_LEGEND = re.compile(r"\{\{\s*([A-Za-z_]\w*)\s*\}\}")


def scope_to_cluster(expr: str, cluster: str) -> str:
    """``expr`` with ``cluster="<cluster>"`` added to every series selector it has."""
    matcher = f'cluster="{cluster}"'
    for name in sorted(referenced_metrics(expr), key=len, reverse=True):
        pattern = re.compile(rf"(?<![\w:\"']){re.escape(name)}(?![\w:])(\{{[^{{}}]*\}})?")

        def add(match: re.Match[str], name: str = name) -> str:
            inner = (match.group(1) or "{}")[1:-1].strip()
            return f"{name}{{{matcher}{', ' + inner if inner else ''}}}"

        expr = pattern.sub(add, expr)
    return expr


def _legend(grafana: str) -> str:
    """Grafana's ``{{label}}`` legend as Cloud Monitoring's ``${label}`` (XyChart.DataSet.legend_template)."""
    if grafana in ("", "__auto"):
        return ""
    return _GRAFANA_LEGEND.sub(lambda m: "${" + m.group(1) + "}", grafana)


def _query(target: dict[str, Any], unit: str, cluster: str) -> dict[str, Any]:
    query: dict[str, Any] = {"prometheusQuery": scope_to_cluster(target["expr"], cluster)}
    if unit in UNITS:
        query["unitOverride"] = UNITS[unit]
    return query


def _widget(panel: dict[str, Any], cluster: str) -> dict[str, Any]:
    unit = panel["fieldConfig"]["defaults"].get("unit", "short")
    targets = panel["targets"]
    widget: dict[str, Any] = {"title": panel["title"]}
    if panel["type"] == "stat" and len(targets) == 1:
        widget["scorecard"] = {"timeSeriesQuery": _query(targets[0], unit, cluster)}
    elif panel["type"] == "table":
        widget["timeSeriesTable"] = {"dataSets": [{"timeSeriesQuery": _query(t, unit, cluster)} for t in targets]}
    elif panel["type"] == "piechart":
        widget["pieChart"] = {
            "chartType": "DONUT",
            "dataSets": [
                {"timeSeriesQuery": _query(t, unit, cluster), "sliceNameTemplate": _legend(t.get("legendFormat", ""))}
                for t in targets
            ],
        }
    else:
        data_sets = []
        for t in targets:
            data_set: dict[str, Any] = {"timeSeriesQuery": _query(t, unit, cluster), "plotType": "LINE", "targetAxis": "Y1"}
            legend = _legend(t.get("legendFormat", ""))
            if legend:
                data_set["legendTemplate"] = legend
            data_sets.append(data_set)
        widget["xyChart"] = {"dataSets": data_sets, "yAxis": {"scale": "LINEAR"}, "chartOptions": {"mode": "COLOR"}}
    return widget


def cloud_dashboard(board: dict[str, Any], cluster: str) -> dict[str, Any]:
    """The Cloud Monitoring dashboard showing ``board``'s panels for one GMP cluster."""
    tiles = []
    for panel in board["panels"]:
        grid = panel["gridPos"]
        tiles.append(
            {
                "xPos": grid["x"] * 2,
                "yPos": grid["y"],
                "width": grid["w"] * 2,
                "height": grid["h"],
                "widget": _widget(panel, cluster),
            }
        )
    return {
        "displayName": board["title"],
        "labels": {tag.replace(".", "-").lower(): "" for tag in board.get("tags", [])},
        "mosaicLayout": {"columns": MOSAIC_COLUMNS, "tiles": tiles},
    }
