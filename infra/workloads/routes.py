"""A placement's routes through the cluster's gateway, in the model's namespace.

* ``<model>``: ``/v1`` on the hostnames dedicated to the model (``<model>.<edge.domain>``,
  routing hostnames that carry only this model), an Envoy AI Gateway ``AIGatewayRoute`` (it
  generates the HTTPRoute of the same name, to which the policies below attach): the model's
  InferencePool (routing ``inference-aware``: its endpoint picker chooses the replica,
  inference_pool.py) or, with ``round-robin``, its AIServiceBackend (an Envoy Gateway Backend:
  the model's Service); token usage written to
  Envoy's metadata (``llmRequestCosts``) for the token quotas and the per-client metering, and
  the server key injected by AI Gateway's BackendSecurityPolicy (APIKey);
* ``<model>-prefixed``: ``/<model>/v1`` (rewritten to ``/v1``), to the pool (or the Service), on hostnames models share
  (the edge domain, multi-model routing hostnames);
* ``<model>-health``: ``/<model>/health`` (rewritten to ``/health``) on all of them, without
  an API key, always to the Service: the health check of the global routing.

The two API routes share one SecurityPolicy, one HTTPRouteFilter and one BackendTrafficPolicy:

* SecurityPolicy: API-key authentication (Envoy Gateway ``apiKeyAuth``) against the cluster's
  client-key Secret (``client_credentials.py``: the fleet-wide keys of the clients of the
  models on this cluster), the client id (``<client>.<key id>``) forwarded in
  CLIENT_ID_HEADER, the client's key stripped (``sanitize``); ``authorization``: Allow only a
  request from an allowed address whose client id belongs to a client allowed this model,
  default Deny. Envoy runs the RBAC filter after the API-key filter, so an authenticated client
  calling a model it may not call gets 403, an unknown key 401. A route-level SecurityPolicy
  replaces the gateway-level one, so each carries the address allow-list.
* HTTPRouteFilter (``credentialInjection``): the gateway sets ``Authorization: Bearer <server
  key>`` (the placement's server key, never a client's), overwriting whatever the client sent,
  so a client key never reaches the model server or its logs; vLLM checks the server key.
* BackendTrafficPolicy (``quotas.py``): per-client request limits, token quotas, the 429 body.

/metrics is never routed: vLLM serves it unauthenticated.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from infra import naming
from infra.config import Client
from infra.workloads import ai_gateway, gateway, inference_extension, meta, quotas
from infra.workloads.client_credentials import TargetClientCredentials
from infra.workloads.credentials import PlacementSecrets
from infra.workloads.inference_pool import PlacementPool
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


def create_routes(
    scope: PlacementScope,
    namespace: k8s.core.v1.Namespace,
    service: k8s.core.v1.Service,
    keys: PlacementSecrets,
    clients: TargetClientCredentials,
    depends_on: list[pulumi.Resource],
    pool: PlacementPool | None = None,
) -> PlacementRoutes:
    """``pool``: the placement's InferencePool (routing ``inference-aware``): the API routes name it
    as their backend; without one they name the Service (``round-robin``)."""
    ref = scope.cluster.gateway
    edge = scope.cluster.target.edge
    stack = scope.cluster.stack
    model = scope.model.name
    dedicated = gateway.model_hostnames(stack, scope.cluster.name, model)
    shared = gateway.shared_hostnames(stack, scope.cluster.name, model)
    parent = {"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": ref.name, "namespace": ref.namespace}
    service_backend = {"kind": "Service", "name": scope.server_name, "port": naming.SERVER_PORT}
    api_backend = pool.backend_ref if pool is not None else service_backend
    deps: list[pulumi.Resource] = [namespace, service, *depends_on]
    api_deps: list[pulumi.Resource] = [pool.pool] if pool is not None else []

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

    server_key_filter_name = f"{model}-server-key"
    server_key_filter = custom(
        "server-key-filter",
        "gateway.envoyproxy.io/v1alpha1",
        "HTTPRouteFilter",
        server_key_filter_name,
        {
            "credentialInjection": {
                "header": "Authorization",
                "overwrite": True,
                "credential": {"valueRef": {"group": "", "kind": "Secret", "name": keys.api_key_name}},
            }
        },
        keys.api_key,
    )
    inject_server_key = {
        "type": "ExtensionRef",
        "extensionRef": {"group": "gateway.envoyproxy.io", "kind": "HTTPRouteFilter", "name": server_key_filter_name},
    }

    def route(
        suffix: str,
        name: str,
        hostnames: list[str],
        rule: dict[str, Any],
        backend: dict[str, Any],
        *extra: pulumi.Resource,
    ):
        return custom(
            suffix,
            "gateway.networking.k8s.io/v1",
            "HTTPRoute",
            name,
            {"parentRefs": [parent], "hostnames": hostnames, "rules": [{**rule, "backendRefs": [backend]}]},
            *extra,
        )

    api = ai_route(scope, parent, dedicated, keys, [*deps, *api_deps], pool)
    prefixed = route(
        "route-prefixed",
        f"{model}-prefixed",
        shared,
        {
            "matches": [{"path": {"type": "PathPrefix", "value": f"/{model}{API_PATH_PREFIX}"}}],
            "filters": [rewrite(API_PATH_PREFIX), inject_server_key],
            "timeouts": {"request": REQUEST_TIMEOUT},
        },
        api_backend,
        server_key_filter,
        *api_deps,
    )
    health = route(
        "route-health",
        f"{model}-health",
        sorted({*dedicated, *shared}),
        {
            "matches": [{"path": {"type": "Exact", "value": f"/{model}{HEALTH_PATH}"}}],
            "filters": [
                {
                    "type": "URLRewrite",
                    "urlRewrite": {"path": {"type": "ReplaceFullPath", "replaceFullPath": HEALTH_PATH}},
                }
            ],
        },
        service_backend,
    )
    route_ref = {"group": "gateway.networking.k8s.io", "kind": "HTTPRoute"}
    api_refs = [{**route_ref, "name": model}, {**route_ref, "name": f"{model}-prefixed"}]
    allowed = stack.clients_of(model)
    custom(
        "api-security",
        "gateway.envoyproxy.io/v1alpha1",
        "SecurityPolicy",
        model,
        {
            "targetRefs": api_refs,
            "apiKeyAuth": {
                "credentialRefs": [clients.credential_ref],
                "extractFrom": [{"headers": list(gateway.API_KEY_HEADERS)}],
                "forwardClientIDHeader": gateway.CLIENT_ID_HEADER,
                # The client's key stops here: the server gets the server key (HTTPRouteFilter).
                "sanitize": True,
            },
            "authorization": client_authorization(edge.allowed_cidrs, allowed, set(clients.client_ids)),
        },
        api,
        prefixed,
        clients.secret,
        clients.grant,
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
    quotas.create_client_limits(scope, api_refs, allowed, opts=scope.child(depends_on=[*deps, api, prefixed]))
    return PlacementRoutes(
        api=api,
        prefixed=prefixed,
        health=health,
        hostnames=dedicated,
        shared_hostnames=shared,
        health_path=f"/{model}{HEALTH_PATH}",
    )


def client_ids(clients: list[Client], deployed: set[str]) -> list[str]:
    """The forwarded ids (``<client>.<key>``) of ``clients``' keys deployed on this cluster."""
    return [c.key_client_id(k) for c in clients for k in c.active_keys() if c.key_client_id(k) in deployed]


