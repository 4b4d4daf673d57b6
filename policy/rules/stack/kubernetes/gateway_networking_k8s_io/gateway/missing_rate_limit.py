"""EDGE-03: every inference route of a gateway is rate-limited per client."""

from policy.props import get
from policy.rules._helpers import EG, GATEWAY, edge_coverage
from policy.rules.base import Violation, stack_rule


def _limits(policy) -> bool:
    return bool(get(policy.props, "spec.rateLimit.local.rules") or get(policy.props, "spec.rateLimit.global.rules"))


@stack_rule(
    id="EDGE-03",
    title="Every inference route of a gateway is rate-limited per client",
    severity="high",
    category="security",
    types=(GATEWAY, EG + "BackendTrafficPolicy"),
    remediation="Attach an Envoy Gateway BackendTrafficPolicy with rateLimit rules (per API client or client IP, "
    "stack key edge.rateLimitPerMinute) to each API HTTPRoute or to the Gateway.",
    references=("custom",),
)
def missing_rate_limit(ctx):
    for route, where in edge_coverage(ctx, "BackendTrafficPolicy", _limits):
        yield Violation(f"{where} has no BackendTrafficPolicy with rateLimit rules", route.urn)
