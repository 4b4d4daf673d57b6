"""Grafana dashboards as code: one fleet overview per cluster, one dashboard per placement.

Built as plain dicts (Grafana's dashboard JSON model, schemaVersion 39) and shipped in
ConfigMaps labelled ``grafana_dashboard: "1"``, which the Grafana sidecar of
kube-prometheus-stack loads from every namespace. Every query names only series in
:data:`.metrics.EXPORTED` or a recording rule of :mod:`.alerts` (tests enforce it).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from infra.workloads.operations import alerts
from infra.workloads.operations.metrics import CLIENT_LABEL, TOKEN_TYPE_LABEL, gateway_route_regex, selector

SCHEMA_VERSION = 39
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
DASHBOARD_LABEL = {"grafana_dashboard": "1"}
"""Label the Grafana sidecar selects dashboard ConfigMaps by (kube-prometheus-stack default)."""
FOLDER_ANNOTATION = "grafana_folder"
FOLDER = "llm-fleet"
RATE = "5m"


@dataclass(frozen=True)
class Query:
    expr: str
    legend: str = ""


@dataclass(frozen=True)
class Panel:
    title: str
    queries: tuple[Query, ...]
    unit: str = "short"
    kind: str = "timeseries"
    description: str = ""
    width: int = 12
    height: int = 8


@dataclass(frozen=True)
class DashboardScope:
    """One placement's dashboard inputs."""

    model: str
    target: str
    namespace: str
    server: str
    api_routes: tuple[str, ...]
    ttft_target_s: float
    itl_target_s: float
    min_replicas: int
    max_replicas: int
    cost_basis: str | None


def _panel_json(panel: Panel, panel_id: int, x: int, y: int) -> dict[str, Any]:
    targets = [
        {"refId": chr(ord("A") + i), "expr": q.expr, "legendFormat": q.legend or "__auto", "datasource": DATASOURCE}
        for i, q in enumerate(panel.queries)
    ]
    out: dict[str, Any] = {
        "id": panel_id,
        "type": panel.kind,
        "title": panel.title,
        "datasource": DATASOURCE,
        "gridPos": {"h": panel.height, "w": panel.width, "x": x, "y": y},
        "fieldConfig": {"defaults": {"unit": panel.unit}, "overrides": []},
        "options": {},
        "targets": targets,
    }
    if panel.description:
        out["description"] = panel.description
    return out


def _dashboard(uid: str, title: str, tags: list[str], panels: list[Panel]) -> dict[str, Any]:
    laid_out, x, y, row_height = [], 0, 0, 0
    for index, panel in enumerate(panels, start=1):
        if x + panel.width > 24:
            x, y, row_height = 0, y + row_height, 0
        laid_out.append(_panel_json(panel, index, x, y))
        x += panel.width
        row_height = max(row_height, panel.height)
    return {
        "uid": uid,
        "title": title,
        "tags": ["llm-fleet", *tags],
        "schemaVersion": SCHEMA_VERSION,
        "version": 1,
        "editable": False,
        "timezone": "utc",
        "refresh": "30s",
        "time": {"from": "now-6h", "to": "now"},
        "templating": {
            "list": [
                {
                    "name": "datasource",
                    "type": "datasource",
                    "query": "prometheus",
                    "label": "Data source",
                    "current": {},
                    "hide": 0,
                }
            ]
        },
        "annotations": {"list": []},
        "panels": laid_out,
    }


def _latency_panel(title: str, metric: str, sel: str, p95_target_s: float | None = None) -> Panel:
    """p50/p95/p99 of one latency histogram in seconds, with the SLO's p95 target line when it has one."""
    queries = tuple(
        Query(f"histogram_quantile({q}, sum by (le) (rate({metric}_bucket{sel}[{RATE}])))", f"p{int(q * 100)}")
        for q in (0.5, 0.95, 0.99)
    )
    if p95_target_s is not None:
        queries += (Query(f"vector({p95_target_s!r})", "p95 target"),)
    return Panel(title, queries, "s")


