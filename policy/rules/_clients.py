"""API clients (``llm-fleet:clients``) and which client keys each gateway route accepts.

A route's accepted clients come from its SecurityPolicy: the client ids of the Secrets its
``apiKeyAuth.credentialRefs`` name (the Plan redacts Secret data, so the ids are read from the
``llm-fleet.dev/secret-keys`` annotation and each key's origin from ``llm-fleet.dev/key-sources``),
narrowed by the ``authorization`` rules that match the forwarded client-id header.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from policy.context import PlanContext, Resource
from policy.props import as_list, get
from policy.rules._helpers import EG, ROUTE_TYPES, object_name, policies_targeting, serves_api

SECRET = "kubernetes:core/v1:Secret"  # noqa: S105 - a resource type
SECRET_KEYS_ANNOTATION = "llm-fleet.dev/secret-keys"  # noqa: S105 - an annotation name
KEY_SOURCES_ANNOTATION = "llm-fleet.dev/key-sources"
UNKNOWN = "?"
"""Source of a key whose origin the Plan does not tell."""


def clients(ctx: PlanContext) -> list[Mapping[str, Any]]:
    return [c for c in as_list(ctx.settings.raw.get("clients")) if isinstance(get(c, "name"), str)]


def routing(ctx: PlanContext) -> list[Mapping[str, Any]]:
    return list(as_list(ctx.settings.raw.get("routing")))


def _annotation(resource: Resource, key: str) -> str | None:
    value = get(resource.props, ("metadata", "annotations", key))
    return value if isinstance(value, str) else None


def secret_clients(ctx: PlanContext, policy: Resource, ref: Mapping[str, Any]) -> dict[str, str] | None:
    """{client id: key source} of the Secret a credentialRef names; None when the Plan lacks it."""
    namespace = get(ref, "namespace") or get(policy.props, "metadata.namespace")
    for secret in ctx.of_type(SECRET):
        if ctx.cluster_key(secret) != ctx.cluster_key(policy):
            continue
        if object_name(secret) != get(ref, "name") or get(secret.props, "metadata.namespace") != namespace:
            continue
        keys = _annotation(secret, SECRET_KEYS_ANNOTATION)
        if keys is None:
            return None
        try:
            sources = json.loads(_annotation(secret, KEY_SOURCES_ANNOTATION) or "{}")
        except json.JSONDecodeError:
            sources = {}
        return {k: str(sources.get(k, UNKNOWN)) for k in keys.split(",") if k}
    return None


def _allowed_by_authorization(policy: Resource, header: str | None, ids: set[str]) -> set[str]:
    authorization = get(policy.props, "spec.authorization")
    if not authorization:
        return ids
    allowed: set[str] = set()
    for rule in as_list(get(authorization, "rules")):
        if get(rule, "action") != "Allow":
            continue
        matches = [h for h in as_list(get(rule, "principal.headers")) if str(get(h, "name", "")).lower() == header]
        if not matches:
            return ids if not as_list(get(rule, "principal.headers")) else allowed
        for match in matches:
            allowed |= ids & {str(v) for v in as_list(get(match, "values"))}
    if get(authorization, "defaultAction") == "Allow":
        return ids
    return allowed


def accepted_clients(ctx: PlanContext, route: Resource) -> dict[str, str] | None:
    """{client id: key source} a route accepts; None when it cannot be told from the Plan."""
    out: dict[str, str] = {}
    policies = [p for p in policies_targeting(ctx, "SecurityPolicy", route, "HTTPRoute") if get(p.props, "spec.apiKeyAuth")]
    if not policies:
        return None
    for policy in policies:
        header = get(policy.props, "spec.apiKeyAuth.forwardClientIDHeader")
        keys: dict[str, str] = {}
        for ref in as_list(get(policy.props, "spec.apiKeyAuth.credentialRefs")):
            found = secret_clients(ctx, policy, ref)
            if found is None:
                return None
            for cid, source in found.items():
                keys.setdefault(cid, source)  # Envoy Gateway keeps the first Secret's key of a client id
        allowed = _allowed_by_authorization(policy, str(header).lower() if header else None, set(keys))
        out.update({cid: keys[cid] for cid in allowed})
    return out


def api_routes_for(ctx: PlanContext, target: str, hostname: str) -> list[Resource]:
    """API routes (HTTPRoutes, AIGatewayRoutes) of ``target`` that serve ``hostname``."""
    return [
        r
        for r in ctx.of_type(*ROUTE_TYPES)
        if ctx.target_of(r) == target and hostname in as_list(get(r.props, "spec.hostnames")) and serves_api(r)
    ]


__all__ = ["EG", "accepted_clients", "api_routes_for", "clients", "routing"]
