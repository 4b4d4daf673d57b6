"""Prometheus rule groups generated from each model's SLO, plus the cause alerts.

Pure functions: config in, rule-file dicts out (``{"groups": [...]}``, the shape of a
Prometheus rule file, of a PrometheusRule's ``spec`` and of a GMP ``ClusterRules`` spec).
``tests/promtool`` feeds them to ``promtool check rules`` / ``promtool test rules``.

SLIs (one recorded series name, ``llmfleet:slo_errors:ratio_rate<window>``, label ``slo``):

* ``availability``: share of requests the gateway answered with a 5xx, from Envoy's per-route
  cluster counters. Measured at the gateway because that is what clients see, and because it
  counts the failures an engine cannot report about itself: no ready replica (Envoy's 503 "no
  healthy upstream"), a crashed or wedged pod, upstream timeouts, and the launcher's 503s
  while a server drains. vLLM's own ``finished_reason`` cannot replace it: ``"error"`` is
  always answered 500, so the gateway's 5xx already includes it, and ``"abort"`` counts only
  requests the *engine* aborted (a shutdown without drain, a pause in abort mode). A client
  that disconnects is not counted under any reason: vLLM's frontend drops the request without
  a finished-request record (vllm/v1/engine/output_processor.py ``abort_requests``; checked
  against the real server in tests/serving/vllm_server). A stream the drain ends at
  ``shutdownTimeout`` is answered 200 with an SSE error event, so no 5xx counts it either; the
  server's log does (``drain: N request(s) still running ... were ended with an error``).
* ``ttft`` / ``itl``: share of requests (tokens, for ITL) slower than the target, from vLLM's
  histogram. "p95 <= target" is the same statement as "at most 5% over target", so the error
  budget is 5%. The boundary is the largest bucket <= the target (vLLM's default buckets are
  in :mod:`.metrics`); with a target between buckets the rule counts requests between the
  boundary and the target as slow too: it errs towards alerting.

Burn-rate alerts follow the Google SRE workbook ("Alerting on SLOs", multiwindow,
multi-burn-rate): page on 14.4x over 1h (and 5m) or 6x over 6h (and 30m); ticket on 3x over
1d (and 2h) or 1x over 3d (and 6h). A ratio threshold above 1 can never be met, so it is capped
just below 1 (only very loose SLOs reach it).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from infra.config import Slo
from infra.workloads.operations.metrics import (
    CLIENT_LABEL,
    ITL_BUCKETS,
    REQUEST_MODEL_LABEL,
    TOKEN_TYPE_LABEL,
    TTFT_BUCKETS,
    boundary_at_or_below,
    bucket_le,
    gateway_route_regex,
    selector,
)
from serving.errors import LlmFleetError

RECORD_SLO_ERRORS = "llmfleet:slo_errors:ratio_rate"
RECORD_BUDGET_REMAINING = "llmfleet:slo_error_budget:remaining"
RECORD_COST = "llmfleet:serving_cost_usd:per_hour"
RECORD_BURN = "llmfleet:slo_burn_rate:ratio_rate1h"
RECORD_CLIENT_TOKENS_RATE = "llmfleet:client_tokens:rate5m"
RECORD_CLIENT_REQUESTS_RATE = "llmfleet:client_requests:rate5m"
RECORD_CLIENT_TOKENS_MONTH = "llmfleet:client_tokens:increase30d"
CLIENT_QUOTA_WARNING = 0.8
"""Share of a client's monthly token quota at which ClientNearMonthlyTokenQuota fires."""
CLIENT_QUOTA_FOR = "15m"
MONTH_WINDOW = "30d"
"""The rate-limit service's ``Month`` is a fixed 30-day window; a sliding 30 days approximates it."""

WINDOWS = ("5m", "30m", "1h", "2h", "6h", "1d", "3d")
LATENCY_BUDGET = 0.05
"""A p95 target allows 5% of requests (tokens) above it."""
RULE_INTERVAL = "30s"
BUDGET_INTERVAL = "5m"
MAX_RATIO_THRESHOLD = 0.999


@dataclass(frozen=True)
class BurnWindow:
    long: str
    short: str
    factor: float


PAGE_WINDOWS = (BurnWindow("1h", "5m", 14.4), BurnWindow("6h", "30m", 6.0))
TICKET_WINDOWS = (BurnWindow("1d", "2h", 3.0), BurnWindow("3d", "6h", 1.0))
PAGE_FOR = "2m"
TICKET_FOR = "15m"

