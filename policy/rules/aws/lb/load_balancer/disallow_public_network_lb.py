"""NET-11: only the edge's application load balancer faces the internet (no public network or classic LBs)."""

from policy.props import get
from policy.rules.base import resource_rule

AWS_LB = "aws:lb/loadBalancer:LoadBalancer"
AWS_ALB_ALIAS = "aws:alb/loadBalancer:LoadBalancer"
CLASSIC_ELB = "aws:elb/loadBalancer:LoadBalancer"
GCP_FORWARDING_RULE = "gcp:compute/forwardingRule:ForwardingRule"


@resource_rule(
    id="NET-11",
    title="Only the edge's application load balancer faces the internet (no public network or classic LBs)",
    severity="high",
    category="security",
    types=(AWS_LB, AWS_ALB_ALIAS, CLASSIC_ELB, GCP_FORWARDING_RULE),
    remediation="Serve the internet through the edge's HTTPS application load balancer (TLS, WAF, then the "
    "Gateway's API key); make other load balancers internal (internal: true, loadBalancingScheme INTERNAL).",
    references=("CKV_AWS_127", "custom"),
)
def disallow_public_network_lb(resource, ctx):
    props = resource.props
    if resource.type == GCP_FORWARDING_RULE:
        scheme = str(get(props, "loadBalancingScheme") or "EXTERNAL")
        if scheme.startswith("EXTERNAL"):
            yield f"loadBalancingScheme is {scheme!r} (a public passthrough load balancer); expected INTERNAL"
        return
    if get(props, "internal") in (True, "true"):
        return
    if resource.type == CLASSIC_ELB:
        yield "a classic load balancer faces the internet (no WAF, no TLS policy); expected internal: true"
        return
    kind = str(get(props, "loadBalancerType") or "application")
    if kind != "application":
        yield f"an internet-facing {kind} load balancer passes traffic around the WAF; expected internal: true"
