"""Per-placement routes through the gateway: hostnames, paths, API-key auth, allow-list, rate limits."""

from __future__ import annotations

import math
from typing import Any

from infra import naming
from infra.plan import Plan
from infra.workloads import gateway, meta
from tests.workloads.conftest import PlacementView

HTTP_ROUTE = "HTTPRoute"


def route(view: PlacementView, name: str) -> dict[str, Any]:
    return view.one(HTTP_ROUTE, name).props["spec"]


def test_routes_attach_to_the_clusters_gateway_and_reach_the_service(view: PlacementView) -> None:
    routes = view.of_kind(HTTP_ROUTE)
    assert {r.props["metadata"]["name"] for r in routes} == {
        view.model_name,
        f"{view.model_name}-prefixed",
        f"{view.model_name}-health",
    }
    for resource in routes:
        spec = resource.props["spec"]
        assert spec["parentRefs"] == [
            {
                "group": "gateway.networking.k8s.io",
                "kind": "Gateway",
                "name": gateway.GATEWAY_NAME,
                "namespace": gateway.GATEWAY_NAMESPACE,
            }
        ]
        (rule,) = spec["rules"]
        assert rule["backendRefs"] == [
            {"kind": "Service", "name": naming.server_name(view.model_name), "port": naming.SERVER_PORT}
        ]


def test_only_the_api_and_the_health_path_are_exposed(view: PlacementView) -> None:
    model = view.model_name
    api = route(view, model)["rules"][0]
    assert api["matches"] == [{"path": {"type": "PathPrefix", "value": "/v1"}}]
    prefixed = route(view, f"{model}-prefixed")["rules"][0]
    assert prefixed["matches"] == [{"path": {"type": "PathPrefix", "value": f"/{model}/v1"}}]
    assert prefixed["filters"][0]["urlRewrite"]["path"] == {"type": "ReplacePrefixMatch", "replacePrefixMatch": "/v1"}
    health = route(view, f"{model}-health")["rules"][0]
    assert health["matches"] == [{"path": {"type": "Exact", "value": f"/{model}/health"}}]
    assert health["filters"][0]["urlRewrite"]["path"] == {"type": "ReplaceFullPath", "replaceFullPath": "/health"}
    for resource in view.of_kind(HTTP_ROUTE):
        for rule in resource.props["spec"]["rules"]:
            for match in rule["matches"]:
                assert "metrics" not in match["path"]["value"], "vLLM's /metrics is unauthenticated"


def test_hostnames_follow_the_edge_domain_and_the_routing(view: PlacementView) -> None:
    model, domain = view.model_name, view.target_config["edge"]["domain"]
    dedicated = {f"{model}.{domain}"}
    shared = {domain}
    for entry in view.config.get("routing", []):
        if model in entry["models"] and view.target in {e["target"] for e in entry["endpoints"]}:
            (dedicated if entry["models"] == [model] else shared).add(entry["hostname"])
    assert set(route(view, model)["hostnames"]) == dedicated
    assert set(route(view, f"{model}-prefixed")["hostnames"]) == shared
    assert set(route(view, f"{model}-health")["hostnames"]) == dedicated | shared


def test_api_routes_need_a_key_from_an_allowed_address(view: PlacementView) -> None:
    model = view.model_name
    policy = view.one("SecurityPolicy", model).props["spec"]
    assert {t["name"] for t in policy["targetRefs"]} == {model, f"{model}-prefixed"}
    auth = policy["apiKeyAuth"]
    assert auth["credentialRefs"] == [{"group": "", "kind": "Secret", "name": f"{model}-api-key"}]
    assert auth["extractFrom"] == [{"headers": ["authorization", "x-api-key"]}]
    assert auth["forwardClientIDHeader"] == gateway.CLIENT_ID_HEADER
    allow = policy["authorization"]
    assert allow["defaultAction"] == "Deny"
    assert allow["rules"] == [
        {
            "name": "allowed-clients",
            "action": "Allow",
            "principal": {"clientCIDRs": view.target_config["edge"].get("allowedCidrs", ["0.0.0.0/0"])},
        }
    ]


def test_health_route_needs_no_key_but_the_allow_list(view: PlacementView) -> None:
    policy = view.one("SecurityPolicy", f"{view.model_name}-health").props["spec"]
    assert "apiKeyAuth" not in policy
    assert policy["authorization"]["defaultAction"] == "Deny"
    assert policy["targetRefs"] == [
        {"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "name": f"{view.model_name}-health"}
    ]


def test_rate_limit_per_api_client(view: PlacementView) -> None:
    model = view.model_name
    policy = view.one("BackendTrafficPolicy", model).props["spec"]
    assert {t["name"] for t in policy["targetRefs"]} == {model, f"{model}-prefixed"}
    secret = view.one("Secret", f"{model}-api-key")
    clients = secret.props["metadata"]["annotations"][meta.SECRET_KEYS_ANNOTATION].split(",")
    rules = policy["rateLimit"]["local"]["rules"]
    assert [r["clientSelectors"][0]["headers"][0]["value"] for r in rules] == clients
    per_minute = view.target_config["edge"].get("rateLimitPerMinute", 600)
    for rule in rules:
        (header,) = rule["clientSelectors"][0]["headers"]
        assert header["name"] == gateway.CLIENT_ID_HEADER and header["type"] == "Exact"
        replicas = envoy_replicas(view)
        assert rule["limit"] == {"requests": math.ceil(per_minute / replicas), "unit": "Minute"}, replicas


def envoy_replicas(view: PlacementView) -> int:
    """Replicas of the target's Envoy proxies (a local rate limit counts per replica)."""
    (proxy,) = [
        r for r in view.plan.of_type("kubernetes:gateway.envoyproxy.io/v1alpha1:EnvoyProxy")
        if view.plan.target_of(r) == view.target
    ]
    return proxy.props["spec"]["provider"]["kubernetes"]["envoyDeployment"]["replicas"]


def test_prod_routing_hostnames_land_on_their_targets(prod_plan: Plan) -> None:
    hosts: dict[str, set[str]] = {}
    for resource in prod_plan.of_type("kubernetes:gateway.networking.k8s.io/v1:HTTPRoute"):
        name = resource.props["metadata"]["name"]
        if name in ("llama-8b", "llama-70b"):
            hosts.setdefault(f"{prod_plan.target_of(resource)}/{name}", set()).update(resource.props["spec"]["hostnames"])
    assert "api.llm.example.com" in hosts["aws-use1/llama-8b"]
    assert "api.llm.example.com" in hosts["gcp-usc1/llama-8b"]
    assert "large.llm.example.com" in hosts["dc1/llama-70b"]
    assert "large.llm.example.com" in hosts["aws-use1/llama-70b"]
    assert "large.llm.example.com" not in hosts["gcp-usc1/llama-70b"], "gcp is not an endpoint of that route"