# Cause-alert thresholds (one place, with the reason for each)
KV_CACHE_SATURATED = 0.95
"""KV cache above 95% *while requests wait*: the engine is turning work away for lack of KV."""
KV_CACHE_FOR = "10m"
QUEUE_FOR = "15m"
"""Longer than KEDA needs to add a replica (polling + GPU node start + model load is minutes)."""
PREEMPTIONS_PER_10M = 10
"""Each preemption recomputes a request's prefill; a steady stream means max-num-seqs is too high."""
STALLED_FOR = "5m"
REPLICAS_FOR = "15m"
"""A replica may take 10+ minutes to start (GPU node, weights, CUDA graphs) before it counts."""
RESTARTS_PER_HOUR = 2
"""Two or more restarts of a model server container in an hour (each costs minutes of capacity).
A threshold on a whole number: ``increase()`` extrapolates, so one restart can read as 1.02."""
XID_HARDWARE_CODES = (48, 61, 62, 63, 64, 74, 79, 92, 94, 95, 119, 120, 140)
"""XIDs that point at the GPU or its memory/links rather than the application (NVIDIA XID
catalogue, https://docs.nvidia.com/deploy/xid-errors/): DBE, internal micro-controller halts,
row-remapping events and failures, NVLink errors, fallen off the bus, uncontained ECC, GSP errors."""


@dataclass(frozen=True)
class PlacementRuleScope:
    """What the rules of one model placement need to know."""

    model: str
    target: str
    namespace: str
    server: str
    """Name of the Deployment (or LeaderWorkerSet) and prefix of its pods."""
    api_routes: tuple[str, ...]
    """HTTPRoutes of the model's API traffic (not its health route, which Route 53 probes)."""
    workload_kind: str
    slo: Slo
    min_replicas: int
    queue_depth_per_replica: int
    replica_usd_per_hour: float | None
    config_path: str = ""
    """Where the SLO lives in the stack config (for error messages), e.g. ``models[0].slo``."""

    @property
    def route_regex(self) -> str:
        return gateway_route_regex(self.namespace, self.api_routes)

    @property
    def labels(self) -> dict[str, str]:
        return {"namespace": self.namespace, "model": self.model, "target": self.target}

    def ns(self, **extra: str) -> str:
        return selector({"namespace": self.namespace, **extra})


# ---------------------------------------------------------------------------
# Runbooks: one per alert (annotations summary, description, runbook)
# ---------------------------------------------------------------------------

