"""Per-placement routes through the gateway: hostnames, paths, API-key auth, allow-list, rate limits."""

from __future__ import annotations

import json
import math
import re
from typing import Any

from infra import naming
from infra.plan import SECRET, Plan, PlanResource
from infra.workloads import client_credentials, credentials, gateway, meta
from tests.workloads.conftest import PlacementView

HTTP_ROUTE = "HTTPRoute"
AI_ROUTE = "AIGatewayRoute"


def inference_aware(view: PlacementView) -> bool:
    return view.model.get("routing", "inference-aware") == "inference-aware"


def route(view: PlacementView, name: str, kind: str = HTTP_ROUTE) -> dict[str, Any]:
    return view.one(kind, name).props["spec"]


def test_routes_attach_to_the_clusters_gateway_and_reach_the_service(view: PlacementView) -> None:
    routes = view.of_kind(HTTP_ROUTE) + view.of_kind(AI_ROUTE)
    assert {(r.props["kind"], r.props["metadata"]["name"]) for r in routes} == {
        (AI_ROUTE, view.model_name),
        (HTTP_ROUTE, f"{view.model_name}-prefixed"),
        (HTTP_ROUTE, f"{view.model_name}-health"),
    }
    service = {"kind": "Service", "name": naming.server_name(view.model_name), "port": naming.SERVER_PORT}
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
        name = resource.props["metadata"]["name"]
        if inference_aware(view) and not name.endswith("-health"):
            # the API routes name the placement's InferencePool; /health stays on the Service
            assert rule["backendRefs"] == [
                {"group": "inference.networking.k8s.io", "kind": "InferencePool", "name": view.model_name}
            ], name
            continue
        if resource.props["kind"] == HTTP_ROUTE:
            assert rule["backendRefs"] == [service]
            continue
        # AIGatewayRoute -> AIServiceBackend -> Envoy Gateway Backend -> the same Service
        assert rule["backendRefs"] == [{"name": view.model_name}]
        backend = view.one("AIServiceBackend", view.model_name).props["spec"]
        assert backend["schema"]["name"] == "OpenAI"
        assert backend["backendRef"] == {"group": "gateway.envoyproxy.io", "kind": "Backend", "name": view.model_name}
        (endpoint,) = view.one("Backend", view.model_name).props["spec"]["endpoints"]
        assert endpoint["fqdn"] == {
            "hostname": f"{service['name']}.{view.namespace}.svc.cluster.local",
            "port": naming.SERVER_PORT,
        }


def test_the_api_route_records_token_usage_for_quotas_and_metering(view: PlacementView) -> None:
    costs = route(view, view.model_name, AI_ROUTE)["llmRequestCosts"]
    assert {"metadataKey": "llm_total_token", "type": "TotalToken"} in costs, "what the token quotas charge"
    assert {c["type"] for c in costs} >= {"InputToken", "OutputToken"}


def test_only_the_api_and_the_health_path_are_exposed(view: PlacementView) -> None:
    model = view.model_name
    api = route(view, model, AI_ROUTE)["rules"][0]
    assert "matches" not in api, "AI Gateway serves its OpenAI paths under /v1 on the dedicated hostnames"
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
    assert set(route(view, model, AI_ROUTE)["hostnames"]) == dedicated
    assert set(route(view, f"{model}-prefixed")["hostnames"]) == shared
    assert set(route(view, f"{model}-health")["hostnames"]) == dedicated | shared


def allowed_client_ids(view: PlacementView) -> list[str]:
    """``<client>.<key>`` of every active key of the clients the stack allows this model."""
    return [
        f"{c['name']}.{k['id']}"
        for c in view.config.get("clients", [])
        if view.model_name in c["models"]
        for k in c["keys"]
        if k.get("state", "active") == "active"
    ]


def target_client_secret(view: PlacementView) -> PlanResource:
    (secret,) = [
        r for r in view.plan.of_type("kubernetes:core/v1:Secret")
        if r.props["metadata"]["name"] == client_credentials.CLIENT_KEYS_SECRET and view.plan.target_of(r) == view.target
    ]
    return secret


