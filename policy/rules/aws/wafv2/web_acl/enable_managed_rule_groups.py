"""WAF-02: web ACLs block with AWS managed rule groups: Common, KnownBadInputs, IP reputation."""

from policy.props import as_list, get, is_map
from policy.rules._edge import routed_api_paths, waf_matches_path
from policy.rules.base import resource_rule

REQUIRED = (
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesAmazonIpReputationList",
)
MAY_COUNT = {
    # SizeRestrictions_BODY blocks request bodies over 8 KB: every long prompt. The gateway
    # bounds body size instead (infra/aws/edge.py WAF_MANAGED_RULE_GROUPS).
    "AWSManagedRulesCommonRuleSet": {"SizeRestrictions_BODY"},
}
"""Rules of a group that may be switched to count, each with the reason."""


def _weakened(group: str, statement) -> list[str]:
    """Rules of a managed group whose action is overridden to something that does not block."""
    out = []
    for override in as_list(get(statement, "ruleActionOverrides")):
        action = get(override, "actionToUse")
        blocks = is_map(action) and any(k in action for k in ("block", "captcha", "challenge"))
        name = str(get(override, "name") or "?")
        if not blocks and name not in MAY_COUNT.get(group, set()):
            out.append(name)
    # The pre-2022 form: excludedRules switch rules to count.
    out += [str(get(r, "name") or "?") for r in as_list(get(statement, "excludedRules"))]
    return out


@resource_rule(
    id="WAF-02",
    title="Web ACLs block with AWS managed rule groups: Common, KnownBadInputs, IP reputation",
    severity="high",
    category="security",
    types=("aws:wafv2/webAcl:WebAcl",),
    remediation="Add rules whose statement.managedRuleGroupStatement is {vendorName: 'AWS', name: <group>} for each "
    "of the three groups, with overrideAction {none: {}} (not count) and no ruleActionOverrides to count or allow "
    "(only Common's SizeRestrictions_BODY may count: prompts are long), and no scopeDownStatement that skips an API "
    "path.",
    references=("CKV2_AWS_76", "CKV_AWS_192"),
)
def enable_managed_rule_groups(resource, ctx):
    blocking, counting, scoped = set(), set(), set()
    for rule in as_list(get(resource.props, "rules")):
        statement = get(rule, "statement.managedRuleGroupStatement")
        group = get(statement, "name")
        if not group:
            continue
        if get(rule, "overrideAction.count") is not None:
            counting.add(group)
            continue
        scope = get(statement, "scopeDownStatement")
        missed = [p for p in routed_api_paths(ctx, resource) if scope is not None and not waf_matches_path(scope, p)]
        if missed and group in REQUIRED:
            yield f"managed rule group {group!r} has a scopeDownStatement that skips {missed}; expected every API path"
            scoped.add(group)
            continue
        blocking.add(group)
        weakened = _weakened(str(group), statement)
        if weakened and group in REQUIRED:
            yield (
                f"managed rule group {group!r} overrides {sorted(weakened)} to count or allow; expected only "
                f"{sorted(MAY_COUNT.get(str(group), set()))}"
            )
    for group in REQUIRED:
        if group in counting and group not in blocking:
            yield f"managed rule group {group!r} only counts (overrideAction count); expected overrideAction none"
        elif group not in blocking and group not in scoped:
            yield f"managed rule group {group!r} is missing; expected it in rules"