RUNBOOKS: dict[str, dict[str, str]] = {
    "ModelAvailabilityBurnRatePage": {
        "summary": "{{ $labels.model }} on {{ $labels.target }}: 5xx share burns the availability budget fast",
        "description": "The gateway answers {{ $labels.model }} with 5xx at a rate that spends the monthly error "
        "budget within days (multiwindow burn-rate page, SRE workbook).",
        "runbook": "1. Check the model dashboard: replicas ready vs desired, pod restarts, generation stalled. "
        "2. 503 'no healthy upstream' means no ready replica: look at pod events (Pending: GPU capacity or "
        "node scale-up; CrashLoop: kubectl logs --previous). 3. 5xx with replicas ready: engine errors in the "
        "server logs, KV cache exhaustion, timeouts at the gateway; 503 with Retry-After during a rollout or "
        "scale-down comes from servers draining (their logs say 'drain:'), and 503 from vLLM itself from "
        "maxNumQueuedRequests, which counts running requests too (vllm:admission_rejections_total). "
        "4. Shift traffic: the routing health check fails over to the other target when /health fails; "
        "lower the weight of this target otherwise.",
    },
    "ModelAvailabilityBurnRateTicket": {
        "summary": "{{ $labels.model }} on {{ $labels.target }}: 5xx share is eroding the availability budget",
        "description": "A slow, steady 5xx rate at the gateway for {{ $labels.model }} will exhaust the error "
        "budget before the SLO window ends.",
        "runbook": "Look for a pattern in the gateway access logs (one client, one prompt size, one replica). "
        "Check recent rollouts of the model server and the gateway, pod restarts and GPU errors on the nodes.",
    },
    "ModelTtftBurnRatePage": {
        "summary": "{{ $labels.model }} on {{ $labels.target }}: time to first token over target for too many requests",
        "description": "More than 5% of requests to {{ $labels.model }} wait longer than the TTFT target, fast "
        "enough to spend the latency budget within days.",
        "runbook": "1. Queue depth and KV cache usage on the dashboard: a long queue means too few replicas: "
        "check the ScaledObject (kubectl get scaledobject -n {{ $labels.namespace }}) and whether it is at "
        "maxReplicaCount or GPU nodes cannot start. 2. Preemptions high: lower max-num-seqs or max-model-len. "
        "3. Long prompts: prefill dominates; check vllm:request_prompt_tokens.",
    },
    "ModelTtftBurnRateTicket": {
        "summary": "{{ $labels.model }} on {{ $labels.target }}: TTFT budget eroding",
        "description": "A steady share of requests to {{ $labels.model }} exceeds the TTFT target.",
        "runbook": "Compare traffic with capacity over the last days: raise replicas.max or "
        "lower autoscaling.queueDepthPerReplica; review prompt lengths and the prefix-cache hit rate.",
    },
    "ModelItlBurnRatePage": {
        "summary": "{{ $labels.model }} on {{ $labels.target }}: inter-token latency over target",
        "description": "More than 5% of generated tokens of {{ $labels.model }} arrive slower than the ITL target, "
        "fast enough to spend the budget within days.",
        "runbook": "Decode is slowed by large batches: check vllm:num_requests_running per pod, GPU utilization and "
        "temperature (throttling), and preemptions. Scale out, or lower max-num-seqs.",
    },
    "ModelItlBurnRateTicket": {
        "summary": "{{ $labels.model }} on {{ $labels.target }}: ITL budget eroding",
        "description": "A steady share of tokens of {{ $labels.model }} is slower than the ITL target.",
        "runbook": "Review batch sizes against the GPU type; consider a larger GPU or tensor parallelism.",
    },
    "VllmKvCacheSaturated": {
        "summary": "{{ $labels.model }} pod {{ $labels.pod }}: KV cache full while requests wait",
        "description": "The KV cache of {{ $labels.pod }} has been above 95% with requests waiting: the engine "
        "cannot admit more sequences.",
        "runbook": "Add replicas (check the ScaledObject's max), shorten max-model-len, use an fp8 KV cache "
        "(kvCacheDtype) or a GPU with more memory. Check for a few very long requests hogging the cache.",
    },
    "VllmQueueGrowing": {
        "summary": "{{ $labels.model }} on {{ $labels.target }}: request queue keeps growing",
        "description": "Waiting requests per replica of {{ $labels.model }} stay above the autoscaling target and "
        "are not going down: the autoscaler is not keeping up.",
        "runbook": "1. kubectl get scaledobject,hpa -n {{ $labels.namespace }}: at maxReplicaCount? raise "
        "replicas.max. 2. Pending pods: the GPU pool is at its node maximum or the cloud has no capacity "
        "(Karpenter/GKE events). 3. KEDA cannot reach Prometheus: keda-operator logs.",
    },
    "VllmPreemptionsHigh": {
        "summary": "{{ $labels.model }} on {{ $labels.target }}: frequent preemptions",
        "description": "The engine of {{ $labels.model }} keeps preempting running sequences for lack of KV "
        "cache; each preemption recomputes work.",
        "runbook": "Lower max-num-seqs or max-model-len, use an fp8 KV cache, or add replicas.",
    },
    "VllmGenerationStalled": {
        "summary": "{{ $labels.model }} pod {{ $labels.pod }}: no tokens generated while requests run",
        "description": "{{ $labels.pod }} reports running requests but has produced no token for 5 minutes. "
        "/health can stay green on a hung engine (vllm#45094, vllm#36960).",
        "runbook": "Capture the server logs (NCCL timeouts, CUDA errors), check the node's GPU XID events, then "
        "delete the pod so the Deployment replaces it. If it repeats on one node, cordon the node.",
    },
    "ModelReplicasBelowMinimum": {
        "summary": "{{ $labels.model }} on {{ $labels.target }}: fewer ready replicas than the configured minimum",
        "description": "{{ $labels.deployment }} has had fewer available replicas than placements[].replicas.min "
        "for 15 minutes.",
        "runbook": "kubectl describe pods -n {{ $labels.namespace }}: Pending (GPU nodes at pool maximum, no "
        "cloud capacity, taints), CrashLoopBackOff (logs --previous: OOM, driver/CUDA mismatch, weights "
        "missing), or a failing startup probe (load slower than the probe budget).",
    },
    "ModelPodsRestarting": {
        "summary": "{{ $labels.model }} pod {{ $labels.pod }} restarts repeatedly",
        "description": "The model server container of {{ $labels.pod }} restarted more than once in the last hour.",
        "runbook": "kubectl logs --previous; look for OOMKilled (host memory vs /dev/shm), liveness failures "
        "under load (raise the liveness budget), or GPU errors on the node.",
    },
    "ClientNearMonthlyTokenQuota": {
        "summary": "API client {{ $labels.client }} used over 80% of its monthly token quota for {{ $labels.model }}",
        "description": "Over the last 30 days {{ $labels.client }} sent prompt + completion tokens to "
        "{{ $labels.model }} on {{ $labels.target }} worth more than 80% of its tokensPerMonth; once over the "
        "quota the gateway answers 429.",
        "runbook": "Tell the client's owner (llm-fleet:clients[].owner). Raise tokensPerMonth in the stack "
        "config (and pulumi up) if the use is expected, or leave the quota to stop it; the quota is per "
        "target gateway, so a routed hostname spreads it over its endpoints.",
    },
    "GpuXidError": {
        "summary": "GPU {{ $labels.gpu }} on {{ $labels.Hostname }} reported an XID error",
        "description": "DCGM reports an XID error on {{ $labels.Hostname }} (not one of the hardware XIDs, "
        "often an application fault such as a bad memory access).",
        "runbook": "Read the XID code on the dashboard and in the node's kernel log (dmesg | grep Xid); match it "
        "with NVIDIA's XID catalogue. The exporter keeps reporting the last XID until it restarts "
        "(dcgm-exporter#500): once handled, restart the exporter pod on that node to clear the alert.",
    },
    "GpuXidHardwareError": {
        "summary": "GPU {{ $labels.gpu }} on {{ $labels.Hostname }}: hardware XID error",
        "description": "DCGM reports an XID that points at the GPU itself (ECC, row remapping, NVLink, "
        "fallen off the bus, GSP) on {{ $labels.Hostname }}.",
        "runbook": "Cordon and drain the node (kubectl cordon/drain), then reset the GPU or reboot the node; "
        "on clouds replace the instance. Open a hardware ticket if it recurs. Restart the exporter pod "
        "afterwards to clear the last-XID value.",
    },
    "GpuEccDoubleBitError": {
        "summary": "GPU {{ $labels.gpu }} on {{ $labels.Hostname }}: uncorrectable ECC errors",
        "description": "Double-bit (uncorrectable) ECC errors on {{ $labels.Hostname }}: results computed on "
        "this GPU may be corrupt.",
        "runbook": "Cordon and drain the node now; reset the GPU (row remapping needs a reset) or replace "
        "the instance; check DCGM_FI_DEV_XID_ERRORS for XID 48/63/64.",
    },
}


