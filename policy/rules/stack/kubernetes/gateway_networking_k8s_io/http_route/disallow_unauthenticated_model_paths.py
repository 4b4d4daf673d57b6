"""NET-08: routes reach a model server only on /v1 behind an API key, or on /health."""

import re

from policy.props import as_list, get, is_map
from policy.rules._helpers import EG, GATEWAY, HTTP_ROUTE, object_name, policies_targeting
from policy.rules._network import SERVICE, model_server_services, selects_model_server
from policy.rules._pools import POOL
from policy.rules.base import Violation, stack_rule

OTHER_ROUTES = (
    "kubernetes:gateway.networking.k8s.io/v1:GRPCRoute",
    "kubernetes:gateway.networking.k8s.io/v1alpha2:TCPRoute",
    "kubernetes:gateway.networking.k8s.io/v1alpha2:TLSRoute",
    "kubernetes:gateway.networking.k8s.io/v1alpha2:UDPRoute",
    "kubernetes:gateway.networking.k8s.io/v1alpha3:TLSRoute",
)
"""Routes that carry no HTTP path: to a model server they bypass the path and key checks."""
INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"


def _model_server_pools(ctx) -> set[tuple[str, str, str]]:
    """(cluster, namespace, name) of every InferencePool whose selector picks a model-server pod: a route
    to such a pool reaches the model servers as surely as one to their Service."""
    out = set()
    for pool in ctx.of_type(POOL):
        selector = get(pool.props, "spec.selector")
        if is_map(selector) and "matchLabels" not in selector and "matchExpressions" not in selector:
            selector = {"matchLabels": selector}  # v1alpha2 pools: a plain label map
        if is_map(selector) and selector and selects_model_server(ctx, pool, selector):
            out.add((ctx.cluster_key(pool), get(pool.props, "metadata.namespace"), str(get(pool.props, "metadata.name"))))
    return out


def _server_backends(rule, cluster, namespace, servers, pools) -> list[str]:
    """Names of the rule's backends that are model servers (their Service or their InferencePool)."""
    hits = []
    for b in as_list(get(rule, "backendRefs")):
        key = (cluster, get(b, "namespace") or namespace, str(get(b, "name")))
        kind = get(b, "kind", "Service")
        if (kind == "Service" and key in servers) or (kind == "InferencePool" and key in pools):
            hits.append(key[2])
    return hits


def _authenticates(policy) -> bool:
    """Does a SecurityPolicy authenticate callers (a feature with something in it: keys, providers, users)?"""
    spec = get(policy.props, "spec") or {}
    if as_list(get(spec, "apiKeyAuth.credentialRefs")) or as_list(get(spec, "jwt.providers")):
        return True
    if get(spec, "basicAuth.users") or get(spec, "oidc.provider"):
        return True
    return is_map(get(spec, "extAuth")) and bool(get(spec, "extAuth.grpc") or get(spec, "extAuth.http"))


def _parent_gateways(ctx, route):
    namespace = get(route.props, "metadata.namespace")
    for parent in as_list(get(route.props, "spec.parentRefs")):
        if get(parent, "kind", "Gateway") != "Gateway":
            continue
        for gateway in ctx.of_type(GATEWAY):
            if (
                ctx.cluster_key(gateway) == ctx.cluster_key(route)
                and object_name(gateway) == get(parent, "name")
                and get(gateway.props, "metadata.namespace") == (get(parent, "namespace") or namespace)
            ):
                yield gateway


def _authenticated(ctx, route) -> bool:
    if any(_authenticates(p) for p in policies_targeting(ctx, "SecurityPolicy", route, "HTTPRoute")):
        return True
    return any(
        _authenticates(p)
        for gateway in _parent_gateways(ctx, route)
        for p in policies_targeting(ctx, "SecurityPolicy", gateway, "Gateway")
    )


def _backend_path(match, filters) -> tuple[str, str]:
    """(type, value) of the path the backend receives for a match, after URLRewrite filters."""
    kind = str(get(match, "path.type") or "PathPrefix")
    value = str(get(match, "path.value") or "/")
    for f in filters:
        if get(f, "type") != "URLRewrite":
            continue
        rewrite = get(f, "urlRewrite.path") or {}
        if get(rewrite, "type") == "ReplaceFullPath":
            return "Exact", str(get(rewrite, "replaceFullPath") or "/")
        if get(rewrite, "type") == "ReplacePrefixMatch" and kind == "PathPrefix":
            return "PathPrefix", str(get(rewrite, "replacePrefixMatch") or "/")
    return kind, value


