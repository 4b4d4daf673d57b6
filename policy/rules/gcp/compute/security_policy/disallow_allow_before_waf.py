"""ARMOR-04: Cloud Armor policies allow nothing before their WAF rules inspect it."""

from policy.props import as_list, get, number
from policy.rules._edge import armor_matches_everything
from policy.rules.base import resource_rule

DEFAULT_RULE_PRIORITY = 2147483647


def _is_waf(rule) -> bool:
    expression = str(get(rule, "match.expr.expression") or "")
    return str(get(rule, "action") or "").startswith("deny") and "evaluatePreconfigured" in expression


@resource_rule(
    id="ARMOR-04",
    title="Cloud Armor policies allow nothing before their WAF rules inspect it",
    severity="high",
    category="security",
    types=("gcp:compute/securityPolicy:SecurityPolicy",),
    remediation="Give the preconfigured WAF deny rules the lowest priority numbers; put allow and throttle rules "
    "(a throttle allows what conforms) after them, and allow everything only in the default rule (priority "
    f"{DEFAULT_RULE_PRIORITY}).",
    references=("custom",),
    doc="https://cloud.google.com/armor/docs/security-policy-overview#rule-evaluation-order",
)
def disallow_allow_before_waf(resource, ctx):
    rules = as_list(get(resource.props, "rules"))
    waf = [number(get(r, "priority")) for r in rules if _is_waf(r)]
    first_waf = min((p for p in waf if p is not None), default=None)
    for rule in rules:
        action = str(get(rule, "action") or "")
        priority = number(get(rule, "priority"))
        if action not in ("allow", "throttle") or priority is None or get(rule, "preview") is True:
            continue
        if action == "allow" and priority < DEFAULT_RULE_PRIORITY and armor_matches_everything(rule):
            yield f"rule {priority:g} allows every request ahead of the default rule; expected no allow-all rule"
        elif first_waf is not None and priority < first_waf:
            yield (
                f"rule {priority:g} ({action}) lets requests through before the WAF rules (priority {first_waf:g}); "
                "expected it after them"
            )