def _annotations(alert: str, static: dict[str, str] | None = None) -> dict[str, str]:
    """The alert's runbook text. Prometheus renders ``$labels`` from the *series* (before the
    rule's own ``labels`` apply), so labels the rule adds are filled in here, at generation."""
    out = dict(RUNBOOKS[alert])
    for key, value in (static or {}).items():
        out = {k: v.replace("{{ $labels.%s }}" % key, value) for k, v in out.items()}  # noqa: UP031
    return out


def _threshold(value: float) -> str:
    return repr(round(min(value, MAX_RATIO_THRESHOLD), 10))


# ---------------------------------------------------------------------------
# SLI expressions
# ---------------------------------------------------------------------------


def latency_boundary(target_ms: int, buckets: Iterable[float], key: str) -> float:
    """Largest histogram bound <= target; an error naming ``key`` when the target is below all."""
    bound = boundary_at_or_below(target_ms / 1000, buckets)
    if bound is None:
        smallest = min(buckets)
        raise LlmFleetError(
            f"{key}: {target_ms} ms is below vLLM's smallest histogram bucket ({smallest * 1000:g} ms); "
            f"use a target of at least {smallest * 1000:g} ms"
        )
    return bound


def sli_error_ratio(scope: PlacementRuleScope, sli: str, window: str) -> str:
    if sli == "availability":
        route = {"envoy_cluster_name": scope.route_regex}
        bad = selector({"envoy_response_code_class": "5"}, route)
        total = selector({}, route)
        return (
            f"sum(rate(envoy_cluster_upstream_rq_xx{bad}[{window}]))\n"
            f"/\nsum(rate(envoy_cluster_upstream_rq_completed{total}[{window}]))"
        )
    metric, bound = _latency_metric(scope, sli)
    le = selector({"namespace": scope.namespace}, {"le": bucket_le(bound)})
    return (
        f"1 - (\n  sum(rate({metric}_bucket{le}[{window}]))\n  /\n"
        f"  sum(rate({metric}_count{scope.ns()}[{window}]))\n)"
    )


