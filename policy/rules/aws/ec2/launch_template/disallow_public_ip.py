"""EKS-10: node launch templates do not give nodes public IP addresses."""

from policy.props import as_list, get
from policy.rules.base import resource_rule


@resource_rule(
    id="EKS-10",
    title="Node launch templates do not give nodes public IP addresses",
    severity="high",
    category="security",
    types=("aws:ec2/launchTemplate:LaunchTemplate",),
    remediation="Remove associatePublicIpAddress from networkInterfaces (or set it false); nodes live in private subnets.",
    references=("CIS EKS 1.7 5.4.3", "CKV_AWS_88"),
)
def disallow_public_ip(resource, ctx):
    for index, nic in enumerate(as_list(get(resource.props, "networkInterfaces"))):
        value = get(nic, "associatePublicIpAddress")
        if value is True or value == "true":
            yield f"networkInterfaces[{index}].associatePublicIpAddress is true; expected false"
