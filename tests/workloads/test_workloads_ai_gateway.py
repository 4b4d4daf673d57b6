"""Envoy AI Gateway on every target: pinned, hardened, wired into Envoy Gateway, and recording
the client id on its token metrics."""

from __future__ import annotations

from typing import Any

import pytest

from infra import versions
from infra.plan import Plan
from infra.workloads import ai_gateway, gateway

TARGETS = {"dev": ["lab", "aws-dev"], "prod": ["aws-use1", "gcp-usc1", "dc1"]}
CASES = [(s, t) for s, ts in TARGETS.items() for t in ts]


def releases(plan: Plan, target: str) -> dict[str, dict[str, Any]]:
    return {
        r.props["name"]: r.props
        for r in plan.of_type("kubernetes:helm.sh/v3:Release")
        if plan.target_of(r) == target
    }


@pytest.mark.parametrize(("stack", "target"), CASES)
def test_ai_gateway_is_pinned_and_hardened(plans: dict[str, Plan], stack: str, target: str) -> None:
    plan = plans[stack]
    found = releases(plan, target)
    for name, chart in (("ai-gateway-crds", versions.AI_GATEWAY_CRDS), ("ai-gateway", versions.AI_GATEWAY)):
        assert (found[name]["chart"], found[name]["version"]) == (chart.chart, chart.version)
        assert found[name]["namespace"] == ai_gateway.NAMESPACE
    controller = found["ai-gateway"]["values"]["controller"]
    assert controller["replicaCount"] >= 2 and controller["leaderElection"]["enabled"] is True
    assert controller["podDisruptionBudget"]["enabled"] is True
    context = controller["securityContext"]
    assert context["readOnlyRootFilesystem"] is True and context["runAsNonRoot"] is True
    assert context["capabilities"] == {"drop": ["ALL"]} and context["allowPrivilegeEscalation"] is False
    assert controller["metricsRequestHeaderAttributes"] == f"{gateway.CLIENT_ID_HEADER}:llm_fleet.client"
    assert found["ai-gateway"]["values"]["extProc"]["enableRedaction"] is True
    (namespace,) = [
        r.props for r in plan.of_type("kubernetes:core/v1:Namespace")
        if plan.target_of(r) == target and r.props["metadata"]["name"] == ai_gateway.NAMESPACE
    ]
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    policies = [
        r.props["spec"] for r in plan.of_type("kubernetes:networking.k8s.io/v1:NetworkPolicy")
        if plan.target_of(r) == target and r.props["metadata"]["namespace"] == ai_gateway.NAMESPACE
    ]
    assert {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]} in policies
    ports = {p["port"] for spec in policies for rule in spec.get("ingress", []) for p in rule["ports"]}
    assert ports == {ai_gateway.EXTENSION_PORT, ai_gateway.WEBHOOK_PORT, ai_gateway.CONTROLLER_METRICS_PORT}


@pytest.mark.parametrize(("stack", "target"), CASES)
def test_envoy_gateway_calls_the_extension_server(plans: dict[str, Plan], stack: str, target: str) -> None:
    config = releases(plans[stack], target)["envoy-gateway"]["values"]["config"]["envoyGateway"]
    assert config["extensionApis"]["enableBackend"] is True, "AIServiceBackends point at Envoy Gateway Backends"
    service = config["extensionManager"]["service"]["fqdn"]
    assert service == {
        "hostname": f"ai-gateway-controller.{ai_gateway.NAMESPACE}.svc.cluster.local",
        "port": ai_gateway.EXTENSION_PORT,
    }
    assert set(config["extensionManager"]["hooks"]["xdsTranslator"]["post"]) == {"Translation", "Cluster", "Route"}


@pytest.mark.parametrize(("stack", "target"), CASES)
def test_the_gateway_buffers_a_whole_prompt(plans: dict[str, Plan], stack: str, target: str) -> None:
    (policy,) = [
        r.props["spec"] for r in plans[stack].of_type("kubernetes:gateway.envoyproxy.io/v1alpha1:ClientTrafficPolicy")
        if plans[stack].target_of(r) == target
    ]
    assert policy["connection"]["bufferLimit"] == f"{gateway.WAF_REQUEST_BODY_LIMIT // 2**20}Mi"