def _latency_metric(scope: PlacementRuleScope, sli: str) -> tuple[str, float]:
    if sli == "ttft":
        key = f"{scope.config_path or 'slo'}.ttftP95Ms"
        return "vllm:time_to_first_token_seconds", latency_boundary(scope.slo.ttft_p95_ms, TTFT_BUCKETS, key)
    if sli == "itl":
        key = f"{scope.config_path or 'slo'}.itlP95Ms"
        return "vllm:inter_token_latency_seconds", latency_boundary(scope.slo.itl_p95_ms, ITL_BUCKETS, key)
    raise ValueError(f"unknown SLI {sli!r}")


def error_budget(slo: Slo, sli: str) -> float:
    if sli == "availability":
        return round(1 - slo.availability_percent / 100, 10)
    return LATENCY_BUDGET


SLIS = ("availability", "ttft", "itl")
_ALERT_STEM = {"availability": "ModelAvailability", "ttft": "ModelTtft", "itl": "ModelItl"}


# ---------------------------------------------------------------------------
# Rule groups
# ---------------------------------------------------------------------------


def placement_rule_groups(scope: PlacementRuleScope) -> list[dict[str, Any]]:
    """Every rule group of one model placement (recording, SLO alerts, causes, cost)."""
    groups = [
        _slo_recording_group(scope),
        _slo_budget_group(scope),
        _slo_alert_group(scope),
        _cause_alert_group(scope),
    ]
    cost = _cost_group(scope)
    if cost is not None:
        groups.append(cost)
    return groups


def _group_name(scope: PlacementRuleScope, part: str) -> str:
    return f"llm-fleet.{scope.model}.{part}"


def _slo_recording_group(scope: PlacementRuleScope) -> dict[str, Any]:
    rules = []
    for sli in SLIS:
        for window in WINDOWS:
            rules.append(
                {
                    "record": f"{RECORD_SLO_ERRORS}{window}",
                    "expr": sli_error_ratio(scope, sli, window),
                    "labels": {**scope.labels, "slo": sli},
                }
            )
        rules.append(
            {
                "record": RECORD_BURN,
                "expr": f"{RECORD_SLO_ERRORS}1h{scope.ns(slo=sli)} / {error_budget(scope.slo, sli)!r}",
                "labels": {**scope.labels, "slo": sli},
            }
        )
    return {"name": _group_name(scope, "slo-recording"), "interval": RULE_INTERVAL, "rules": rules}


def _slo_budget_group(scope: PlacementRuleScope) -> dict[str, Any]:
    """Share of the error budget left over the SLO window (mean of hourly ratios: approximate)."""
    days = scope.slo.window_days
    rules = [
        {
            "record": RECORD_BUDGET_REMAINING,
            "expr": f"1 - avg_over_time({RECORD_SLO_ERRORS}1h{scope.ns(slo=sli)}[{days}d]) "
            f"/ {error_budget(scope.slo, sli)!r}",
            "labels": {**scope.labels, "slo": sli},
        }
        for sli in SLIS
    ]
    return {"name": _group_name(scope, "slo-budget"), "interval": BUDGET_INTERVAL, "rules": rules}


def _burn_expr(scope: PlacementRuleScope, sli: str, windows: tuple[BurnWindow, ...]) -> str:
    budget = error_budget(scope.slo, sli)
    sel = scope.ns(slo=sli)
    clauses = []
    for w in windows:
        threshold = _threshold(w.factor * budget)
        clauses.append(
            f"(\n  {RECORD_SLO_ERRORS}{w.long}{sel} > {threshold}\n  and\n"
            f"  {RECORD_SLO_ERRORS}{w.short}{sel} > {threshold}\n)"
        )
    return "\nor\n".join(clauses)


