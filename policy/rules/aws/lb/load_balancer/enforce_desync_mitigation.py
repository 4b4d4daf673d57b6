"""ALB-04: application load balancers mitigate HTTP desync (defensive or strictest)."""

from policy.props import get
from policy.rules.base import Expect, value_rule


def _application(resource, ctx) -> bool:
    return get(resource.props, "loadBalancerType", "application") == "application"


rule = value_rule(
    Expect("desyncMitigationMode", one_of=("defensive", "strictest"), default="defensive", insecure="monitor"),
    applies=_application,
    id="ALB-04",
    title="Application load balancers mitigate HTTP desync (defensive or strictest)",
    severity="medium",
    category="security",
    types=("aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer"),  # and its aws.alb alias
    remediation="Leave desyncMitigationMode unset ('defensive') or set 'strictest'.",
    references=("CKV_AWS_328",),
)