def placement_dashboard(scope: DashboardScope) -> dict[str, Any]:
    ns = selector({"namespace": scope.namespace})
    route = selector({}, {"envoy_cluster_name": gateway_route_regex(scope.namespace, scope.api_routes)})
    deployment = selector({"namespace": scope.namespace, "deployment": scope.server})

    def slo(sli: str) -> str:
        return selector({"namespace": scope.namespace, "slo": sli})

    panels = [
        Panel(
            "Requests / s by finish reason",
            (Query(f"sum by (finished_reason) (rate(vllm:request_success_total{ns}[{RATE}]))", "{{finished_reason}}"),),
            "reqps",
            description="abort = aborted by the engine (a client that disconnects is not counted); "
            "error = answered 500.",
        ),
        Panel(
            "Gateway answers / s and 5xx share",
            (
                Query(f"sum(rate(envoy_cluster_upstream_rq_completed{route}[{RATE}]))", "answered"),
                Query(f"{alerts.RECORD_SLO_ERRORS}5m{slo('availability')}", "5xx share"),
            ),
            "short",
            description="From the Envoy Gateway route clusters of this model (the availability SLI).",
        ),
        Panel(
            "Tokens / s",
            (
                Query(f"sum(rate(vllm:prompt_tokens_total{ns}[{RATE}]))", "prompt"),
                Query(f"sum(rate(vllm:generation_tokens_total{ns}[{RATE}]))", "generated"),
            ),
            "short",
        ),
        _latency_panel("Time to first token", "vllm:time_to_first_token_seconds", ns, scope.ttft_target_s),
        _latency_panel("Inter-token latency", "vllm:inter_token_latency_seconds", ns, scope.itl_target_s),
        _latency_panel("End-to-end request latency", "vllm:e2e_request_latency_seconds", ns),
        Panel(
            "Queue: running and waiting",
            (
                Query(f"sum(vllm:num_requests_running{ns})", "running"),
                Query(f"sum(vllm:num_requests_waiting{ns})", "waiting"),
                Query(f"sum by (reason) (vllm:num_requests_waiting_by_reason{ns})", "waiting: {{reason}}"),
            ),
        ),
        Panel(
            "KV cache usage by pod",
            (Query(f"max by (pod) (vllm:kv_cache_usage_perc{ns})", "{{pod}}"),),
            "percentunit",
        ),
        Panel(
            "Preemptions / s",
            (Query(f"sum(rate(vllm:num_preemptions_total{ns}[{RATE}]))", "preemptions"),),
            "short",
        ),
        Panel(
            "Prefix-cache hit rate",
            (
                Query(
                    f"sum(rate(vllm:prefix_cache_hits_total{ns}[{RATE}])) / "
                    f"sum(rate(vllm:prefix_cache_queries_total{ns}[{RATE}]))",
                    "hit rate",
                ),
            ),
            "percentunit",
        ),
        Panel(
            "Finish reasons (share)",
            (
                Query(
                    f"sum by (finished_reason) (increase(vllm:request_success_total{ns}[1h])) / ignoring "
                    f"(finished_reason) group_left sum(increase(vllm:request_success_total{ns}[1h]))",
                    "{{finished_reason}}",
                ),
            ),
            "percentunit",
            kind="piechart",
        ),
        Panel(
            "GPU utilization",
            (Query(f"avg by (pod, gpu) (DCGM_FI_DEV_GPU_UTIL{ns})", "{{pod}} gpu {{gpu}}"),),
            "percent",
            description="Near 100% whenever the engine batches: a health signal, not a scaling signal.",
        ),
        Panel(
            "GPU memory used",
            (Query(f"sum by (pod, gpu) (DCGM_FI_DEV_FB_USED{ns})", "{{pod}} gpu {{gpu}}"),),
            "decmbytes",
        ),
        Panel(
            "GPU temperature",
            (Query(f"max by (pod, gpu) (DCGM_FI_DEV_GPU_TEMP{ns})", "{{pod}} gpu {{gpu}}"),),
            "celsius",
        ),
        Panel(
            "Replicas",
            (
                Query(f"sum(kube_deployment_status_replicas_available{deployment})", "available"),
                Query(f"sum(kube_deployment_spec_replicas{deployment})", "desired"),
                Query(f"vector({scope.min_replicas})", "min"),
                Query(f"vector({scope.max_replicas})", "max"),
            ),
        ),
        Panel(
            "Serving cost, USD / hour (estimate)",
            (Query(f"sum({alerts.RECORD_COST}{ns})", "USD/h"),),
            "currencyUSD",
            description=(
                "Replicas x the GPU share of the nodes they hold, at "
                + (scope.cost_basis or "no known price (panel stays empty)")
                + ". Idle nodes, control plane, network and storage are not included: see `llmfleet cost`."
            ),
        ),
        Panel(
            "SLO burn rate (1h)",
            (Query(f"{alerts.RECORD_BURN}{ns}", "{{slo}}"),),
            "short",
            description="1 = spending the error budget exactly over the SLO window; 14.4 pages.",
        ),
        Panel(
            "Error budget left",
            (Query(f"{alerts.RECORD_BUDGET_REMAINING}{ns}", "{{slo}}"),),
            "percentunit",
            kind="stat",
        ),
    ]
    return _dashboard(
        uid=f"llmfleet-{scope.target}-{scope.model}"[:40],
        title=f"LLM fleet / {scope.model} on {scope.target}",
        tags=[scope.model, scope.target],
        panels=panels,
    )