def _slo_alert_group(scope: PlacementRuleScope) -> dict[str, Any]:
    rules = []
    for sli in SLIS:
        stem = _ALERT_STEM[sli]
        for suffix, windows, severity, wait in (
            ("BurnRatePage", PAGE_WINDOWS, "critical", PAGE_FOR),
            ("BurnRateTicket", TICKET_WINDOWS, "warning", TICKET_FOR),
        ):
            alert = f"{stem}{suffix}"
            rules.append(
                {
                    "alert": alert,
                    "expr": _burn_expr(scope, sli, windows),
                    "for": wait,
                    "labels": {"severity": severity},
                    "annotations": _annotations(alert),
                }
            )
    return {"name": _group_name(scope, "slo-alerts"), "interval": RULE_INTERVAL, "rules": rules}


def _cause_alert_group(scope: PlacementRuleScope) -> dict[str, Any]:
    ns = scope.ns()
    pods = selector({"namespace": scope.namespace}, {"pod": f"{scope.server}-.*"})
    static = {"model": scope.model, "target": scope.target}
    rules: list[dict[str, Any]] = [
        {
            "alert": "VllmKvCacheSaturated",
            "expr": f"(max by (namespace, pod) (vllm:kv_cache_usage_perc{ns}) > {KV_CACHE_SATURATED!r})\n"
            f"and on (namespace, pod)\n(sum by (namespace, pod) (vllm:num_requests_waiting{ns}) > 0)",
            "for": KV_CACHE_FOR,
            "labels": {**static, "severity": "warning"},
        },
        {
            "alert": "VllmQueueGrowing",
            "expr": f"(\n  sum by (namespace) (vllm:num_requests_waiting{ns})\n  /\n"
            f"  count by (namespace) (vllm:num_requests_running{ns})\n  > {scope.queue_depth_per_replica}\n)\n"
            f"and\n(deriv(sum by (namespace) (vllm:num_requests_waiting{ns})[{QUEUE_FOR}:1m]) >= 0)",
            "for": QUEUE_FOR,
            "labels": {**static, "severity": "warning"},
        },
        {
            "alert": "VllmPreemptionsHigh",
            "expr": f"sum by (namespace) (increase(vllm:num_preemptions_total{ns}[10m])) > {PREEMPTIONS_PER_10M}",
            "for": "10m",
            "labels": {**static, "severity": "warning"},
        },
        {
            "alert": "VllmGenerationStalled",
            "expr": f"(sum by (namespace, pod) (rate(vllm:generation_tokens_total{ns}[5m])) == 0)\n"
            f"and on (namespace, pod)\n(sum by (namespace, pod) (vllm:num_requests_running{ns}) > 0)",
            "for": STALLED_FOR,
            "labels": {**static, "severity": "critical"},
        },
    ]
    if scope.min_replicas > 0 and scope.workload_kind == "Deployment":
        deployment = selector({"namespace": scope.namespace, "deployment": scope.server})
        rules.append(
            {
                "alert": "ModelReplicasBelowMinimum",
                "expr": f"sum by (namespace, deployment) (kube_deployment_status_replicas_available{deployment})"
                f" < {scope.min_replicas}",
                "for": REPLICAS_FOR,
                "labels": {**static, "severity": "warning"},
            }
        )
    rules.append(
        {
            "alert": "ModelPodsRestarting",
            "expr": f"sum by (namespace, pod) (increase(kube_pod_container_status_restarts_total{pods}[1h]))"
            f" >= {RESTARTS_PER_HOUR}",
            "for": "5m",
            "labels": {**static, "severity": "warning"},
        }
    )
    for rule in rules:
        rule["annotations"] = _annotations(rule["alert"], static)
    return {"name": _group_name(scope, "causes"), "interval": RULE_INTERVAL, "rules": rules}


def _cost_group(scope: PlacementRuleScope) -> dict[str, Any] | None:
    if scope.replica_usd_per_hour is None or scope.workload_kind != "Deployment":
        return None
    deployment = selector({"namespace": scope.namespace, "deployment": scope.server})
    return {
        "name": _group_name(scope, "cost"),
        "interval": RULE_INTERVAL,
        "rules": [
            {
                "record": RECORD_COST,
                "expr": f"sum by (namespace) (kube_deployment_status_replicas{deployment}) "
                f"* {scope.replica_usd_per_hour!r}",
                "labels": {"model": scope.model, "target": scope.target},
            }
        ],
    }


