"""The in-cluster gateway on cloud targets: behind the cloud load balancer (which ends TLS and
runs the WAF), reached through a ClusterIP Service; options from the target's ClusterContext."""

from __future__ import annotations

from typing import Any

import pytest

from infra.plan import Plan
from infra.workloads import gateway
from infra.workloads.gateway import GatewayOptions

CLOUD_TARGETS = {"dev": ["aws-dev"], "prod": ["aws-use1", "gcp-usc1"]}


def of_target(plan: Plan, target: str, kind: str) -> list[dict[str, Any]]:
    return [
        r.props
        for r in plan.resources
        if r.type.startswith("kubernetes:") and r.props.get("kind") == kind and plan.target_of(r) == target
    ]


@pytest.mark.parametrize(("stack", "target"), [(s, t) for s, ts in CLOUD_TARGETS.items() for t in ts])
def test_cloud_gateway_sits_behind_the_load_balancer(plans: dict[str, Plan], stack: str, target: str) -> None:
    plan = plans[stack]
    (gw,) = of_target(plan, target, "Gateway")
    (listener,) = gw["spec"]["listeners"]
    assert listener["protocol"] == "HTTP" and listener["port"] == 80, "the cloud load balancer ends TLS"
    assert listener["allowedRoutes"]["namespaces"]["selector"]["matchLabels"] == {"llm-fleet.dev/gateway-access": "true"}
    (proxy,) = of_target(plan, target, "EnvoyProxy")
    assert proxy["spec"]["provider"]["kubernetes"]["envoyService"]["type"] == "ClusterIP"
    (client,) = of_target(plan, target, "ClientTrafficPolicy")
    assert client["spec"]["clientIPDetection"]["xForwardedFor"]["numTrustedHops"] >= 1
    assert of_target(plan, target, "EnvoyExtensionPolicy") == [], "the cloud WAF inspects requests"
    assert of_target(plan, target, "Certificate") == []
    # API keys and the allow-list still apply in the cluster: every model route has its policy.
    policies = {p["metadata"]["name"] for p in of_target(plan, target, "SecurityPolicy")}
    for route in of_target(plan, target, "HTTPRoute"):
        assert route["metadata"]["name"] in policies or route["metadata"]["name"].removesuffix("-prefixed") in policies


def test_gke_gateway_carries_the_neg_annotation(prod_plan: Plan) -> None:
    (proxy,) = of_target(prod_plan, "gcp-usc1", "EnvoyProxy")
    service = proxy["spec"]["provider"]["kubernetes"]["envoyService"]
    assert "cloud.google.com/neg" in service["annotations"]


class _Context:
    """Just what GatewayOptions.from_context reads."""

    def __init__(self, stack: Any, target: str, extra: dict[str, Any]):
        self.stack = stack
        self.target = stack.target(target)
        self.kind = self.target.kind
        self.name = target
        self.gateway = type("Ref", (), {"name": "gw", "namespace": "edge", "proxy_replicas": 3})()
        self.extra = extra
        self.metrics = "gmp" if self.kind == "gcp" else "prometheus-operator"


def test_options_from_context(prod_plan: Plan) -> None:
    from infra.config import parse_stack_config

    config = parse_stack_config(prod_plan.config, "prod")
    cloud = GatewayOptions.from_context(_Context(config, "aws-use1", {"gateway_tls": "internal-ca"}))  # type: ignore[arg-type]
    assert (cloud.tls, cloud.waf, cloud.service_type, cloud.trusted_proxy_hops) == ("internal-ca", False, "ClusterIP", 1)
    assert (cloud.gateway_name, cloud.gateway_namespace, cloud.proxy_replicas) == ("gw", "edge", 3)
    waf = GatewayOptions.from_context(_Context(config, "gcp-usc1", {"in_cluster_waf": True}))  # type: ignore[arg-type]
    assert waf.waf is True and waf.tls == "none"
    onprem = GatewayOptions.from_context(_Context(config, "dc1", {}))  # type: ignore[arg-type]
    assert (onprem.tls, onprem.waf, onprem.service_type, onprem.trusted_proxy_hops) == ("acme", True, "LoadBalancer", 0)
    assert onprem.acme_email == "ml-platform@example.com"
    assert gateway.model_hostnames(config, "dc1", "llama-70b") == ["large.llm.example.com", "llama-70b.llm-dc1.example.com"]
