"""What an edge rule does, judged by its effect: which request paths a WAF statement or a Cloud
Armor expression matches, which API paths a target routes, and the rate a limit really allows.

Rules read these to check behaviour ("does the rate rule count every routed API path?"),
not the literal values the program writes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from policy.context import PlanContext, Resource
from policy.props import as_list, get, is_map, number
from policy.rules._helpers import HTTP_ROUTE, cidrs_open, redirect_only

RATE_CEILING_PER_MINUTE = 6000
"""Highest per-client limit that still stops a single client: 100 requests a second from one IP
is far above any interactive or batch client of an inference API (a limit above it never fires
before the model servers saturate)."""

CANONICAL_API_PATHS = ("/v1/chat/completions", "/example-model/v1/chat/completions")
"""The gateway's API shape (infra.workloads.gateway): ``/v1/...`` on a model's own hostname,
``/<model>/v1/...`` on the shared one. Used when a target's routes are not in the Plan."""

AWS_DEFAULT_WINDOW_S = 300
"""AWS WAF's rate-based rules count over 300 s unless evaluationWindowSec says otherwise."""


def configured_rate(ctx: PlanContext, resource: Resource) -> float | None:
    """The stack's ``edge.rateLimitPerMinute`` for the target a resource belongs to."""
    target = ctx.settings.target(ctx.target_of(resource))
    value = number(get(target, "edge.rateLimitPerMinute")) if target else None
    return value


def rate_ceiling(ctx: PlanContext, resource: Resource) -> float:
    """The highest per-minute limit a rate rule may allow: the stack's own, never above the ceiling."""
    configured = configured_rate(ctx, resource)
    if configured is None or configured <= 0:
        return RATE_CEILING_PER_MINUTE
    return min(configured, RATE_CEILING_PER_MINUTE)


def routed_api_paths(ctx: PlanContext, resource: Resource) -> list[str]:
    """A sample request path for every API path prefix the resource's target routes (health
    checks excluded), or the canonical API shape when the target has no routes in the Plan."""
    target = ctx.target_of(resource)
    samples: list[str] = []
    for route in ctx.of_type(HTTP_ROUTE):
        if ctx.target_of(route) != target or redirect_only(route):
            continue
        for rule in as_list(get(route.props, "spec.rules")):
            if not as_list(get(rule, "backendRefs")):
                continue
            matches = as_list(get(rule, "matches")) or [{}]
            for match in matches:
                kind = str(get(match, "path.type") or "PathPrefix")
                value = str(get(match, "path.value") or "/")
                if "/v1" not in value and value != "/":
                    continue  # health and other non-API paths
                if kind == "Exact":
                    samples.append(value)
                elif kind == "PathPrefix":
                    samples.append(value.rstrip("/") + "/chat/completions")
    if not samples:
        samples = list(CANONICAL_API_PATHS)
    if "/chat/completions" in samples:  # a catch-all route: the API shapes it serves
        samples.remove("/chat/completions")
        samples.extend(CANONICAL_API_PATHS)
    return sorted(set(samples))


def covers_an_address_family(cidrs: list[str]) -> bool:
    """Does a list of CIDRs cover all of IPv4 or all of IPv6 (``0.0.0.0/1`` + ``128.0.0.0/1`` too)?"""
    return bool(cidrs_open(cidrs))


# ---------------------------------------------------------------------------
# AWS WAFv2 statements
# ---------------------------------------------------------------------------


def _transform(value: str, statement: Mapping[str, Any]) -> str:
    for step in as_list(get(statement, "textTransformations")):
        kind = str(get(step, "type") or "NONE")
        if kind == "LOWERCASE":
            value = value.lower()
        elif kind in ("URL_DECODE", "URL_DECODE_UNI"):
            from urllib.parse import unquote

            value = unquote(value)
    return value


