"""NET-01: no security group admits the internet on any port but the edge's 443 and 80."""

from policy.rules._network import SG_TYPES, exposed_ingress
from policy.rules.base import resource_rule


@resource_rule(
    id="NET-01",
    title="No security group admits the internet on any port but the edge's 443 and 80",
    severity="high",
    category="security",
    types=SG_TYPES,
    remediation="Open only 443 (and 80 for the HTTPS redirect) to the internet, on the edge load balancer's group; "
    "reach nodes, kubelets (10250), databases and admin ports from specific CIDRs or security groups.",
    references=("CKV_AWS_24", "CKV_AWS_25", "CKV_AWS_260", "CKV_AWS_277", "CIS AWS 3.0 5.2"),
)
def disallow_public_ingress(resource, ctx):
    for ingress, internet in exposed_ingress(ctx, resource):
        extra = [p for p in ingress.beyond_edge() if p != "tcp 22"]  # SSH alone is EKS-14's finding
        if extra:
            yield f"{ingress.where} admits {internet!r} on {', '.join(extra)}; expected only 443/80 from the internet"
