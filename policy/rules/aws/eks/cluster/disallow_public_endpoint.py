"""EKS-01: EKS API endpoint is private, or public only to listed CIDRs."""

from policy.props import as_list, get
from policy.rules._helpers import cidrs_open
from policy.rules.base import resource_rule


@resource_rule(
    id="EKS-01",
    title="EKS API endpoint is private, or public only to listed CIDRs",
    severity="high",
    category="security",
    types=("aws:eks/cluster:Cluster",),
    remediation="Set vpcConfig.endpointPrivateAccess true and endpointPublicAccess false; if the API must be "
    "public, list the operator CIDRs in vpcConfig.publicAccessCidrs (stack key endpointPublicAccessCidrs).",
    references=("CIS EKS 1.7 5.4.1", "CIS EKS 1.7 5.4.2", "CKV_AWS_39", "CKV_AWS_38"),
)
def disallow_public_endpoint(resource, ctx):
    vpc = get(resource.props, "vpcConfig") or {}
    if get(vpc, "endpointPrivateAccess") is not True:
        yield f"vpcConfig.endpointPrivateAccess is {'not set' if get(vpc, 'endpointPrivateAccess') is None else 'false'}; expected true"
    # The EKS API defaults endpointPublicAccess to true and publicAccessCidrs to 0.0.0.0/0.
    if get(vpc, "endpointPublicAccess", True) is not False:
        cidrs = as_list(get(vpc, "publicAccessCidrs"))
        if not cidrs:
            yield "vpcConfig.endpointPublicAccess is true with no publicAccessCidrs (open to 0.0.0.0/0); expected false or a CIDR list"
        elif cidrs_open(cidrs):
            yield f"vpcConfig.publicAccessCidrs contains {cidrs_open(cidrs)[0]!r}; expected specific CIDRs"
