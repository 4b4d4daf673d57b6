"""ARMOR-03: Cloud Armor policies rate-limit clients."""

from policy.props import as_list, get
from policy.rules.base import resource_rule


@resource_rule(
    id="ARMOR-03",
    title="Cloud Armor policies rate-limit clients",
    severity="high",
    category="security",
    types=("gcp:compute/securityPolicy:SecurityPolicy",),
    remediation="Add a rule with action 'throttle' (or 'rate_based_ban') and rateLimitOptions {rateLimitThreshold: "
    "{count, intervalSec: 60}, enforceOnKey: 'IP', exceedAction: 'deny(429)'} matching the /v1 paths.",
    references=("custom",),
)
def enable_rate_limit(resource, ctx):
    for rule in as_list(get(resource.props, "rules")):
        limited = get(rule, "action") in ("throttle", "rate_based_ban") and get(
            rule, "rateLimitOptions.rateLimitThreshold.count"
        )
        if limited and get(rule, "preview") is not True:
            return
    yield "no throttle or rate_based_ban rule with rateLimitOptions; expected a rate limit"
