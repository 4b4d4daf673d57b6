"""ALB-10: load balancers fail closed when their WAF cannot answer."""

from policy.rules._load_balancers import AWS_LOAD_BALANCER_TYPES
from policy.rules.base import Expect, value_rule

rule = value_rule(
    Expect("enableWafFailOpen", equals=False, default=False, insecure=True),
    id="ALB-10",
    title="Load balancers fail closed when their WAF cannot answer",
    severity="high",
    category="security",
    types=AWS_LOAD_BALANCER_TYPES,
    remediation="Leave enableWafFailOpen unset or false: with it on, the ALB forwards requests unchecked whenever "
    "AWS WAF does not answer.",
    references=("custom",),
    doc="https://docs.aws.amazon.com/elasticloadbalancing/latest/application/application-load-balancers.html",
)