@dataclass(frozen=True)
class ClientQuota:
    """What the metering rules of one API client need."""

    name: str
    tokens_per_month: int | None


def _by_client(expr: str) -> str:
    """``expr`` with ``client`` (the client id up to its key) and ``model`` (the served name) labels."""
    client = f'label_replace({expr}, "client", "$1", "{CLIENT_LABEL}", "([a-z0-9-]+)[.].*")'
    return f'label_replace({client}, "model", "$1", "{REQUEST_MODEL_LABEL}", "(.*)")'


def client_rule_groups(target: str, clients: Sequence[ClientQuota]) -> list[dict[str, Any]]:
    """Per-client metering (tokens and requests by client and model) and the monthly-quota alert."""
    if not clients:
        return []
    static = {"target": target}
    total = selector({TOKEN_TYPE_LABEL: "total"})
    requests = selector({TOKEN_TYPE_LABEL: "input"})  # one input observation per request
    records = [
        {
            "record": RECORD_CLIENT_TOKENS_RATE,
            "expr": f"sum by (client, model, {TOKEN_TYPE_LABEL}) "
            f"({_by_client(f'rate(gen_ai_client_token_usage_sum[{WINDOWS[0]}])')})",
            "labels": static,
        },
        {
            "record": RECORD_CLIENT_REQUESTS_RATE,
            "expr": f"sum by (client, model) ({_by_client(f'rate(gen_ai_client_token_usage_count{requests}[{WINDOWS[0]}])')})",
            "labels": static,
        },
        {
            "record": RECORD_CLIENT_TOKENS_MONTH,
            "expr": f"sum by (client, model) ({_by_client(f'increase(gen_ai_client_token_usage_sum{total}[{MONTH_WINDOW}])')})",
            "labels": static,
        },
    ]
    quota_alerts = []
    for client in clients:
        if client.tokens_per_month is None:
            continue
        labels = {**static, "client": client.name}
        quota_alerts.append(
            {
                "alert": "ClientNearMonthlyTokenQuota",
                "expr": f'{RECORD_CLIENT_TOKENS_MONTH}{{client="{client.name}"}} '
                f"> {CLIENT_QUOTA_WARNING!r} * {client.tokens_per_month}",
                "for": CLIENT_QUOTA_FOR,
                "labels": {**labels, "severity": "warning"},
                "annotations": _annotations("ClientNearMonthlyTokenQuota", labels),
            }
        )
    groups = [{"name": "llm-fleet.clients.metering", "interval": BUDGET_INTERVAL, "rules": records}]
    if quota_alerts:
        groups.append({"name": "llm-fleet.clients.quota", "interval": BUDGET_INTERVAL, "rules": quota_alerts})
    return groups


def cluster_rule_groups(target: str, clients: Sequence[ClientQuota] = ()) -> list[dict[str, Any]]:
    """GPU health alerts of one cluster (every DCGM series, whatever pod uses the GPU), and the
    metering rules and quota alerts of the API clients (``client_rule_groups``)."""
    hardware = " or ".join(f"DCGM_FI_DEV_XID_ERRORS == {code}" for code in XID_HARDWARE_CODES)
    static = {"target": target}
    rules = [
        {
            "alert": "GpuXidError",
            "expr": f"(DCGM_FI_DEV_XID_ERRORS > 0) unless ({hardware})",
            "labels": {**static, "severity": "warning"},
        },
        {
            "alert": "GpuXidHardwareError",
            "expr": hardware,
            "labels": {**static, "severity": "critical"},
        },
        {
            "alert": "GpuEccDoubleBitError",
            "expr": "increase(DCGM_FI_DEV_ECC_DBE_VOL_TOTAL[10m]) > 0",
            "labels": {**static, "severity": "critical"},
        },
    ]
    for rule in rules:
        rule["annotations"] = _annotations(rule["alert"], static)
    return [{"name": "llm-fleet.gpu", "interval": RULE_INTERVAL, "rules": rules}, *client_rule_groups(target, clients)]


def alert_names(groups: Iterable[dict[str, Any]]) -> list[str]:
    return [r["alert"] for g in groups for r in g["rules"] if "alert" in r]


def expressions(groups: Iterable[dict[str, Any]]) -> list[str]:
    return [r["expr"] for g in groups for r in g["rules"]]
