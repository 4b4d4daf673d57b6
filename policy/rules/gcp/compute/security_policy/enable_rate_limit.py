"""ARMOR-03: Cloud Armor policies rate-limit clients."""

from policy.props import as_list, fmt, get, number
from policy.rules._edge import RATE_CEILING_PER_MINUTE, armor_matches_path, rate_ceiling, routed_api_paths
from policy.rules.base import resource_rule

PER_CLIENT_KEYS = {"IP"}
"""The key that limits each client by its own address. ALL (the default) counts every client
together; XFF_IP, USER_IP, HTTP_HEADER and HTTP_COOKIE read what the client writes (a new value per
request escapes the limit); path, region and SNI keys are not clients."""
CLIENT_WRITTEN = {"XFF_IP", "USER_IP", "HTTP_HEADER", "HTTP_COOKIE"}


def _keys(options) -> list[str]:
    configs = [str(get(c, "enforceOnKeyType") or "") for c in as_list(get(options, "enforceOnKeyConfigs"))]
    return configs or [str(get(options, "enforceOnKey") or "ALL")]


@resource_rule(
    id="ARMOR-03",
    title="Cloud Armor policies rate-limit clients",
    severity="high",
    category="security",
    types=("gcp:compute/securityPolicy:SecurityPolicy",),
    remediation="Add a rule with action 'throttle' (or 'rate_based_ban') and rateLimitOptions {rateLimitThreshold: "
    "{count at most edge.rateLimitPerMinute per 60 s}, enforceOnKey: 'IP', exceedAction: 'deny(429)'} whose match "
    "selects every routed API path ('/v1/...' and '/<model>/v1/...'), not in preview.",
    references=("custom",),
)
def enable_rate_limit(resource, ctx):
    paths = routed_api_paths(ctx, resource)
    ceiling = rate_ceiling(ctx, resource)
    covered: set[str] = set()
    candidates, problems = 0, []
    for rule in as_list(get(resource.props, "rules")):
        options = get(rule, "rateLimitOptions")
        count = number(get(options, "rateLimitThreshold.count"))
        if get(rule, "action") not in ("throttle", "rate_based_ban") or not count or get(rule, "preview") is True:
            continue
        candidates += 1
        where = f"rule {fmt(get(rule, 'priority'))}"
        interval = number(get(options, "rateLimitThreshold.intervalSec")) or 60.0
        limit = count * 60.0 / interval
        keys = _keys(options)
        if not any(k in PER_CLIENT_KEYS for k in keys):
            why = "which clients write" if set(keys) & CLIENT_WRITTEN else "not per client"
            problems.append(f"{where} limits on {keys}, {why}; expected enforceOnKey 'IP'")
        elif limit > ceiling:
            problems.append(
                f"{where} allows {fmt(limit)} requests/min per client; expected at most {fmt(ceiling)} "
                f"(edge.rateLimitPerMinute, ceiling {RATE_CEILING_PER_MINUTE})"
            )
        elif not str(get(options, "exceedAction") or "").startswith("deny"):
            problems.append(f"{where} exceedAction is {fmt(get(options, 'exceedAction'))}; expected 'deny(429)'")
        else:
            covered.update(p for p in paths if armor_matches_path(rule, p))
    if not candidates:
        yield "no throttle or rate_based_ban rule with rateLimitOptions; expected a rate limit"
        return
    yield from problems
    missed = [p for p in paths if p not in covered]
    if missed and not problems:
        yield f"no enforced rate limit selects requests to {missed}; expected its match to cover every API path"
