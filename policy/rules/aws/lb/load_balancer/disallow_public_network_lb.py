"""NET-11: only the edge's application load balancer faces the internet (no public network or classic LBs)."""

from policy.props import get
from policy.rules._load_balancers import AWS_LOAD_BALANCER_TYPES, is_application, is_internal
from policy.rules.base import resource_rule

CLASSIC_ELB = "aws:elb/loadBalancer:LoadBalancer"
GCP_FORWARDING_RULE = "gcp:compute/forwardingRule:ForwardingRule"


@resource_rule(
    id="NET-11",
    title="Only the edge's application load balancer faces the internet (no public network or classic LBs)",
    severity="high",
    category="security",
    types=(*AWS_LOAD_BALANCER_TYPES, CLASSIC_ELB, GCP_FORWARDING_RULE),
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
    if is_internal(props):
        return
    if resource.type == CLASSIC_ELB:
        yield "a classic load balancer faces the internet (no WAF, no TLS policy); expected internal: true"
        return
    if not is_application(props):
        kind = get(props, "loadBalancerType")
        yield f"an internet-facing {kind} load balancer passes traffic around the WAF; expected internal: true"
