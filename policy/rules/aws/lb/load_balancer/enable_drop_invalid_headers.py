"""ALB-03: application load balancers drop invalid HTTP headers."""

from policy.rules._load_balancers import AWS_LOAD_BALANCER_TYPES, is_application
from policy.rules.base import Expect, value_rule


def _application(resource, ctx) -> bool:
    return is_application(resource.props)


rule = value_rule(
    Expect("dropInvalidHeaderFields", equals=True, insecure=False),
    applies=_application,
    id="ALB-03",
    title="Application load balancers drop invalid HTTP headers",
    severity="medium",
    category="security",
    types=AWS_LOAD_BALANCER_TYPES,
    remediation="Set dropInvalidHeaderFields true.",
    references=("CKV_AWS_131",),
)