def client_authorization(allowed_cidrs: list[str], clients: list[Client], deployed: set[str]) -> dict[str, Any]:
    """SecurityPolicy ``authorization``: allow a request from an allowed address made with a key of a
    client allowed this model; deny everything else (403). No allowed client: deny all."""
    ids = client_ids(clients, deployed)
    rules = []
    if ids:
        rules.append(
            {
                "name": "allowed-clients",
                "action": "Allow",
                "principal": {
                    "clientCIDRs": list(allowed_cidrs),
                    "headers": [{"name": gateway.CLIENT_ID_HEADER, "values": ids}],
                },
            }
        )
    return {"defaultAction": "Deny", **({"rules": rules} if rules else {})}


TOKEN_COSTS = (
    {"metadataKey": "llm_input_token", "type": "InputToken"},
    {"metadataKey": "llm_output_token", "type": "OutputToken"},
    {"metadataKey": quotas.TOKEN_METADATA_KEY, "type": "TotalToken"},
)
"""What AI Gateway records per request (namespace quotas.TOKEN_METADATA_NAMESPACE); the quotas
charge the total (prompt + completion)."""


def ai_route(
    scope: PlacementScope,
    parent: dict[str, Any],
    hostnames: list[str],
    keys: PlacementSecrets,
    deps: list[pulumi.Resource],
    pool: PlacementPool | None = None,
) -> k8s.apiextensions.CustomResource:
    """The model's ``/v1`` API on its dedicated hostnames through Envoy AI Gateway: to the pool
    (the picker chooses the replica) or, without one, to an AIServiceBackend on the Service."""
    model = scope.model.name
    labels = scope.labels(meta.SERVER)

    def custom(suffix: str, api_version: str, kind: str, spec: dict[str, Any], *extra: pulumi.Resource):
        return k8s.apiextensions.CustomResource(
            f"{scope.name}-{suffix}",
            api_version=api_version,
            kind=kind,
            metadata=meta.metadata(model, scope.namespace, labels),
            spec=spec,
            opts=scope.child(depends_on=[*deps, *extra]),
        )

    if pool is not None:
        key_target = {"group": inference_extension.API_GROUP, "kind": inference_extension.KIND, "name": pool.name}
        # One InferencePool per rule, nothing beside it (the CRD's rule).
        backend_refs = [pool.backend_ref]
        backends: list[pulumi.Resource] = []
    else:
        backend = custom(
            "backend",
            "gateway.envoyproxy.io/v1alpha1",
            "Backend",
            {
                "endpoints": [
                    {
                        "fqdn": {
                            "hostname": f"{scope.server_name}.{scope.namespace}.svc.cluster.local",
                            "port": naming.SERVER_PORT,
                        }
                    }
                ]
            },
        )
        service_backend = custom(
            "ai-backend",
            ai_gateway.API_VERSION,
            "AIServiceBackend",
            {
                "schema": {"name": "OpenAI", "version": API_PATH_PREFIX.strip("/")},
                "backendRef": {"group": "gateway.envoyproxy.io", "kind": "Backend", "name": model},
            },
            backend,
        )
        key_target = {"group": "aigateway.envoyproxy.io", "kind": "AIServiceBackend", "name": model}
        backend_refs = [{"name": model}]
        backends = [service_backend]
    custom(
        "server-key-policy",
        ai_gateway.API_VERSION,
        "BackendSecurityPolicy",
        {
            "targetRefs": [key_target],
            "type": "APIKey",
            "apiKey": {"secretRef": {"group": "", "kind": "Secret", "name": keys.api_key_name}},
        },
        *backends,
        keys.api_key,
    )
    return custom(
        "route-api",
        ai_gateway.API_VERSION,
        "AIGatewayRoute",
        {
            "parentRefs": [parent],
            "hostnames": hostnames,
            "rules": [{"backendRefs": backend_refs, "timeouts": {"request": REQUEST_TIMEOUT}}],
            "llmRequestCosts": [dict(cost) for cost in TOKEN_COSTS],
        },
        *backends,
    )
