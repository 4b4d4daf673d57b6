"""The shared counter of the token quotas: Envoy Gateway's global rate limit and its Valkey store,
on every target of dev and prod; hardened and reachable only from the rate-limit service."""

from __future__ import annotations

from typing import Any

import pytest

from infra import versions
from infra.plan import SECRET, Plan
from infra.workloads import gateway, ratelimit

TARGETS = {"dev": ["lab", "aws-dev"], "prod": ["aws-use1", "gcp-usc1", "dc1"]}
CASES = [(s, t) for s, ts in TARGETS.items() for t in ts]


def of_target(plan: Plan, target: str, type_: str) -> list[Any]:
    return [r for r in plan.of_type(type_) if plan.target_of(r) == target]


def release(plan: Plan, target: str, name: str) -> dict[str, Any]:
    (found,) = [r.props for r in of_target(plan, target, "kubernetes:helm.sh/v3:Release") if r.props["name"] == name]
    return found


@pytest.mark.parametrize(("stack", "target"), CASES)
def test_envoy_gateway_runs_the_global_rate_limit_on_the_store(plans: dict[str, Plan], stack: str, target: str) -> None:
    plan = plans[stack]
    config = release(plan, target, "envoy-gateway")["values"]["config"]["envoyGateway"]
    assert config["rateLimit"]["backend"] == {
        "type": "Redis",
        "redis": {"url": f"{ratelimit.STORE_RELEASE}.{ratelimit.STORE_NAMESPACE}.svc.cluster.local:6379"},
    }
    deployment = config["provider"]["kubernetes"]["rateLimitDeployment"]
    assert deployment["replicas"] >= 2
    assert deployment["container"]["env"] == [
        {"name": "REDIS_AUTH", "valueFrom": {"secretKeyRef": {"name": ratelimit.STORE_AUTH_SECRET, "key": "default"}}}
    ], "the password comes from a Secret, never a value"


@pytest.mark.parametrize(("stack", "target"), CASES)
def test_the_store_authenticates_persists_and_is_not_exposed(plans: dict[str, Plan], stack: str, target: str) -> None:
    plan = plans[stack]
    store = release(plan, target, ratelimit.STORE_RELEASE)
    assert (store["chart"], store["version"]) == (versions.VALKEY.chart, versions.VALKEY.version)
    assert store["namespace"] == ratelimit.STORE_NAMESPACE
    values = store["values"]
    assert values["service"]["type"] == "ClusterIP"
    assert values["auth"]["enabled"] is True and values["auth"]["usersExistingSecret"] == ratelimit.STORE_USERS_SECRET
    assert "password" not in str(values["auth"]["aclUsers"]).lower().replace("passwordkey", "")
    assert values["dataStorage"]["enabled"] is True, "monthly counters survive a restart"
    secrets = {
        (r.props["metadata"]["namespace"], r.props["metadata"]["name"]): r.props
        for r in of_target(plan, target, "kubernetes:core/v1:Secret")
    }
    for key in ((ratelimit.STORE_NAMESPACE, ratelimit.STORE_USERS_SECRET),
                (gateway.ENVOY_GATEWAY_NAMESPACE, ratelimit.STORE_AUTH_SECRET)):
        assert secrets[key]["stringData"] == SECRET, key
    passwords = [r for r in of_target(plan, target, "random:index/randomPassword:RandomPassword")
                 if r.name.endswith("ratelimit-store-password")]
    assert len(passwords) == 1, "one password per cluster's store"


@pytest.mark.parametrize(("stack", "target"), CASES)
def test_only_the_rate_limit_service_reaches_the_store(plans: dict[str, Plan], stack: str, target: str) -> None:
    plan = plans[stack]
    (namespace,) = [
        r.props for r in of_target(plan, target, "kubernetes:core/v1:Namespace")
        if r.props["metadata"]["name"] == ratelimit.STORE_NAMESPACE
    ]
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    policies = [
        r.props["spec"] for r in of_target(plan, target, "kubernetes:networking.k8s.io/v1:NetworkPolicy")
        if r.props["metadata"]["namespace"] == ratelimit.STORE_NAMESPACE
    ]
    assert {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]} in policies, "default deny"
    ingress = [rule for p in policies for rule in p.get("ingress", [])]
    assert ingress == [
        {
            "from": [
                {
                    "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": gateway.ENVOY_GATEWAY_NAMESPACE}},
                    "podSelector": {"matchLabels": ratelimit.RATELIMIT_POD},
                }
            ],
            "ports": [{"protocol": "TCP", "port": ratelimit.STORE_PORT}],
        }
    ]
    egress = [rule for p in policies for rule in p.get("egress", [])]
    assert all({port["port"] for port in rule["ports"]} == {53} for rule in egress), "DNS only"