def test_api_routes_need_a_client_key_from_an_allowed_address(view: PlacementView) -> None:
    model = view.model_name
    policy = view.one("SecurityPolicy", model).props["spec"]
    assert {t["name"] for t in policy["targetRefs"]} == {model, f"{model}-prefixed"}
    auth = policy["apiKeyAuth"]
    assert auth["credentialRefs"] == [
        {"group": "", "kind": "Secret", "name": client_credentials.CLIENT_KEYS_SECRET, "namespace": gateway.GATEWAY_NAMESPACE}
    ]
    assert auth["extractFrom"] == [{"headers": ["authorization", "x-api-key"]}]
    assert auth["forwardClientIDHeader"] == gateway.CLIENT_ID_HEADER
    assert auth["sanitize"] is True, "the client's key must not travel on to the model server"
    allow = policy["authorization"]
    assert allow["defaultAction"] == "Deny"
    ids = allowed_client_ids(view)
    assert ids, "every stack allows each model at least one client"
    assert allow["rules"] == [
        {
            "name": "allowed-clients",
            "action": "Allow",
            "principal": {
                "clientCIDRs": view.target_config["edge"].get("allowedCidrs", ["0.0.0.0/0"]),
                "headers": [{"name": gateway.CLIENT_ID_HEADER, "values": ids}],
            },
        }
    ]


def test_the_clusters_client_keys_hold_exactly_the_clients_of_its_models(view: PlacementView) -> None:
    secret = target_client_secret(view)
    assert secret.props["stringData"] == SECRET
    assert secret.props["metadata"]["namespace"] == gateway.GATEWAY_NAMESPACE
    deployed = secret.props["metadata"]["annotations"][meta.SECRET_KEYS_ANNOTATION].split(",")
    assert set(allowed_client_ids(view)) <= set(deployed)
    assert "default" not in deployed, "no per-target default key any more"
    # Only this namespace's SecurityPolicies may read it.
    (grant,) = [
        r for r in view.plan.of_type("kubernetes:gateway.networking.k8s.io/v1beta1:ReferenceGrant")
        if view.plan.target_of(r) == view.target
    ]
    assert {"group": "gateway.envoyproxy.io", "kind": "SecurityPolicy", "namespace": view.namespace} in grant.props[
        "spec"
    ]["from"]
    assert grant.props["spec"]["to"] == [{"group": "", "kind": "Secret", "name": client_credentials.CLIENT_KEYS_SECRET}]


def test_the_gateway_injects_the_server_key_on_both_api_routes(view: PlacementView) -> None:
    model, key_secret = view.model_name, f"{view.model_name}-server-key"
    flt = view.one("HTTPRouteFilter", f"{model}-server-key").props["spec"]
    assert flt["credentialInjection"] == {
        "header": "Authorization",
        "overwrite": True,
        "credential": {"valueRef": {"group": "", "kind": "Secret", "name": key_secret}},
    }
    ref = {"type": "ExtensionRef", "extensionRef": {"group": "gateway.envoyproxy.io", "kind": "HTTPRouteFilter",
                                                    "name": f"{model}-server-key"}}
    assert ref in route(view, f"{model}-prefixed")["rules"][0]["filters"]
    assert ref not in route(view, f"{model}-health")["rules"][0].get("filters", [])
    # /v1 through AI Gateway: its BackendSecurityPolicy sends the server key to the model's backend.
    policy = view.one("BackendSecurityPolicy", model).props["spec"]
    assert policy["type"] == "APIKey"
    target = (
        {"group": "inference.networking.k8s.io", "kind": "InferencePool", "name": model}
        if inference_aware(view)
        else {"group": "aigateway.envoyproxy.io", "kind": "AIServiceBackend", "name": model}
    )
    assert policy["targetRefs"] == [target]
    assert policy["apiKey"] == {"secretRef": {"group": "", "kind": "Secret", "name": key_secret}}
    assert credentials.SERVER_KEY == "apiKey", "the Secret key AI Gateway reads"


