"""WAF-02: web ACLs block with AWS managed rule groups: Common, KnownBadInputs, IP reputation."""

from policy.props import as_list, get
from policy.rules.base import resource_rule

REQUIRED = (
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesAmazonIpReputationList",
)


@resource_rule(
    id="WAF-02",
    title="Web ACLs block with AWS managed rule groups: Common, KnownBadInputs, IP reputation",
    severity="high",
    category="security",
    types=("aws:wafv2/webAcl:WebAcl",),
    remediation="Add rules whose statement.managedRuleGroupStatement is {vendorName: 'AWS', name: <group>} for each "
    "of the three groups, with overrideAction {none: {}} (not count).",
    references=("CKV2_AWS_76", "CKV_AWS_192"),
)
def enable_managed_rule_groups(resource, ctx):
    blocking, counting = set(), set()
    for rule in as_list(get(resource.props, "rules")):
        group = get(rule, "statement.managedRuleGroupStatement.name")
        if not group:
            continue
        (counting if get(rule, "overrideAction.count") is not None else blocking).add(group)
    for group in REQUIRED:
        if group in counting and group not in blocking:
            yield f"managed rule group {group!r} only counts (overrideAction count); expected overrideAction none"
        elif group not in blocking:
            yield f"managed rule group {group!r} is missing; expected it in rules"
