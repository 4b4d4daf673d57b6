"""EKS-14: no security group allows SSH from the internet."""

from policy.rules._network import SG_TYPES, exposed_ingress, port_in
from policy.rules.base import resource_rule


@resource_rule(
    id="EKS-14",
    title="No security group allows SSH from the internet",
    severity="high",
    category="security",
    types=SG_TYPES,
    remediation="Remove the rule, or restrict its source to specific CIDRs or security groups; use SSM for node access.",
    references=("CKV_AWS_24", "CKV_AWS_100"),
)
def disallow_public_ssh(resource, ctx):
    for ingress, internet in exposed_ingress(ctx, resource):
        if port_in(ingress, 22):
            yield f"{ingress.where} allows port 22 from {internet!r}; expected specific sources"
