"""NET-03: cluster API allow-lists in the stack config do not cover the internet."""

from policy.props import as_list
from policy.rules._helpers import cidrs_open
from policy.rules.base import Violation, stack_rule

ADMIN_CIDR_KEYS = {"aws": "endpointPublicAccessCidrs", "gcp": "masterAuthorizedCidrs"}
"""Config keys that open a cluster's control plane to the listed sources."""


@stack_rule(
    id="NET-03",
    title="Cluster API allow-lists in the stack config do not cover the internet",
    severity="high",
    category="security",
    remediation="List the operators' egress CIDRs (VPN, bastion) in endpointPublicAccessCidrs / masterAuthorizedCidrs; "
    "a set of ranges whose union is all of IPv4 or IPv6 (0.0.0.0/1 + 128.0.0.0/1) is the internet too.",
    references=("CIS EKS 1.7 5.4.1", "CKV_AWS_38", "CKV_GCP_20"),
)
def disallow_open_admin_cidrs(ctx):
    for target in ctx.settings.targets:
        key = ADMIN_CIDR_KEYS.get(str(target.get("kind")))
        if not key:
            continue
        internet = cidrs_open(as_list(target.get(key)))
        if internet:
            yield Violation(
                f"targets.{target.get('name')}.{key} contains {internet[0]!r}, the whole internet; expected specific CIDRs"
            )