def test_rate_limit_per_api_client(view: PlacementView) -> None:
    model = view.model_name
    policy = view.one("BackendTrafficPolicy", model).props["spec"]
    assert {t["name"] for t in policy["targetRefs"]} == {model, f"{model}-prefixed"}
    clients = [c for c in view.config.get("clients", []) if model in c["models"]]
    rules = policy["rateLimit"]["local"]["rules"]
    replicas = envoy_replicas(view)
    assert len(rules) == len(clients)
    for client, rule in zip(clients, rules, strict=True):
        (selector,) = rule["clientSelectors"]
        (header,) = selector["headers"]
        assert header["name"] == gateway.CLIENT_ID_HEADER and header["type"] == "RegularExpression"
        # Every key of the client (and no other client's) falls into its bucket.
        for cid in allowed_client_ids(view):
            assert bool(re.fullmatch(header["value"], cid)) == cid.startswith(f"{client['name']}."), cid
        assert rule["limit"] == {"requests": math.ceil(client["requestsPerMinute"] / replicas), "unit": "Minute"}


def test_token_quotas_count_real_usage_in_the_shared_counter(view: PlacementView) -> None:
    model = view.model_name
    policy = view.one("BackendTrafficPolicy", model).props["spec"]
    clients = [c for c in view.config.get("clients", []) if model in c["models"]]
    expected = [
        (c["name"], c[key], unit)
        for c in clients
        for key, unit in (("tokensPerMinute", "Minute"), ("tokensPerMonth", "Month"))
        if key in c
    ]
    rules = policy["rateLimit"].get("global", {}).get("rules", [])
    got = []
    for rule in rules:
        (header,) = rule["clientSelectors"][0]["headers"]
        assert header["name"] == gateway.CLIENT_ID_HEADER
        assert rule["cost"] == {
            "request": {"from": "Number", "number": 0},
            "response": {"from": "Metadata", "metadata": {"namespace": "io.envoy.ai_gateway", "key": "llm_total_token"}},
        }
        assert rule["shared"] is True, "both API routes count into one bucket"
        name = header["value"].split("\\.")[0]
        got.append((name, rule["limit"]["requests"], rule["limit"]["unit"]))
    assert got == expected


def test_over_a_limit_the_client_gets_429_with_a_json_body(view: PlacementView) -> None:
    (override,) = view.one("BackendTrafficPolicy", view.model_name).props["spec"]["responseOverride"]
    assert override["match"] == {"statusCodes": [{"type": "Value", "value": 429}]}
    assert override["response"]["contentType"] == "application/json"
    body = json.loads(override["response"]["body"]["inline"])
    assert body["error"]["code"] == 429 and "quota" in body["error"]["message"]


def envoy_replicas(view: PlacementView) -> int:
    """Replicas of the target's Envoy proxies (a local rate limit counts per replica)."""
    (proxy,) = [
        r for r in view.plan.of_type("kubernetes:gateway.envoyproxy.io/v1alpha1:EnvoyProxy")
        if view.plan.target_of(r) == view.target
    ]
    return proxy.props["spec"]["provider"]["kubernetes"]["envoyDeployment"]["replicas"]


def test_prod_routing_hostnames_land_on_their_targets(prod_plan: Plan) -> None:
    hosts: dict[str, set[str]] = {}
    for resource in prod_plan.of_type("kubernetes:aigateway.envoyproxy.io/v1beta1:AIGatewayRoute"):
        name = resource.props["metadata"]["name"]
        if name in ("llama-8b", "llama-70b"):
            hosts.setdefault(f"{prod_plan.target_of(resource)}/{name}", set()).update(resource.props["spec"]["hostnames"])
    assert "api.llm.example.com" in hosts["aws-use1/llama-8b"]
    assert "api.llm.example.com" in hosts["gcp-usc1/llama-8b"]
    assert "large.llm.example.com" in hosts["dc1/llama-70b"]
    assert "large.llm.example.com" in hosts["aws-use1/llama-70b"]
    assert "large.llm.example.com" not in hosts["gcp-usc1/llama-70b"], "gcp is not an endpoint of that route"
