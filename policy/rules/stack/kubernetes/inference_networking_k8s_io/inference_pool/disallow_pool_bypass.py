"""ROUTE-03: API routes of a model with an InferencePool never bypass the pool."""

import re

from policy.props import as_list, get, selector_matches
from policy.rules._pools import AI_ROUTE, HTTP_ROUTE, POOL, SERVICE, in_place, place, where
from policy.rules.base import Violation, stack_rule

HEALTH = re.compile(r"(^|/)health$")


def _health_only(rule) -> bool:
    """A rule that only matches exact ``.../health`` paths (the unauthenticated health check)."""
    matches = as_list(get(rule, "matches"))
    return bool(matches) and all(
        get(m, "path.type") == "Exact" and HEALTH.search(str(get(m, "path.value") or "")) for m in matches
    )


@stack_rule(
    id="ROUTE-03",
    title="API routes of a model with an InferencePool never bypass the pool",
    severity="high",
    category="reliability",
    types=(POOL, HTTP_ROUTE, AI_ROUTE, SERVICE),
    remediation="Point the API route's backendRefs at the InferencePool (group inference.networking.k8s.io, kind "
    "InferencePool); only the /health route may name the Service.",
    references=("custom",),
)
def disallow_pool_bypass(ctx):
    for pool in ctx.of_type(POOL):
        key = place(ctx, pool)
        selector = get(pool.props, "spec.selector") or {}
        bypassing = {
            get(s.props, "metadata.name")
            for s in in_place(ctx, SERVICE, key)
            if get(s.props, "spec.selector")
            and selector_matches({"matchLabels": get(s.props, "spec.selector")}, get(selector, "matchLabels") or {})
        }
        for type_ in (HTTP_ROUTE, AI_ROUTE):
            for route in in_place(ctx, type_, key):
                for ri, rule in enumerate(as_list(get(route.props, "spec.rules"))):
                    if _health_only(rule):
                        continue
                    for ref in as_list(get(rule, "backendRefs")):
                        kind = get(ref, "kind") or ("AIServiceBackend" if type_ == AI_ROUTE else "Service")
                        if kind == "InferencePool":
                            continue
                        if kind == "AIServiceBackend" or (kind == "Service" and get(ref, "name") in bypassing):
                            yield Violation(
                                f"{type_.rsplit(':', 1)[-1]} {where(route)} rules[{ri}] sends API traffic to {kind} "
                                f"{get(ref, 'name')!r}, around InferencePool {where(pool)}",
                                route.urn,
                            )
