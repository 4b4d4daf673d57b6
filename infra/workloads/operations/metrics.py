"""Metric names the fleet's dashboards, rules and scalers may use, and PromQL helpers.

Every series a dashboard panel, a recording/alerting rule or a KEDA trigger reads must come
from an exporter that really runs next to the model servers. The allow-lists below are the
contract; ``tests/operations`` fails when a query names anything else.

Sources (names only; labels are noted where queries rely on them):

* vLLM v0.31/0.32 (``../shared/reference/vllm.md``; checked against vLLM 0.32.0
  ``vllm/v1/metrics/loggers.py``): labels ``model_name``, ``engine``; ``finished_reason`` on
  ``vllm:request_success_total`` is one of stop, length, abort (aborted by the engine; a
  client that disconnects is not counted at all), error (always answered 500), repetition.
  ``serving/catalog/vllm_metrics.json`` lists every family, label and bucket the real 0.32.0
  server exposes; tests/serving/test_serving_vllm_metrics.py holds the rendered queries to it.
* NVIDIA DCGM exporter (``etc/default-counters.csv`` of NVIDIA/dcgm-exporter; the ECC counter
  is commented out there, so :data:`DCGM_COUNTERS_CSV` enables it).
* kube-state-metrics (``kube_deployment_*``, ``kube_pod_container_status_restarts_total``).
* Envoy Gateway proxies (Envoy's cluster stats at ``:19001/stats/prometheus``; the cluster of an
  HTTPRoute rule is named ``httproute/<namespace>/<route>/rule/<n>``, label ``envoy_cluster_name``).
* Prometheus itself (``ALERTS``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

# ---------------------------------------------------------------------------
# vLLM (the serving image)
# ---------------------------------------------------------------------------
VLLM_GAUGES = frozenset(
    {
        "vllm:num_requests_running",
        "vllm:num_requests_waiting",
        "vllm:num_requests_waiting_by_reason",
        "vllm:kv_cache_usage_perc",
    }
)
VLLM_COUNTERS = frozenset(
    {
        "vllm:prompt_tokens_total",
        "vllm:generation_tokens_total",
        "vllm:num_preemptions_total",
        "vllm:request_success_total",
        "vllm:prefix_cache_queries_total",
        "vllm:prefix_cache_hits_total",
    }
)
VLLM_HISTOGRAMS = frozenset(
    {
        "vllm:time_to_first_token_seconds",
        "vllm:inter_token_latency_seconds",
        "vllm:e2e_request_latency_seconds",
        "vllm:request_queue_time_seconds",
        "vllm:request_prefill_time_seconds",
        "vllm:request_decode_time_seconds",
        "vllm:request_prompt_tokens",
        "vllm:request_generation_tokens",
    }
)
VLLM_REMOVED = frozenset({"vllm:gpu_cache_usage_perc", "vllm:time_per_output_token_seconds"})
"""Names older dashboards use; gone in current vLLM (kv_cache_usage_perc, inter_token_latency_seconds)."""

# Default histogram bucket upper bounds of vLLM 0.32.0 (vllm/v1/metrics/buckets.py), seconds.
# SLO alerts count requests above a bucket boundary, so the boundary must be one of these.
TTFT_BUCKETS: tuple[float, ...] = (
    0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0,
    2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0, 160.0, 640.0, 2560.0,
)  # fmt: skip
ITL_BUCKETS: tuple[float, ...] = (
    0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0,
    2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0,
)  # fmt: skip

# ---------------------------------------------------------------------------
# Exporters
# ---------------------------------------------------------------------------
DCGM_METRICS = frozenset(
    {
        "DCGM_FI_DEV_GPU_UTIL",
        "DCGM_FI_DEV_FB_USED",
        "DCGM_FI_DEV_FB_FREE",
        "DCGM_FI_DEV_GPU_TEMP",
        "DCGM_FI_DEV_POWER_USAGE",
        "DCGM_FI_DEV_XID_ERRORS",
        "DCGM_FI_DEV_ECC_DBE_VOL_TOTAL",
    }
)
KUBE_STATE_METRICS = frozenset(
    {
        "kube_deployment_spec_replicas",
        "kube_deployment_status_replicas",
        "kube_deployment_status_replicas_available",
        "kube_pod_container_status_restarts_total",
    }
)
GATEWAY_METRICS = frozenset(
    {
        "envoy_cluster_upstream_rq_completed",
        "envoy_cluster_upstream_rq_xx",
    }
)
"""Envoy cluster counters. ``upstream_rq_completed`` exists (at 0) as soon as the route's
cluster does and counts every answered request, including the 503 "no healthy upstream"
that Envoy's router charges to the cluster when the model has zero endpoints
(``Filter::sendNoHealthyUpstreamResponse`` -> ``chargeUpstreamCode(503)``); that is what makes it
a wake-up signal for scale from zero. ``upstream_rq_xx{envoy_response_code_class}`` splits the
same answers by status class."""
CLIENT_METRICS = frozenset({"gen_ai_client_token_usage_sum", "gen_ai_client_token_usage_count"})
"""Envoy AI Gateway's per-request token histogram (OpenTelemetry GenAI ``gen_ai.client.token.usage``),
scraped from the processor beside each Envoy proxy: ``_sum`` counts tokens, ``_count`` requests.
Labels: ``gen_ai_token_type`` (input, output, total), ``gen_ai_request_model`` (the served name),
and CLIENT_LABEL, the client id ``<client>.<key>`` from the API-key filter."""
CLIENT_LABEL = "llm_fleet_client"
TOKEN_TYPE_LABEL = "gen_ai_token_type"  # noqa: S105 - a label name
REQUEST_MODEL_LABEL = "gen_ai_request_model"
PROMETHEUS_BUILTIN = frozenset({"ALERTS"})

EXPORTED = (
    VLLM_GAUGES
    | VLLM_COUNTERS
    | frozenset(f"{h}_{suffix}" for h in VLLM_HISTOGRAMS for suffix in ("bucket", "sum", "count"))
    | DCGM_METRICS
    | KUBE_STATE_METRICS
    | GATEWAY_METRICS
    | CLIENT_METRICS
    | PROMETHEUS_BUILTIN
)
"""Every raw series name a query may read. Recording rules (``llmfleet:*``) come on top."""

RECORDED_PREFIX = "llmfleet:"

DCGM_COUNTERS_CSV = """\
# llm-fleet DCGM exporter counters: the exporter's defaults that the dashboards read, plus the
# double-bit ECC counter the GPU alerts need (commented out in dcgm-exporter's default list).
# DCGM FIELD, Prometheus metric type, help message
DCGM_FI_DEV_GPU_UTIL,          gauge,   GPU utilization (in %).
DCGM_FI_DEV_FB_FREE,           gauge,   Framebuffer memory free (in MiB).
DCGM_FI_DEV_FB_USED,           gauge,   Framebuffer memory used (in MiB).
DCGM_FI_DEV_GPU_TEMP,          gauge,   GPU temperature (in C).
DCGM_FI_DEV_POWER_USAGE,       gauge,   Power draw (in W).
DCGM_FI_DEV_XID_ERRORS,        gauge,   Value of the last XID error encountered.
DCGM_FI_DEV_ECC_DBE_VOL_TOTAL, counter, Total number of double-bit volatile ECC errors.
"""


def dcgm_counters_csv() -> str:
    """The counters file for any DCGM exporter on the fleet (Helm release or GPU Operator)."""
    return DCGM_COUNTERS_CSV


# ---------------------------------------------------------------------------
# PromQL helpers
# ---------------------------------------------------------------------------


def selector(matchers: Mapping[str, str], regex: Mapping[str, str] | None = None) -> str:
    """``{a="x",b=~"y"}`` from equality and regex matchers (sorted: stable rule text)."""
    parts = [f'{k}="{v}"' for k, v in sorted(matchers.items())]
    parts += [f'{k}=~"{v}"' for k, v in sorted((regex or {}).items())]
    return "{" + ",".join(parts) + "}"


def gateway_route_regex(namespace: str, routes: Sequence[str]) -> str:
    """``envoy_cluster_name`` regex of the rules of some HTTPRoutes (Envoy Gateway names the
    cluster of rule n of route R in namespace N ``httproute/N/R/rule/n``)."""
    if not routes:
        raise ValueError("gateway_route_regex needs at least one route name")
    return f"httproute/{namespace}/({'|'.join(routes)})/rule/.*"


def bucket_le(seconds: float) -> str:
    """Regex for a histogram's ``le`` label that matches both spellings of a bound.

    Python's client writes ``1.0``; Prometheus 3 normalises classic-histogram ``le`` values
    to ``1`` on ingestion. ``1(\\\\.0)?`` matches either, so the rules survive an upgrade.
    """
    text = repr(float(seconds))
    if text.endswith(".0"):
        return re.escape(text[:-2]).replace("\\", "\\\\") + "(\\\\.0)?"
    return re.escape(text).replace("\\", "\\\\")


def boundary_at_or_below(target_s: float, buckets: Iterable[float]) -> float | None:
    """The largest bucket bound <= target: requests above it count as slow (conservative)."""
    eligible = [b for b in buckets if b <= target_s + 1e-12]
    return max(eligible) if eligible else None


_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`')
_BRACES = re.compile(r"\{[^{}]*\}")
_RANGE = re.compile(r"\[[^\]]*\]")
_GROUPING = re.compile(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
_IDENT = re.compile(r"(?<![\w:.])([A-Za-z_:][\w:]*)(?![\w:])")
_KEYWORDS = frozenset(
    {
        "and", "or", "unless", "by", "without", "on", "ignoring", "group_left", "group_right",
        "bool", "offset", "inf", "nan", "Inf", "NaN", "atan2",
    }
)  # fmt: skip


def referenced_metrics(expr: str) -> set[str]:
    """Series names a PromQL expression reads (function names, labels and keywords excluded).

    A deliberately small lexer, enough for the queries this project writes: strings, label
    matchers, ranges and grouping clauses are removed, then every identifier not followed by
    ``(`` is a metric name.
    """
    text = _STRING.sub('""', expr)
    while _BRACES.search(text):
        text = _BRACES.sub(" ", text)
    text = _RANGE.sub(" ", text)
    text = _GROUPING.sub(" ", text)
    names: set[str] = set()
    for match in _IDENT.finditer(text):
        name = match.group(1)
        rest = text[match.end() :].lstrip()
        if rest.startswith("(") or name in _KEYWORDS:
            continue
        names.add(name)
    return names


def unknown_metrics(exprs: Iterable[str], recorded: Iterable[str] = ()) -> dict[str, set[str]]:
    """expr -> names it reads that no exporter provides and no recording rule defines."""
    allowed = EXPORTED | set(recorded)
    out: dict[str, set[str]] = {}
    for expr in exprs:
        bad = {m for m in referenced_metrics(expr) if m not in allowed}
        if bad:
            out[expr] = bad
    return out
