"""A placement's routes through the cluster's gateway, in the model's namespace.

* ``<model>``: ``/v1`` on the hostnames dedicated to the model (``<model>.<edge.domain>``,
  routing hostnames that carry only this model);
* ``<model>-prefixed``: ``/<model>/v1`` (rewritten to ``/v1``) on hostnames models share
  (the edge domain, multi-model routing hostnames);
* ``<model>-health``: ``/<model>/health`` (rewritten to ``/health``) on all of them, without
  an API key: the health check of the global routing.

The two API routes share one SecurityPolicy: API-key authentication (Envoy Gateway
``apiKeyAuth`` against the placement's key Secret, client id forwarded in
CLIENT_ID_HEADER) and the client allow-list; and one BackendTrafficPolicy: a local rate limit
per client id (``edge.rateLimitPerMinute`` shared out over the Envoy replicas; each route
keeps its own bucket). A route-level SecurityPolicy replaces the gateway-level one, so each
carries the allow-list. /metrics is never routed: vLLM serves it unauthenticated.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from infra import naming
from infra.workloads import gateway, meta
from infra.workloads.credentials import PlacementSecrets
from infra.workloads.scope import PlacementScope

API_PATH_PREFIX = "/v1"
HEALTH_PATH = "/health"
REQUEST_TIMEOUT = "1800s"
"""Longest request the gateway lets run: a long generation streams for many minutes."""


@dataclass(frozen=True)
class PlacementRoutes:
    api: k8s.apiextensions.CustomResource
    prefixed: k8s.apiextensions.CustomResource
    health: k8s.apiextensions.CustomResource
    hostnames: list[str]
    """Hostnames dedicated to the model (served at /v1)."""
    shared_hostnames: list[str]
    """Hostnames shared with other models (served at /<model>/v1)."""
    health_path: str
    """Unauthenticated health path on every one of them (``/<model>/health``)."""


def per_replica_limit(requests_per_minute: int, proxy_replicas: int) -> int:
    """Local rate limits count per Envoy replica: share the per-client limit out over them."""
    return max(1, math.ceil(requests_per_minute / max(1, proxy_replicas)))


def create_routes(
    scope: PlacementScope,
    namespace: k8s.core.v1.Namespace,
    service: k8s.core.v1.Service,
    keys: PlacementSecrets,
    depends_on: list[pulumi.Resource],
) -> PlacementRoutes:
    ref = scope.cluster.gateway
    edge = scope.cluster.target.edge
    stack = scope.cluster.stack
    model = scope.model.name
    dedicated = gateway.model_hostnames(stack, scope.cluster.name, model)
    shared = gateway.shared_hostnames(stack, scope.cluster.name, model)
    parent = {"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": ref.name, "namespace": ref.namespace}
    backend = {"kind": "Service", "name": scope.server_name, "port": naming.SERVER_PORT}
    deps: list[pulumi.Resource] = [namespace, service, *depends_on]

    def custom(suffix: str, api_version: str, kind: str, name: str, spec: dict[str, Any], *extra: pulumi.Resource):
        return k8s.apiextensions.CustomResource(
            f"{scope.name}-{suffix}",
            api_version=api_version,
            kind=kind,
            metadata=meta.metadata(name, scope.namespace, scope.labels(meta.SERVER)),
            spec=spec,
            opts=scope.child(depends_on=[*deps, *extra]),
        )

    def rewrite(to: str) -> dict[str, Any]:
        return {"type": "URLRewrite", "urlRewrite": {"path": {"type": "ReplacePrefixMatch", "replacePrefixMatch": to}}}

    def route(suffix: str, name: str, hostnames: list[str], rule: dict[str, Any]):
        return custom(
            suffix,
            "gateway.networking.k8s.io/v1",
            "HTTPRoute",
            name,
            {"parentRefs": [parent], "hostnames": hostnames, "rules": [{**rule, "backendRefs": [backend]}]},
        )

    api = route(
        "route-api",
        model,
        dedicated,
        {"matches": [{"path": {"type": "PathPrefix", "value": API_PATH_PREFIX}}], "timeouts": {"request": REQUEST_TIMEOUT}},
    )
    prefixed = route(
        "route-prefixed",
        f"{model}-prefixed",
        shared,
        {
            "matches": [{"path": {"type": "PathPrefix", "value": f"/{model}{API_PATH_PREFIX}"}}],
            "filters": [rewrite(API_PATH_PREFIX)],
            "timeouts": {"request": REQUEST_TIMEOUT},
        },
    )
    health = route(
        "route-health",
        f"{model}-health",
        sorted({*dedicated, *shared}),
        {
            "matches": [{"path": {"type": "Exact", "value": f"/{model}{HEALTH_PATH}"}}],
            "filters": [
                {"type": "URLRewrite", "urlRewrite": {"path": {"type": "ReplaceFullPath", "replaceFullPath": HEALTH_PATH}}}
            ],
        },
    )
    route_ref = {"group": "gateway.networking.k8s.io", "kind": "HTTPRoute"}
    api_refs = [{**route_ref, "name": model}, {**route_ref, "name": f"{model}-prefixed"}]
    custom(
        "api-security",
        "gateway.envoyproxy.io/v1alpha1",
        "SecurityPolicy",
        model,
        {
            "targetRefs": api_refs,
            "apiKeyAuth": {
                "credentialRefs": [{"group": "", "kind": "Secret", "name": keys.api_key_name}],
                "extractFrom": [{"headers": list(gateway.API_KEY_HEADERS)}],
                "forwardClientIDHeader": gateway.CLIENT_ID_HEADER,
                # The server checks the same key again (defence in depth): keep the header.
                "sanitize": False,
            },
            "authorization": gateway.cidr_authorization(edge.allowed_cidrs),
        },
        api,
        prefixed,
        keys.api_key,
    )
    custom(
        "health-security",
        "gateway.envoyproxy.io/v1alpha1",
        "SecurityPolicy",
        f"{model}-health",
        {
            "targetRefs": [{**route_ref, "name": f"{model}-health"}],
            "authorization": gateway.cidr_authorization(edge.allowed_cidrs),
        },
        health,
    )
    limit = per_replica_limit(edge.rate_limit_per_minute, ref.proxy_replicas)
    custom(
        "rate-limit",
        "gateway.envoyproxy.io/v1alpha1",
        "BackendTrafficPolicy",
        model,
        {
            "targetRefs": api_refs,
            "rateLimit": {
                "type": "Local",
                "local": {
                    "rules": [
                        {
                            "clientSelectors": [
                                {"headers": [{"name": gateway.CLIENT_ID_HEADER, "type": "Exact", "value": client}]}
                            ],
                            "limit": {"requests": limit, "unit": "Minute"},
                        }
                        for client in keys.api_key_clients
                    ]
                },
            },
        },
        api,
        prefixed,
    )
    return PlacementRoutes(
        api=api, prefixed=prefixed, health=health, hostnames=dedicated, shared_hostnames=shared,
        health_path=f"/{model}{HEALTH_PATH}",
    )