def waf_matches_path(statement: Any, path: str) -> bool:
    """Does a WAFv2 statement match a request to ``path`` (whatever its other fields hold)?

    Only the URI path is known, so a statement on any other field (a header, the body, a
    country) is taken as not matching: it does not reliably select that request.
    """
    if not is_map(statement):
        return False
    if "byteMatchStatement" in statement:
        inner = statement["byteMatchStatement"]
        if get(inner, "fieldToMatch.uriPath") is None:
            return False
        needle = str(get(inner, "searchString") or "")
        value = _transform(path, inner)
        constraint = str(get(inner, "positionalConstraint") or "")
        if constraint == "EXACTLY":
            return value == needle
        if constraint == "STARTS_WITH":
            return value.startswith(needle)
        if constraint == "ENDS_WITH":
            return value.endswith(needle)
        if constraint == "CONTAINS":
            return needle in value
        if constraint == "CONTAINS_WORD":
            return bool(re.search(rf"(^|[^A-Za-z0-9_]){re.escape(needle)}([^A-Za-z0-9_]|$)", value))
        return False
    if "regexMatchStatement" in statement:
        inner = statement["regexMatchStatement"]
        if get(inner, "fieldToMatch.uriPath") is None:
            return False
        try:
            return bool(re.search(str(get(inner, "regexString") or "(?!)"), _transform(path, inner)))
        except re.error:
            return False
    if "orStatement" in statement:
        return any(waf_matches_path(s, path) for s in as_list(get(statement, "orStatement.statements")))
    if "andStatement" in statement:
        parts = as_list(get(statement, "andStatement.statements"))
        return bool(parts) and all(waf_matches_path(s, path) for s in parts)
    if "notStatement" in statement:
        inner = get(statement, "notStatement.statement")
        # NOT(a statement on another field) is as unknown as the field itself.
        return _only_uri_path(inner) and not waf_matches_path(inner, path)
    return False


def _only_uri_path(statement: Any) -> bool:
    if not is_map(statement):
        return False
    for key in ("byteMatchStatement", "regexMatchStatement"):
        if key in statement:
            return get(statement, (key, "fieldToMatch", "uriPath")) is not None
    for key in ("orStatement", "andStatement"):
        if key in statement:
            return all(_only_uri_path(s) for s in as_list(get(statement, (key, "statements"))))
    if "notStatement" in statement:
        return _only_uri_path(get(statement, "notStatement.statement"))
    return False


def waf_matches_everything(statement: Any) -> bool:
    """Does a statement match every request (NOT of something that never matches, a catch-all
    regex, a zero-length prefix)? Used to spot allow-all rules."""
    if not is_map(statement):
        return True
    probes = ("/", "/v1/chat/completions", "/x/v1/completions", "/admin", "/health")
    if _only_uri_path(statement):
        return all(waf_matches_path(statement, p) for p in probes)
    if "ipSetReferenceStatement" in statement or "geoMatchStatement" in statement:
        return False
    if "orStatement" in statement:
        return any(waf_matches_everything(s) for s in as_list(get(statement, "orStatement.statements")))
    return False


def waf_rule_action(rule: Mapping[str, Any]) -> str | None:
    """'allow', 'block', 'count', 'captcha' or 'challenge' of a plain (non-group) rule."""
    action = get(rule, "action")
    if not is_map(action):
        return None
    for kind in ("allow", "block", "count", "captcha", "challenge"):
        if kind in action:
            return kind
    return None


def per_minute(limit: Any, window_s: Any) -> float | None:
    value = number(limit)
    if value is None:
        return None
    window = number(window_s) or AWS_DEFAULT_WINDOW_S
    return value * 60.0 / window


# ---------------------------------------------------------------------------
# Cloud Armor expressions
# ---------------------------------------------------------------------------

_CEL_PATH = re.compile(r"request\.path\.(matches|startsWith|endsWith|contains)\(\s*(['\"])(.*?)\2\s*\)")


def armor_matches_path(rule: Mapping[str, Any], path: str) -> bool:
    """Does a Cloud Armor rule's match select a request to ``path`` from any client?

    ``config.srcIpRanges ['*']`` matches every request; a CEL expression made only of
    ``request.path`` calls joined by ``||`` is evaluated; anything else (a header, an
    origin region, a conjunction) is taken as not selecting every such request.
    """
    ranges = [str(r) for r in as_list(get(rule, "match.config.srcIpRanges"))]
    if ranges:
        return "*" in ranges or covers_an_address_family(ranges)
    expression = str(get(rule, "match.expr.expression") or "").strip()
    if not expression:
        return False
    alternatives = [a.strip() for a in expression.split("||")]
    for alternative in alternatives:
        if alternative == "true":
            return True
        call = _CEL_PATH.fullmatch(alternative)
        if not call:
            continue
        method, value = call.group(1), call.group(3).replace("\\\\", "\\")
        if method == "matches":
            try:
                if re.search(value, path):  # CEL matches() is an unanchored RE2 search
                    return True
            except re.error:
                continue
        elif {"startsWith": path.startswith, "endsWith": path.endswith, "contains": path.__contains__}[method](value):
            return True
    return False


def armor_matches_everything(rule: Mapping[str, Any]) -> bool:
    probes = ("/", "/v1/chat/completions", "/x/v1/completions", "/admin", "/health")
    return all(armor_matches_path(rule, p) for p in probes)
