"""WAF-05: web ACLs allow no request before their managed rule groups inspect it."""

from policy.props import as_list, get, number
from policy.rules._edge import waf_matches_everything, waf_rule_action
from policy.rules.base import resource_rule


@resource_rule(
    id="WAF-05",
    title="Web ACLs allow no request before their managed rule groups inspect it",
    severity="high",
    category="security",
    types=("aws:wafv2/webAcl:WebAcl",),
    remediation="Give the managed rule groups the lowest priorities; put allow rules (allow-lists, health checks) "
    "after them, and never an allow rule that matches every request.",
    references=("custom",),
    doc="https://docs.aws.amazon.com/waf/latest/developerguide/web-acl-processing-order.html",
)
def disallow_allow_before_managed_rules(resource, ctx):
    rules = sorted(as_list(get(resource.props, "rules")), key=lambda r: number(get(r, "priority")) or 0.0)
    groups = [
        r for r in rules if get(r, "statement.managedRuleGroupStatement") and get(r, "overrideAction.none") is not None
    ]
    first_group = min((number(get(r, "priority")) or 0.0 for r in groups), default=None)
    for rule in rules:
        if waf_rule_action(rule) != "allow":
            continue
        priority = number(get(rule, "priority")) or 0.0
        name = get(rule, "name")
        if waf_matches_everything(get(rule, "statement")):
            yield f"rule {name!r} (priority {priority:g}) allows every request; expected no allow-all rule"
        elif first_group is not None and priority < first_group:
            yield (
                f"rule {name!r} (priority {priority:g}) allows requests before the managed rule groups "
                f"(priority {first_group:g}); expected allow rules after them"
            )
