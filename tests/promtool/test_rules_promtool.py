"""The generated rules under Prometheus' own tools: ``promtool check rules`` on every rule object
of dev and prod, and ``promtool test rules`` scenarios that feed synthetic series and assert
which alerts fire and which stay silent. Every alert has at least one firing and one silent case
(``test_every_alert_has_a_firing_and_a_silent_case``).

The scenarios are written against thresholds computed from the prod llama-8b placement's SLO
(aws-use1: 99.9% available, TTFT p95 1500 ms, ITL p95 80 ms, min 2 replicas, queue 5 per
replica), so they keep meaning the same thing if those numbers change.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from infra.stackfile import load_stack_file
from infra.workloads.operations import alerts

ROOT = Path(__file__).resolve().parents[2]
PROMTOOL = shutil.which("promtool")
_promtool_missing = pytest.mark.skipif(
    PROMTOOL is None, reason="promtool not installed (Debian: apt-get install -y prometheus); CI installs it"
)


def needs_promtool(test: Any) -> Any:
    """Runs the outside validator: marked ``external``, skipped with a reason when it is absent."""
    return pytest.mark.external(_promtool_missing(test))


NS = "llm-llama-8b"
SERVER = "llama-8b-server"
POD = f"{SERVER}-7d9f8-abcde"
API_CLUSTERS = (f"httproute/{NS}/llama-8b/rule/0", f"httproute/{NS}/llama-8b-prefixed/rule/0")
HEALTH_CLUSTER = f"httproute/{NS}/llama-8b-health/rule/0"
REPLICA_USD = 1.861


def _scope() -> alerts.PlacementRuleScope:
    config = load_stack_file("prod", ROOT).parse()
    model = next(m for m in config.models if m.name == "llama-8b")
    placement = next(p for p in model.placements if p.target == "aws-use1")
    return alerts.PlacementRuleScope(
        model=model.name,
        target=placement.target,
        namespace=NS,
        server=SERVER,
        api_routes=(model.name, f"{model.name}-prefixed"),
        workload_kind="Deployment",
        slo=model.slo,
        min_replicas=placement.replicas.min,
        queue_depth_per_replica=model.autoscaling.queue_depth_per_replica,
        replica_usd_per_hour=REPLICA_USD,
        config_path="models[0].slo",
    )


SCOPE = _scope()
CLIENTS = [
    alerts.ClientQuota(c.name, c.tokens_per_month) for c in load_stack_file("prod", ROOT).parse().clients
]
GROUPS = alerts.placement_rule_groups(SCOPE) + alerts.cluster_rule_groups(SCOPE.target, CLIENTS)
ALERTS = alerts.alert_names(GROUPS)
AVAILABILITY_BUDGET = alerts.error_budget(SCOPE.slo, "availability")
LATENCY_BUDGET = alerts.LATENCY_BUDGET
SLO_LABELS = {"namespace": NS, "model": "llama-8b", "target": "aws-use1"}
CAUSE_LABELS = {"model": "llama-8b", "target": "aws-use1"}
GPU = {"gpu": "0", "Hostname": "gpu-node-a", "UUID": "GPU-0000"}


# ---------------------------------------------------------------------------
# Series builders (1-minute samples)
# ---------------------------------------------------------------------------


def counter(per_minute: float, minutes: int) -> str:
    return f"0+{per_minute!r}x{minutes}"


def gauge(value: float, minutes: int) -> str:
    return f"{value!r}x{minutes}"


def labels(**kv: str) -> str:
    return "{" + ",".join(f'{k}="{v}"' for k, v in kv.items()) + "}"


def gateway(error_share: float, minutes: int, per_minute: float = 600.0) -> list[tuple[str, str]]:
    """Answers of the two API routes (2:1) with ``error_share`` 5xx, and a health route that
    fails all the time (Route 53 probing an idle endpoint): the SLI must ignore the latter."""
    series = []
    for cluster, share in zip(API_CLUSTERS, (2 / 3, 1 / 3), strict=True):
        api = {"envoy_cluster_name": cluster, "namespace": "envoy-gateway-system"}
        total = per_minute * share
        series += [
            (f"envoy_cluster_upstream_rq_completed{labels(**api)}", counter(total, minutes)),
            (f"envoy_cluster_upstream_rq_xx{labels(**api, envoy_response_code_class='2')}", counter(total * (1 - error_share), minutes)),
            (f"envoy_cluster_upstream_rq_xx{labels(**api, envoy_response_code_class='5')}", counter(total * error_share, minutes)),
        ]
    health = {"envoy_cluster_name": HEALTH_CLUSTER, "namespace": "envoy-gateway-system"}
    return [
        *series,
        (f"envoy_cluster_upstream_rq_completed{labels(**health)}", counter(2.0, minutes)),
        (f"envoy_cluster_upstream_rq_xx{labels(**health, envoy_response_code_class='5')}", counter(2.0, minutes)),
    ]


def latency(metric: str, bound: str, slow_share: float, minutes: int, per_minute: float = 100.0) -> list[tuple[str, str]]:
    """A histogram where ``slow_share`` of observations are above ``bound`` (given as exported)."""
    fast = per_minute * (1 - slow_share)
    pod = {"namespace": NS, "pod": POD, "model_name": "llama-3.1-8b-instruct", "engine": "0"}
    return [
        (f"{metric}_bucket{labels(**pod, le='0.01')}", counter(0.0, minutes)),
        (f"{metric}_bucket{labels(**pod, le=bound)}", counter(fast, minutes)),
        (f"{metric}_bucket{labels(**pod, le='+Inf')}", counter(per_minute, minutes)),
        (f"{metric}_count{labels(**pod)}", counter(per_minute, minutes)),
    ]


def vllm(name: str, values: str, pod: str = POD) -> tuple[str, str]:
    return (f"{name}{labels(namespace=NS, pod=pod, model_name='llama-3.1-8b-instruct', engine='0')}", values)


def tokens(
    client: str, quota_share_per_minute: float, minutes: int, keys: tuple[str, ...] = ("k2026a",)
) -> list[tuple[str, str]]:
    """AI Gateway's token histogram for ``client``: each minute, one request per key and
    ``quota_share_per_minute`` of its monthly quota in total tokens, shared over its keys."""
    quota = next(c.tokens_per_month for c in CLIENTS if c.name == client)
    assert quota is not None
    per_key = quota * quota_share_per_minute / len(keys)
    series = []
    for key in keys:
        base = {"gen_ai_request_model": "llama-3.1-8b-instruct", "llm_fleet_client": f"{client}.{key}"}
        series += [
            (f"gen_ai_client_token_usage_sum{labels(**base, gen_ai_token_type='total')}", counter(per_key, minutes)),
            (f"gen_ai_client_token_usage_count{labels(**base, gen_ai_token_type='input')}", counter(60.0 / len(keys), minutes)),
        ]
    return series


TTFT = "vllm:time_to_first_token_seconds"
ITL = "vllm:inter_token_latency_seconds"


# ---------------------------------------------------------------------------
# Scenarios
# ---------------------------------------------------------------------------


@dataclass
class Scenario:
    name: str
    series: list[tuple[str, str]]
    eval_time: str
    firing: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    silent: list[str] = field(default_factory=list)
    exprs: list[dict[str, Any]] = field(default_factory=list)


def slo(sli: str) -> dict[str, str]:
    return {**SLO_LABELS, "slo": sli}


SCENARIOS = [
    # -- availability -------------------------------------------------------------------------
    Scenario(
        "availability: 2x the page burn for 90 min pages and tickets",
        gateway(min(0.99, 2 * 14.4 * AVAILABILITY_BUDGET), 120),
        "90m",
        firing={
            "ModelAvailabilityBurnRatePage": [{**slo("availability"), "severity": "critical"}],
            "ModelAvailabilityBurnRateTicket": [{**slo("availability"), "severity": "warning"}],
        },
        exprs=[
            {
                # 1h burn rate = error share / budget (rounded: float noise of rate()).
                "expr": f'round({alerts.RECORD_BURN}{{slo="availability"}}, 0.01)',
                "eval_time": "90m",
                "exp_samples": [
                    {
                        "labels": labels(**slo("availability")),
                        "value": round(min(0.99, 2 * 14.4 * AVAILABILITY_BUDGET) / AVAILABILITY_BUDGET, 2),
                    }
                ],
            }
        ],
    ),
    Scenario(
        "availability: 9x burn for 7 h pages through the 6h/30m windows",
        gateway(9 * AVAILABILITY_BUDGET, 7 * 60),
        "7h",
        firing={"ModelAvailabilityBurnRatePage": [{**slo("availability"), "severity": "critical"}]},
    ),
    Scenario(
        "availability: 4x burn tickets but does not page",
        gateway(4 * AVAILABILITY_BUDGET, 240),
        "4h",
        firing={"ModelAvailabilityBurnRateTicket": [{**slo("availability"), "severity": "warning"}]},
        silent=["ModelAvailabilityBurnRatePage"],
    ),
    Scenario(
        "availability: within budget (and a failing health route) stays silent",
        gateway(0.5 * AVAILABILITY_BUDGET, 240),
        "4h",
        silent=["ModelAvailabilityBurnRatePage", "ModelAvailabilityBurnRateTicket"],
    ),
    # -- TTFT (client spelling "1.0" and Prometheus 3 spelling "1" of the bucket bound) ---------
    Scenario(
        "ttft: 90% over target pages and tickets",
        latency(TTFT, "1.0", 0.9, 120),
        "90m",
        firing={
            "ModelTtftBurnRatePage": [{**slo("ttft"), "severity": "critical"}],
            "ModelTtftBurnRateTicket": [{**slo("ttft"), "severity": "warning"}],
        },
    ),
    Scenario(
        "ttft: 20% over target tickets but does not page",
        latency(TTFT, "1", 4 * LATENCY_BUDGET, 240),
        "4h",
        firing={"ModelTtftBurnRateTicket": [{**slo("ttft"), "severity": "warning"}]},
        silent=["ModelTtftBurnRatePage"],
    ),
    Scenario(
        "ttft: 2% over target stays silent",
        latency(TTFT, "1.0", 0.4 * LATENCY_BUDGET, 240),
        "4h",
        silent=["ModelTtftBurnRatePage", "ModelTtftBurnRateTicket"],
    ),
    # -- ITL ----------------------------------------------------------------------------------
    Scenario(
        "itl: 90% of tokens over target pages and tickets",
        latency(ITL, "0.075", 0.9, 120),
        "90m",
        firing={
            "ModelItlBurnRatePage": [{**slo("itl"), "severity": "critical"}],
            "ModelItlBurnRateTicket": [{**slo("itl"), "severity": "warning"}],
        },
    ),
    Scenario(
        "itl: 20% over target tickets but does not page",
        latency(ITL, "0.075", 4 * LATENCY_BUDGET, 240),
        "4h",
        firing={"ModelItlBurnRateTicket": [{**slo("itl"), "severity": "warning"}]},
        silent=["ModelItlBurnRatePage"],
    ),
    Scenario(
        "itl: 2% over target stays silent",
        latency(ITL, "0.075", 0.4 * LATENCY_BUDGET, 240),
        "4h",
        silent=["ModelItlBurnRatePage", "ModelItlBurnRateTicket"],
    ),
    # -- KV cache ----------------------------------------------------------------------------
    Scenario(
        "kv cache full while requests wait",
        [vllm("vllm:kv_cache_usage_perc", gauge(0.97, 30)), vllm("vllm:num_requests_waiting", gauge(3, 30))],
        "20m",
        firing={"VllmKvCacheSaturated": [{**CAUSE_LABELS, "namespace": NS, "pod": POD, "severity": "warning"}]},
    ),
    Scenario(
        "kv cache full with nothing waiting, or half full with a queue: silent",
        [
            vllm("vllm:kv_cache_usage_perc", gauge(0.97, 30)),
            vllm("vllm:num_requests_waiting", gauge(0, 30)),
            vllm("vllm:kv_cache_usage_perc", gauge(0.5, 30), pod=f"{SERVER}-7d9f8-fghij"),
            vllm("vllm:num_requests_waiting", gauge(12, 30), pod=f"{SERVER}-7d9f8-fghij"),
        ],
        "20m",
        silent=["VllmKvCacheSaturated"],
    ),
    # -- queue -------------------------------------------------------------------------------
    Scenario(
        "queue above the per-replica target and growing",
        [vllm("vllm:num_requests_waiting", f"{SCOPE.queue_depth_per_replica * 2}+1x40"), vllm("vllm:num_requests_running", gauge(8, 40))],
        "35m",
        firing={"VllmQueueGrowing": [{**CAUSE_LABELS, "namespace": NS, "severity": "warning"}]},
    ),
    Scenario(
        "queue long but draining, or short: silent",
        [
            vllm("vllm:num_requests_waiting", f"{SCOPE.queue_depth_per_replica * 20}-1x40"),
            vllm("vllm:num_requests_running", gauge(8, 40)),
            vllm("vllm:num_requests_waiting", gauge(1, 40), pod=f"{SERVER}-7d9f8-fghij"),
            vllm("vllm:num_requests_running", gauge(8, 40), pod=f"{SERVER}-7d9f8-fghij"),
        ],
        "35m",
        silent=["VllmQueueGrowing"],
    ),
    # -- preemptions -------------------------------------------------------------------------
    Scenario(
        "steady preemptions",
        [vllm("vllm:num_preemptions_total", counter(3, 40))],
        "30m",
        firing={"VllmPreemptionsHigh": [{**CAUSE_LABELS, "namespace": NS, "severity": "warning"}]},
    ),
    Scenario(
        "occasional preemptions: silent",
        [vllm("vllm:num_preemptions_total", counter(0.5, 40))],
        "30m",
        silent=["VllmPreemptionsHigh"],
    ),
    # -- hung engine -------------------------------------------------------------------------
    Scenario(
        "no tokens while requests run",
        [vllm("vllm:generation_tokens_total", gauge(12345, 20)), vllm("vllm:num_requests_running", gauge(4, 20))],
        "15m",
        firing={"VllmGenerationStalled": [{**CAUSE_LABELS, "namespace": NS, "pod": POD, "severity": "critical"}]},
    ),
    Scenario(
        "generating, or idle: silent",
        [
            vllm("vllm:generation_tokens_total", counter(500, 20)),
            vllm("vllm:num_requests_running", gauge(4, 20)),
            vllm("vllm:generation_tokens_total", gauge(777, 20), pod=f"{SERVER}-7d9f8-fghij"),
            vllm("vllm:num_requests_running", gauge(0, 20), pod=f"{SERVER}-7d9f8-fghij"),
        ],
        "15m",
        silent=["VllmGenerationStalled"],
    ),
    # -- replicas ------------------------------------------------------------------------------
    Scenario(
        "fewer available replicas than the minimum",
        [
            (
                f"kube_deployment_status_replicas_available{labels(namespace=NS, deployment=SERVER, job='kube-state-metrics')}",
                gauge(SCOPE.min_replicas - 1, 30),
            )
        ],
        "20m",
        firing={
            "ModelReplicasBelowMinimum": [
                {**CAUSE_LABELS, "namespace": NS, "deployment": SERVER, "severity": "warning"}
            ]
        },
    ),
    Scenario(
        "at the minimum: silent",
        [
            (
                f"kube_deployment_status_replicas_available{labels(namespace=NS, deployment=SERVER, job='kube-state-metrics')}",
                gauge(SCOPE.min_replicas, 30),
            ),
            (f"kube_deployment_status_replicas{labels(namespace=NS, deployment=SERVER)}", gauge(3, 30)),
        ],
        "20m",
        silent=["ModelReplicasBelowMinimum"],
        exprs=[
            {
                "expr": f"round({alerts.RECORD_COST}, 0.0001)",
                "eval_time": "10m",
                "exp_samples": [
                    {
                        "labels": labels(namespace=NS, model="llama-8b", target="aws-use1"),
                        "value": round(3 * REPLICA_USD, 4),
                    }
                ],
            }
        ],
    ),
    # -- restarts ------------------------------------------------------------------------------
    Scenario(
        "server container restarting",
        [
            (
                f"kube_pod_container_status_restarts_total{labels(namespace=NS, pod=POD, container='server')}",
                "0x10 1x10 2x10 3x30",
            )
        ],
        "40m",
        firing={"ModelPodsRestarting": [{**CAUSE_LABELS, "namespace": NS, "pod": POD, "severity": "warning"}]},
    ),
    Scenario(
        "one restart, or a restarting staging job: silent",
        [
            (f"kube_pod_container_status_restarts_total{labels(namespace=NS, pod=POD, container='server')}", "0x10 1x70"),
            (
                f"kube_pod_container_status_restarts_total{labels(namespace=NS, pod='llama-8b-stage-x1y2z', container='stage')}",
                counter(0.5, 80),
            ),
        ],
        "75m",
        silent=["ModelPodsRestarting"],
    ),
    # -- GPUs ------------------------------------------------------------------------------------
    Scenario(
        "application XID (13) warns, not pages",
        [(f"DCGM_FI_DEV_XID_ERRORS{labels(**GPU)}", gauge(13, 10))],
        "5m",
        firing={"GpuXidError": [{**GPU, "target": "aws-use1", "severity": "warning"}]},
        silent=["GpuXidHardwareError"],
    ),
    Scenario(
        "GPU fallen off the bus (XID 79) pages",
        [(f"DCGM_FI_DEV_XID_ERRORS{labels(**GPU)}", gauge(79, 10))],
        "5m",
        firing={"GpuXidHardwareError": [{**GPU, "target": "aws-use1", "severity": "critical"}]},
        silent=["GpuXidError"],
    ),
    Scenario(
        "no XID, no ECC errors: silent",
        [
            (f"DCGM_FI_DEV_XID_ERRORS{labels(**GPU)}", gauge(0, 20)),
            (f"DCGM_FI_DEV_ECC_DBE_VOL_TOTAL{labels(**GPU)}", gauge(0, 20)),
        ],
        "15m",
        silent=["GpuXidError", "GpuXidHardwareError", "GpuEccDoubleBitError"],
    ),
    # -- API clients -------------------------------------------------------------------------
    Scenario(
        "a client past 80% of its monthly token quota (over two keys), another client well below",
        tokens("support-bot", 0.9 / 75, 90, keys=("k2026a", "k2025a"))
        + tokens("search", 0.01 / 75, 90),
        "90m",
        firing={
            "ClientNearMonthlyTokenQuota": [
                {"client": "support-bot", "model": "llama-3.1-8b-instruct", "target": "aws-use1", "severity": "warning"}
            ]
        },
        exprs=[
            {
                "expr": f'{alerts.RECORD_CLIENT_REQUESTS_RATE}{{client="search"}}',
                "eval_time": "30m",
                "exp_samples": [
                    {"labels": f'{alerts.RECORD_CLIENT_REQUESTS_RATE}{{client="search",'
                     'model="llama-3.1-8b-instruct",target="aws-use1"}', "value": 1.0}
                ],
            }
        ],
    ),
    Scenario(
        "every client below 80% of its monthly token quota: silent",
        tokens("support-bot", 0.7 / 90, 90) + tokens("search", 0.7 / 90, 90),
        "90m",
        silent=["ClientNearMonthlyTokenQuota"],
    ),
    Scenario(
        "double-bit ECC errors",
        [(f"DCGM_FI_DEV_ECC_DBE_VOL_TOTAL{labels(**GPU)}", "0x5 2x10")],
        "8m",
        firing={"GpuEccDoubleBitError": [{**GPU, "target": "aws-use1", "severity": "critical"}]},
    ),
]


# ---------------------------------------------------------------------------
# promtool plumbing
# ---------------------------------------------------------------------------

_TEMPLATE = re.compile(r"\{\{ \$labels\.(\w+) \}\}")


def render(template: str, alert_labels: dict[str, str]) -> str:
    """Prometheus' rendering of the only template form the runbooks use: ``{{ $labels.x }}``."""
    return _TEMPLATE.sub(lambda m: alert_labels.get(m.group(1), ""), template)


