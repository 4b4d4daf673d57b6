"""ALB-04: application load balancers mitigate HTTP desync (defensive or strictest)."""

from policy.rules._load_balancers import AWS_LOAD_BALANCER_TYPES, is_application
from policy.rules.base import Expect, value_rule


def _application(resource, ctx) -> bool:
    return is_application(resource.props)


rule = value_rule(
    Expect("desyncMitigationMode", one_of=("defensive", "strictest"), default="defensive", insecure="monitor"),
    applies=_application,
    id="ALB-04",
    title="Application load balancers mitigate HTTP desync (defensive or strictest)",
    severity="medium",
    category="security",
    types=AWS_LOAD_BALANCER_TYPES,
    remediation="Leave desyncMitigationMode unset ('defensive') or set 'strictest'.",
    references=("CKV_AWS_328",),
)
