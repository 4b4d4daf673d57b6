"""ALB-03: application load balancers drop invalid HTTP headers."""

from policy.props import get
from policy.rules.base import Expect, value_rule


def _application(resource, ctx) -> bool:
    return get(resource.props, "loadBalancerType", "application") == "application"


rule = value_rule(
    Expect("dropInvalidHeaderFields", equals=True, insecure=False),
    applies=_application,
    id="ALB-03",
    title="Application load balancers drop invalid HTTP headers",
    severity="medium",
    category="security",
    types=("aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer"),  # and its aws.alb alias
    remediation="Set dropInvalidHeaderFields true.",
    references=("CKV_AWS_131",),
)
