"""WAF-03: web ACLs rate-limit clients on the inference paths."""

from policy.props import as_list, fmt, get
from policy.rules._edge import (
    RATE_CEILING_PER_MINUTE,
    per_minute,
    rate_ceiling,
    routed_api_paths,
    waf_matches_path,
    waf_rule_action,
)
from policy.rules.base import resource_rule

SPOOFABLE_KEYS = ("FORWARDED_IP",)
"""Behind the ALB, WAF sees the client's own address as IP; FORWARDED_IP reads a header the client
writes, so every request can claim a new client. CONSTANT counts every client together."""


def _key_problem(rate) -> str | None:
    key = str(get(rate, "aggregateKeyType") or "IP")
    if key == "IP":
        return None
    if key == "CUSTOM_KEYS" and any(get(k, "ip") is not None for k in as_list(get(rate, "customKeys"))):
        return None
    if key in SPOOFABLE_KEYS:
        return f"aggregates on {key} (a header clients write)"
    return f"aggregates on {key} (not each client's own address)"


@resource_rule(
    id="WAF-03",
    title="Web ACLs rate-limit clients on the inference paths",
    severity="high",
    category="security",
    types=("aws:wafv2/webAcl:WebAcl",),
    remediation="Add a rule with action {block: {}} and statement.rateBasedStatement {limit at most the stack's "
    f"edge.rateLimitPerMinute (and {RATE_CEILING_PER_MINUTE}/min) per evaluation window, aggregateKeyType 'IP', "
    "scopeDownStatement matching every routed API path: '/v1/...' and '/<model>/v1/...'}.",
    references=("custom",),
)
def enable_rate_limit(resource, ctx):
    paths = routed_api_paths(ctx, resource)
    ceiling = rate_ceiling(ctx, resource)
    covered: set[str] = set()
    candidates, too_high, keyed = 0, [], []
    for rule in as_list(get(resource.props, "rules")):
        rate = get(rule, "statement.rateBasedStatement")
        if not rate or waf_rule_action(rule) not in ("block", "captcha", "challenge"):
            continue
        problem = _key_problem(rate)
        if problem:
            keyed.append(f"rule {get(rule, 'name')!r} {problem}; expected aggregateKeyType 'IP'")
            continue
        candidates += 1
        limit = per_minute(get(rate, "limit"), get(rate, "evaluationWindowSec"))
        if limit is None or limit > ceiling:
            too_high.append(f"rule {get(rule, 'name')!r} allows {fmt(limit)} requests/min per client")
            continue
        scope = get(rate, "scopeDownStatement")
        covered.update(p for p in paths if scope is None or waf_matches_path(scope, p))
    if not candidates:
        yield from keyed
        yield "no blocking per-client rateBasedStatement rule; expected a rate-based rule on the inference paths"
        return
    for message in too_high:
        yield f"{message}; expected at most {fmt(ceiling)} (edge.rateLimitPerMinute, ceiling {RATE_CEILING_PER_MINUTE})"
    missed = [p for p in paths if p not in covered]
    if missed and not too_high:
        yield f"no blocking rate-based rule counts requests to {missed}; expected its scope-down to match every API path"
