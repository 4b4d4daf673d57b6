"""KEDA ScaledObjects: bounds and thresholds come from the stack config; scale to zero wakes on
the gateway's request counter."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from infra.plan import Plan
from infra.stackfile import load_stack_file
from infra.versions import KEDA
from infra.workloads.operations.cluster import GMP_TRIGGER_AUTH, PROMETHEUS_URL
from tests.operations.harness import ROOT, evaluate_values, one

SCALED_OBJECT = "kubernetes:keda.sh/v1alpha1:ScaledObject"


def scaler(plan: Plan, placement: str) -> dict[str, Any]:
    return one(plan, SCALED_OBJECT, f"{placement}-ops-scaler").props


def triggers(spec: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {t["name"]: t for t in spec["spec"]["triggers"]}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_bounds_and_thresholds_equal_the_config(stack: str, operations_plans: dict[str, Plan]) -> None:
    plan = operations_plans[stack]
    objects = plan.of_type(SCALED_OBJECT)
    assert len(objects) == sum(len(m["placements"]) for m in plan.config["models"])
    for model in plan.config["models"]:
        auto = {"queueDepthPerReplica": 5, "pollingSeconds": 15, "cooldownSeconds": 360, "scaleDownStabilizationSeconds": 600}
        auto.update(model.get("autoscaling", {}))
        for placement in model["placements"]:
            obj = scaler(plan, f"{placement['target']}-{model['name']}")
            spec = obj["spec"]
            assert obj["metadata"]["namespace"] == f"llm-{model['name']}"
            assert spec["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": f"{model['name']}-server"}
            assert (spec["minReplicaCount"], spec["maxReplicaCount"]) == (placement["replicas"]["min"], placement["replicas"]["max"])
            assert spec["pollingInterval"] == auto["pollingSeconds"]
            assert spec["cooldownPeriod"] == auto["cooldownSeconds"]
            down = spec["advanced"]["horizontalPodAutoscalerConfig"]["behavior"]["scaleDown"]
            assert down["stabilizationWindowSeconds"] == auto["scaleDownStabilizationSeconds"]
            assert down["policies"] == [{"type": "Pods", "value": 1, "periodSeconds": auto["scaleDownStabilizationSeconds"]}]
            queue = triggers(obj)["queue-depth"]
            assert queue["metricType"] == "AverageValue"
            assert queue["metadata"]["threshold"] == str(auto["queueDepthPerReplica"])
            assert "vllm:num_requests_waiting_by_reason{" in queue["metadata"]["query"]
            assert f'namespace="llm-{model["name"]}"' in queue["metadata"]["query"]


def test_mutating_the_config_changes_the_scaled_object() -> None:
    values = copy.deepcopy(load_stack_file("prod", ROOT).values)
    model = next(m for m in values["models"] if m["name"] == "llama-8b")
    model["autoscaling"] = {
        "queueDepthPerReplica": 11,
        "pollingSeconds": 45,
        "cooldownSeconds": 1200,
        "scaleDownStabilizationSeconds": 2400,
    }
    next(p for p in model["placements"] if p["target"] == "aws-use1")["replicas"] = {"min": 3, "max": 9}
    spec = scaler(evaluate_values("prod", values), "aws-use1-llama-8b")["spec"]
    assert (spec["minReplicaCount"], spec["maxReplicaCount"]) == (3, 9)
    assert (spec["pollingInterval"], spec["cooldownPeriod"]) == (45, 1200)
    down = spec["advanced"]["horizontalPodAutoscalerConfig"]["behavior"]["scaleDown"]
    assert down["stabilizationWindowSeconds"] == 2400
    assert down["policies"][0]["periodSeconds"] == 1800  # the HPA's maximum period
    assert triggers({"spec": spec})["queue-depth"]["metadata"]["threshold"] == "11"


def test_scale_to_zero_has_a_wake_up_trigger_that_exists_at_zero_replicas(ops_dev: Plan) -> None:
    idle = scaler(ops_dev, "aws-dev-llama-8b")
    assert idle["spec"]["minReplicaCount"] == 0
    wake = triggers(idle)["gateway-requests"]
    query = wake["metadata"]["query"]
    # Envoy's per-route counter (at 0 before any request, charged with the 503 of "no healthy upstream")
    assert query.startswith("sum(rate(envoy_cluster_upstream_rq_completed{")
    # the API route only: Route 53's /health probes must not keep the model awake
    assert 'envoy_cluster_name=~"httproute/llm-llama-8b/(llama-8b|llama-8b-prefixed)/rule/.*"' in query
    assert wake["metadata"]["activationThreshold"] == "0"
    # a placement with a minimum has no wake trigger
    assert set(triggers(scaler(ops_dev, "lab-llama-8b"))) == {"queue-depth"}


def test_in_cluster_scalers_query_the_cluster_prometheus(ops_prod: Plan) -> None:
    spec = scaler(ops_prod, "dc1-llama-70b")
    assert triggers(spec)["queue-depth"]["metadata"]["serverAddress"] == PROMETHEUS_URL
    assert "authenticationRef" not in triggers(spec)["queue-depth"]


def test_gmp_scalers_authenticate_and_pin_the_cluster(ops_prod: Plan) -> None:
    queue = triggers(scaler(ops_prod, "gcp-usc1-llama-8b"))["queue-depth"]
    assert queue["metadata"]["serverAddress"] == (
        "https://monitoring.googleapis.com/v1/projects/acme-llm-prod/location/global/prometheus"
    )
    assert 'cluster="gcp-usc1"' in queue["metadata"]["query"]
    assert queue["authenticationRef"] == {"kind": "ClusterTriggerAuthentication", "name": GMP_TRIGGER_AUTH}
    auth = one(ops_prod, "kubernetes:keda.sh/v1alpha1:ClusterTriggerAuthentication", "gcp-usc1-ops-keda-gmp-auth")
    assert auth.props["spec"] == {"podIdentity": {"provider": "gcp"}}
    iam = one(ops_prod, "gcp:projects/iAMMember:IAMMember", "gcp-usc1-ops-keda-gmp-reader")
    assert iam.props["role"] == "roles/monitoring.viewer"
    assert iam.props["member"].endswith("acme-llm-prod.svc.id.goog/subject/ns/keda/sa/keda-operator")


def test_every_cluster_runs_keda_and_each_scaler_targets_its_own_cluster(operations_plans: dict[str, Plan]) -> None:
    for plan in operations_plans.values():
        for target in (t["name"] for t in plan.config["targets"]):
            keda = one(plan, "kubernetes:helm.sh/v3:Release", f"{target}-ops-keda")
            assert (keda.props["chart"], keda.props["version"], keda.props["namespace"]) == ("keda", KEDA.version, "keda")
        for obj in plan.of_type(SCALED_OBJECT):
            target = obj.name.split("-llama")[0]
            assert obj.provider is not None and obj.provider.endswith(f"::{target}-k8s")
