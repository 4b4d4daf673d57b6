"""Per-cluster metrics plumbing: which stack, which exporters, pinned charts, retention from config."""

from __future__ import annotations

import copy
import json

import pytest

from infra import versions
from infra.plan import Plan
from infra.plan.runner import PlanError
from infra.stackfile import load_stack_file
from infra.workloads.operations import dashboards
from serving.errors import LlmFleetError
from tests.operations.harness import ROOT, evaluate_values, one

RELEASE = "kubernetes:helm.sh/v3:Release"


def releases(plan: Plan, target: str) -> dict[str, dict]:
    return {r.props["name"]: r.props for r in plan.of_type(RELEASE) if r.name.startswith(f"{target}-ops-")}


@pytest.mark.parametrize(
    ("stack", "target", "expected"),
    [
        ("dev", "lab", {"kps", "keda"}),  # on-prem: the GPU Operator already runs a DCGM exporter
        ("dev", "aws-dev", {"kps", "keda", "dcgm-exporter"}),
        ("prod", "aws-use1", {"kps", "keda", "dcgm-exporter"}),
        ("prod", "dc1", {"kps", "keda"}),
        ("prod", "gcp-usc1", {"keda"}),  # Google Managed Prometheus; GKE's DCGM package
    ],
)
def test_each_cluster_gets_the_right_add_ons(stack: str, target: str, expected: set[str], operations_plans: dict[str, Plan]) -> None:
    assert set(releases(operations_plans[stack], target)) == expected


def test_charts_are_pinned_from_versions(operations_plans: dict[str, Plan]) -> None:
    pins = {
        "kube-prometheus-stack": versions.KUBE_PROMETHEUS_STACK,
        "dcgm-exporter": versions.DCGM_EXPORTER,
        "keda": versions.KEDA,
    }
    seen = set()
    for plan in operations_plans.values():
        for props in (r.props for r in plan.of_type(RELEASE) if "-ops-" in r.name):
            pin = pins[props["chart"]]
            assert props["version"] == pin.version and props["repositoryOpts"]["repo"] == pin.repository
            assert props["createNamespace"] is False
            seen.add(props["chart"])
    assert seen == set(pins)


@pytest.mark.parametrize(
    ("stack", "target", "days"),
    [("dev", "aws-dev", 7), ("dev", "lab", 15), ("prod", "aws-use1", 30), ("prod", "dc1", 15)],
)
def test_prometheus_retention_comes_from_the_config(stack: str, target: str, days: int, operations_plans: dict[str, Plan]) -> None:
    spec = releases(operations_plans[stack], target)["kps"]["values"]["prometheus"]["prometheusSpec"]
    assert spec["retention"] == f"{days}d"
    disk = int(spec["storageSpec"]["volumeClaimTemplate"]["spec"]["resources"]["requests"]["storage"].removesuffix("Gi"))
    assert disk >= 2 * days and int(spec["retentionSize"].removesuffix("GB")) < disk
    # every PodMonitor / PrometheusRule of the cluster is selected, not only the chart's own
    assert spec["podMonitorSelectorNilUsesHelmValues"] is False
    assert spec["ruleSelectorNilUsesHelmValues"] is False


def test_grafana_loads_the_dashboards_we_label(ops_prod: Plan) -> None:
    grafana = releases(ops_prod, "aws-use1")["kps"]["values"]["grafana"]
    sidecar = grafana["sidecar"]["dashboards"]
    assert {sidecar["label"]: sidecar["labelValue"]} == dashboards.DASHBOARD_LABEL
    assert sidecar["searchNamespace"] == "ALL"
    assert grafana["admin"]["existingSecret"] == "grafana-admin"
    secret = one(ops_prod, "kubernetes:core/v1:Secret", "aws-use1-ops-grafana-admin")
    assert secret.props["stringData"] == "[secret]"  # a generated password, never in the Plan


