"""WAF-03: web ACLs rate-limit clients on the inference paths."""

import json

from policy.props import as_list, get, plain
from policy.rules.base import resource_rule


@resource_rule(
    id="WAF-03",
    title="Web ACLs rate-limit clients on the inference paths",
    severity="high",
    category="security",
    types=("aws:wafv2/webAcl:WebAcl",),
    remediation="Add a rule with action {block: {}} and statement.rateBasedStatement {limit, aggregateKeyType: 'IP', "
    "scopeDownStatement: a byteMatchStatement on the URI path '/v1/'} (stack key edge.rateLimitPerMinute).",
    references=("custom",),
)
def enable_rate_limit(resource, ctx):
    for rule in as_list(get(resource.props, "rules")):
        rate = get(rule, "statement.rateBasedStatement")
        if not rate or (get(rule, "action.block") is None and get(rule, "action.captcha") is None):
            continue
        scope = get(rate, "scopeDownStatement")
        if scope is None or "/v1" in json.dumps(plain(scope)):
            return
    yield "no blocking rateBasedStatement rule covering /v1; expected a rate-based rule on the inference paths"