def fleet_dashboard(target: str) -> dict[str, Any]:
    """Every model on one cluster side by side, plus the GPUs and firing alerts."""
    per_ns = "by (namespace)"
    panels = [
        Panel(
            "Requests / s by model",
            (Query(f"sum {per_ns} (rate(vllm:request_success_total[{RATE}]))", "{{namespace}}"),),
            "reqps",
        ),
        Panel(
            "Generated tokens / s by model",
            (Query(f"sum {per_ns} (rate(vllm:generation_tokens_total[{RATE}]))", "{{namespace}}"),),
        ),
        Panel(
            "TTFT p95 by model",
            (
                Query(
                    f"histogram_quantile(0.95, sum by (namespace, le) "
                    f"(rate(vllm:time_to_first_token_seconds_bucket[{RATE}])))",
                    "{{namespace}}",
                ),
            ),
            "s",
        ),
        Panel(
            "ITL p95 by model",
            (
                Query(
                    f"histogram_quantile(0.95, sum by (namespace, le) "
                    f"(rate(vllm:inter_token_latency_seconds_bucket[{RATE}])))",
                    "{{namespace}}",
                ),
            ),
            "s",
        ),
        Panel(
            "Waiting requests by model",
            (Query(f"sum {per_ns} (vllm:num_requests_waiting)", "{{namespace}}"),),
        ),
        Panel(
            "KV cache usage (max pod) by model",
            (Query(f"max {per_ns} (vllm:kv_cache_usage_perc)", "{{namespace}}"),),
            "percentunit",
        ),
        Panel(
            "5xx share at the gateway (5m)",
            (Query(f'{alerts.RECORD_SLO_ERRORS}5m{{slo="availability"}}', "{{model}}"),),
            "percentunit",
        ),
        Panel(
            "Replicas available by model",
            (
                Query(
                    f"sum {per_ns} (kube_deployment_status_replicas_available"
                    f'{selector({}, {"namespace": "llm-.*"})})',
                    "{{namespace}}",
                ),
            ),
        ),
        Panel("GPU utilization by node", (Query("avg by (Hostname) (DCGM_FI_DEV_GPU_UTIL)", "{{Hostname}}"),), "percent"),
        Panel(
            "GPU memory used by node",
            (Query("sum by (Hostname) (DCGM_FI_DEV_FB_USED)", "{{Hostname}}"),),
            "decmbytes",
        ),
        Panel("GPU temperature (max) by node", (Query("max by (Hostname) (DCGM_FI_DEV_GPU_TEMP)", "{{Hostname}}"),), "celsius"),
        Panel(
            "Serving cost, USD / hour (estimate)",
            (
                Query(f"sum by (model) ({alerts.RECORD_COST})", "{{model}}"),
                Query(f"sum({alerts.RECORD_COST})", "total"),
            ),
            "currencyUSD",
            description="GPU share of the nodes model servers hold, at list price or amortised hardware; "
            "idle nodes and platform fees excluded (see `llmfleet cost`).",
        ),
        Panel(
            "Firing alerts",
            (Query('sum by (alertname, severity) (ALERTS{alertstate="firing"})', "{{alertname}} ({{severity}})"),),
            kind="table",
            width=24,
        ),
    ]
    return _dashboard(uid=f"llmfleet-fleet-{target}"[:40], title=f"LLM fleet / {target} overview", tags=[target], panels=panels)


@dataclass(frozen=True)
class ClientPanelScope:
    """One API client's row of the clients dashboard."""

    name: str
    owner: str
    requests_per_minute: int
    tokens_per_month: int | None


def client_dashboard(target: str, clients: list[ClientPanelScope]) -> dict[str, Any]:
    """One row per API client on one cluster: its tokens and requests by model (Envoy AI Gateway's
    metering, recorded by ``alerts.client_rule_groups``) and its use of the monthly quota."""
    panels: list[Panel] = []
    for client in clients:
        mine = f'{{client="{client.name}"}}'
        panels.append(
            Panel(
                f"{client.name}: tokens / s by model",
                (
                    Query(
                        f"sum by (model, {TOKEN_TYPE_LABEL}) ({alerts.RECORD_CLIENT_TOKENS_RATE}{mine})",
                        "{{model}} {{%s}}" % TOKEN_TYPE_LABEL,  # noqa: UP031 - Grafana's braces
                    ),
                ),
                description=f"Owner {client.owner}. Prompt (input), completion (output) and total tokens "
                f"through this gateway, from the {CLIENT_LABEL} label AI Gateway sets from the API key.",
                width=8,
            )
        )
        panels.append(
            Panel(
                f"{client.name}: requests / min by model",
                (
                    Query(f"60 * sum by (model) ({alerts.RECORD_CLIENT_REQUESTS_RATE}{mine})", "{{model}}"),
                    Query(str(client.requests_per_minute), "limit (requestsPerMinute)"),
                ),
                width=8,
            )
        )
        quota = client.tokens_per_month
        queries = [Query(f"sum by (model) ({alerts.RECORD_CLIENT_TOKENS_MONTH}{mine})", "{{model}}: last 30 days")]
        if quota is not None:
            queries.append(Query(str(quota), "quota (tokensPerMonth)"))
        panels.append(Panel(f"{client.name}: tokens in 30 days vs monthly quota", tuple(queries), width=8))
    return _dashboard(
        uid=f"llmfleet-clients-{target}"[:40], title=f"LLM fleet / {target} API clients", tags=[target, "clients"],
        panels=panels,
    )


def dashboard_configmap_data(dashboard: dict[str, Any]) -> dict[str, str]:
    """ConfigMap ``data``: one JSON file named after the dashboard uid (sorted keys: stable renders)."""
    return {f"{dashboard['uid']}.json": json.dumps(dashboard, indent=2, sort_keys=True)}