def expected_alert(alertname: str, alert_labels: dict[str, str]) -> dict[str, Any]:
    with_name = {**alert_labels, "alertname": alertname}
    annotations = {k: render(v, with_name) for k, v in alerts.RUNBOOKS[alertname].items()}
    return {"exp_labels": alert_labels, "exp_annotations": annotations}


def unit_test_file(scenario: Scenario, rules_file: Path) -> dict[str, Any]:
    tests = [{"eval_time": scenario.eval_time, "alertname": name, "exp_alerts": [expected_alert(name, lbls) for lbls in firing]} for name, firing in scenario.firing.items()]
    tests += [{"eval_time": scenario.eval_time, "alertname": name, "exp_alerts": []} for name in scenario.silent]
    entry: dict[str, Any] = {
        "name": scenario.name,
        "interval": "1m",
        "input_series": [{"series": s, "values": v} for s, v in scenario.series],
        "alert_rule_test": tests,
    }
    if scenario.exprs:
        entry["promql_expr_test"] = scenario.exprs
    return {"rule_files": [str(rules_file)], "evaluation_interval": "1m", "tests": [entry]}


def write_rules(path: Path, groups: list[dict[str, Any]]) -> Path:
    path.write_text(yaml.safe_dump({"groups": groups}, sort_keys=False))
    return path