def _classify(kind: str, value: str) -> str:
    """'api' (under /v1), 'health' (/health) or 'other' (any other vLLM endpoint, or all of them)."""
    if kind == "RegularExpression":
        return "api" if value.startswith(("^/v1/", "/v1/")) and ".*" not in value.split("/v1/", 1)[0] else "other"
    path = value.rstrip("/") or "/"
    if path == "/v1" or path.startswith("/v1/"):
        return "api"
    if kind in ("Exact", "PathPrefix") and re.fullmatch(r"/([^/]+/)?health", path):
        return "health"  # vLLM's /health (or a /<model>/health the backend answers 404 to)
    return "other"


def _bypassing_routes(ctx, servers):
    """Ingresses and non-HTTP routes whose backend is a model server: no API key, no path check."""
    for route in ctx.of_type(*OTHER_ROUTES, INGRESS):
        cluster, namespace = ctx.cluster_key(route), get(route.props, "metadata.namespace")
        if route.type == INGRESS:
            backends = [get(route.props, "spec.defaultBackend.service.name")] + [
                get(p, "backend.service.name")
                for rule in as_list(get(route.props, "spec.rules"))
                for p in as_list(get(rule, "http.paths"))
            ]
        else:
            backends = [
                get(b, "name")
                for rule in as_list(get(route.props, "spec.rules"))
                for b in as_list(get(rule, "backendRefs"))
                if get(b, "kind", "Service") == "Service" and not get(b, "namespace")
            ]
        hits = sorted({str(b) for b in backends if b and (cluster, namespace, str(b)) in servers})
        if hits:
            kind = route.type.rsplit(":", 1)[-1]
            yield Violation(
                f"{kind} {object_name(route)!r} sends traffic to model server {hits[0]!r} around the Gateway's "
                "HTTPRoutes (no API key, every path); expected an HTTPRoute on /v1 behind an API key",
                route.urn,
            )


@stack_rule(
    id="NET-08",
    title="Routes reach a model server only on /v1 behind an API key, or on /health",
    severity="critical",
    category="security",
    types=(HTTP_ROUTE, SERVICE, POOL, EG + "SecurityPolicy", GATEWAY, INGRESS, *OTHER_ROUTES),
    remediation="Match only PathPrefix /v1 (or /<model>/v1 rewritten to /v1) with an Envoy Gateway SecurityPolicy "
    "apiKeyAuth on the route or its Gateway, plus Exact /health; vLLM also serves /invocations, /tokenize, "
    "/detokenize, /pooling, /score, /rerank and /metrics without a key.",
    references=("custom",),
    doc="https://docs.vllm.ai/en/latest/serving/openai_compatible_server.html",
)
def disallow_unauthenticated_model_paths(ctx):
    servers = model_server_services(ctx)
    pools = _model_server_pools(ctx)
    yield from _bypassing_routes(ctx, servers)
    for route in ctx.of_type(HTTP_ROUTE):
        cluster, namespace = ctx.cluster_key(route), get(route.props, "metadata.namespace")
        authenticated = None
        for index, rule in enumerate(as_list(get(route.props, "spec.rules"))):
            hits = _server_backends(rule, cluster, namespace, servers, pools)
            if not hits:
                continue
            filters = as_list(get(rule, "filters"))
            for match in as_list(get(rule, "matches")) or [{}]:
                kind, value = _backend_path(match, filters)
                seen = f"{get(match, 'path.type') or 'PathPrefix'} {get(match, 'path.value') or '/'}"
                verdict = _classify(kind, value)
                if verdict == "other":
                    yield Violation(
                        f"rules[{index}] sends {seen} to model server {hits[0]!r} as {kind} {value}; "
                        "expected only /v1 (behind an API key) and Exact /health",
                        route.urn,
                    )
                elif verdict == "api":
                    if authenticated is None:
                        authenticated = _authenticated(ctx, route)
                    if not authenticated:
                        yield Violation(
                            f"rules[{index}] sends {seen} to model server {hits[0]!r} with no API-key SecurityPolicy "
                            f"on HTTPRoute {object_name(route)!r} or its Gateway",
                            route.urn,
                        )