def test_dcgm_exporter_runs_on_gpu_nodes_with_our_counters(ops_prod: Plan) -> None:
    values = releases(ops_prod, "aws-use1")["dcgm-exporter"]["values"]
    assert values["tolerations"] == [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]
    assert values["arguments"] == ["-f", "/etc/dcgm-exporter/llm-fleet/counters.csv"]
    counters = one(ops_prod, "kubernetes:core/v1:ConfigMap", "aws-use1-ops-dcgm-counters")
    assert "DCGM_FI_DEV_ECC_DBE_VOL_TOTAL" in counters.props["data"]["counters.csv"]
    # honorLabels keeps the exporter's pod/namespace labels (the GPU's pod, not the exporter's);
    # the chart always maps GPUs to pods: its old mapPodsMetrics key is gone (test_helm_values.py)
    assert values["serviceMonitor"]["honorLabels"] is True and "mapPodsMetrics" not in values
    assert values["resources"]["limits"] == {"cpu": None, "memory": "512Mi"}  # null deletes the chart's CPU limit


def test_on_prem_scrapes_the_gpu_operator_exporter(ops_prod: Plan) -> None:
    monitor = one(ops_prod, "kubernetes:monitoring.coreos.com/v1:ServiceMonitor", "dc1-ops-gpu-operator-dcgm")
    assert monitor.props["spec"]["selector"] == {"matchLabels": {"app": "nvidia-dcgm-exporter"}}


def test_gateway_proxies_are_scraped_for_the_route_counters(operations_plans: dict[str, Plan]) -> None:
    for plan in operations_plans.values():
        for target in (t["name"] for t in plan.config["targets"]):
            found = [r for r in plan.resources if r.name.startswith(f"{target}-ops-gateway-monitor")]
            assert len(found) == 1, target
            spec = found[0].props["spec"]
            assert spec["selector"]["matchLabels"]["gateway.envoyproxy.io/owning-gateway-name"] == "llm-gateway"
            endpoint = (spec.get("podMetricsEndpoints") or spec.get("endpoints"))[0]
            assert (endpoint["port"], endpoint["path"]) == ("metrics", "/stats/prometheus")


def test_model_servers_are_scraped_by_the_cluster_backend(ops_prod: Plan) -> None:
    pod_monitor = one(ops_prod, "kubernetes:monitoring.coreos.com/v1:PodMonitor", "dc1-llama-70b-ops-pod-monitor")
    assert pod_monitor.props["metadata"]["namespace"] == "llm-llama-70b"
    assert pod_monitor.props["spec"]["podMetricsEndpoints"] == [{"portNumber": 8000, "path": "/metrics", "interval": "15s"}]
    assert pod_monitor.props["spec"]["selector"]["matchLabels"]["app.kubernetes.io/name"] == "llama-70b"
    gmp = one(ops_prod, "kubernetes:monitoring.googleapis.com/v1:PodMonitoring", "gcp-usc1-llama-8b-ops-pod-monitoring")
    assert gmp.props["spec"]["endpoints"] == [{"port": 8000, "path": "/metrics", "interval": "15s"}]


def test_fleet_dashboard_on_every_cluster(operations_plans: dict[str, Plan]) -> None:
    for plan in operations_plans.values():
        for config in plan.config["targets"]:
            target = config["name"]
            if config["kind"] == "gcp" and config.get("monitoring", {}).get("stack") == "managed":
                # GMP: a Cloud Monitoring dashboard instead (tests/operations/test_cloud_dashboards.py)
                assert one(plan, "gcp:monitoring/dashboard:Dashboard", f"{target}-ops-fleet-dashboard")
                continue
            cm = one(plan, "kubernetes:core/v1:ConfigMap", f"{target}-ops-fleet-dashboard")
            assert cm.props["metadata"]["labels"]["grafana_dashboard"] == "1"
            (board,) = (json.loads(v) for v in cm.props["data"].values())
            assert board["uid"] == f"llmfleet-fleet-{target}"


def test_managed_metrics_on_aws_need_the_amp_workspace() -> None:
    values = copy.deepcopy(load_stack_file("dev", ROOT).values)
    next(t for t in values["targets"] if t["name"] == "aws-dev")["monitoring"] = {"stack": "managed"}
    with pytest.raises((PlanError, LlmFleetError), match=r"targets\.aws-dev\.monitoring\.stack: 'managed' on aws needs"):
        evaluate_values("dev", values)