def run_promtool(*args: str) -> subprocess.CompletedProcess[str]:
    assert PROMTOOL is not None
    return subprocess.run([PROMTOOL, *args], capture_output=True, text=True, timeout=300, check=False)


# ---------------------------------------------------------------------------
# Tests
# ---------------------------------------------------------------------------


def test_every_alert_has_a_firing_and_a_silent_case() -> None:
    fired = {name for s in SCENARIOS for name in s.firing}
    silenced = {name for s in SCENARIOS for name in s.silent}
    assert set(ALERTS) == fired, f"alerts without a firing case: {set(ALERTS) - fired}"
    assert set(ALERTS) == silenced, f"alerts without a silent case: {set(ALERTS) - silenced}"


@needs_promtool
def test_rules_of_every_placement_pass_promtool_check(tmp_path: Path, operations_plans: dict[str, Any]) -> None:
    checked = 0
    for stack, plan in operations_plans.items():
        for resource in plan.resources:
            if resource.type.endswith((":PrometheusRule", ":ClusterRules")):
                path = write_rules(tmp_path / f"{stack}-{resource.name}.yaml", resource.props["spec"]["groups"])
                result = run_promtool("check", "rules", str(path))
                assert result.returncode == 0, f"{stack} {resource.name}:\n{result.stdout}\n{result.stderr}"
                checked += 1
    # dev: 2 placements + 2 clusters; prod: 5 placements + 3 clusters
    assert checked == 12


@needs_promtool
@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_rule_unit_scenarios(tmp_path: Path, scenario: Scenario) -> None:
    rules = write_rules(tmp_path / "rules.yaml", GROUPS)
    test_file = tmp_path / "test.yaml"
    test_file.write_text(yaml.safe_dump(unit_test_file(scenario, rules), sort_keys=False))
    result = run_promtool("test", "rules", str(test_file))
    assert result.returncode == 0, result.stdout + result.stderr
