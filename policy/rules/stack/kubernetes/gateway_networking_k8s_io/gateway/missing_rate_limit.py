"""EDGE-03: every inference route of a gateway is rate-limited per client."""

from policy.props import as_list, fmt, get, number
from policy.rules._edge import RATE_CEILING_PER_MINUTE, rate_ceiling
from policy.rules._helpers import EG, GATEWAY, edge_coverage
from policy.rules.base import Violation, stack_rule

PER_MINUTE = {"Second": 60.0, "Minute": 1.0, "Hour": 1 / 60, "Day": 1 / 1440}


def _request_cost(rule) -> float | None:
    """What one request costs against the rule's budget: 1 unless ``cost.request`` says otherwise;
    None when the cost comes from request metadata (not a count of requests)."""
    cost = get(rule, "cost.request")
    if cost is None:
        return 1.0
    if str(get(cost, "from")) != "Number":
        return None
    value = number(get(cost, "number"))
    return 1.0 if value is None else value


def _rules(policy) -> list:
    """The rules that count requests. A rule whose requests cost a fixed 0 (a token quota, charged
    from the response's token usage) lets any number of requests through, so it is no rate limit."""
    rules = as_list(get(policy.props, "spec.rateLimit.local.rules")) + as_list(
        get(policy.props, "spec.rateLimit.global.rules")
    )
    return [r for r in rules if _request_cost(r) != 0]


def _per_minute(rule) -> float | None:
    requests = number(get(rule, "limit.requests"))
    factor = PER_MINUTE.get(str(get(rule, "limit.unit")))
    cost = _request_cost(rule)
    if requests is None or factor is None or cost is None:
        return None
    return requests * factor / cost


def _too_high(ctx, policy) -> list[tuple[float | None, float]]:
    """(limit, ceiling) of every rule that lets a client through faster than the edge allows."""

    ceiling = rate_ceiling(ctx, policy)
    return [(limit, ceiling) for r in _rules(policy) if (limit := _per_minute(r)) is None or limit > ceiling]


def _limits(policy, ctx=None) -> bool:
    return bool(_rules(policy)) and (ctx is None or not _too_high(ctx, policy))


@stack_rule(
    id="EDGE-03",
    title="Every inference route of a gateway is rate-limited per client",
    severity="high",
    category="security",
    types=(GATEWAY, EG + "BackendTrafficPolicy"),
    remediation="Attach an Envoy Gateway BackendTrafficPolicy with rateLimit rules (per API client or client IP, "
    "at most the stack key edge.rateLimitPerMinute) to each API HTTPRoute or to the Gateway.",
    references=("custom",),
)
def missing_rate_limit(ctx):
    for policy in ctx.of_type(EG + "BackendTrafficPolicy"):
        for limit, ceiling in _too_high(ctx, policy):
            yield Violation(
                f"a rateLimit rule allows {fmt(limit)} requests/min; expected at most {fmt(ceiling)} "
                f"(edge.rateLimitPerMinute, ceiling {RATE_CEILING_PER_MINUTE})",
                policy.urn,
            )
    for route, where in edge_coverage(ctx, "BackendTrafficPolicy", lambda p: _limits(p, ctx)):
        yield Violation(f"{where} has no BackendTrafficPolicy with rateLimit rules within the edge's limit", route.urn)
