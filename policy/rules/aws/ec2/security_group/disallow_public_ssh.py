"""EKS-14: no security group allows SSH from 0.0.0.0/0 or ::/0."""

from policy.props import as_list, get, number
from policy.rules._helpers import cidrs_open
from policy.rules.base import resource_rule


def _covers_ssh(rule) -> bool:
    protocol = str(get(rule, "protocol", get(rule, "ipProtocol", "")) or "")
    if protocol not in ("tcp", "6", "-1", "all"):
        return False
    if protocol in ("-1", "all"):
        return True
    low, high = number(get(rule, "fromPort")), number(get(rule, "toPort"))
    return low is not None and high is not None and low <= 22 <= high


@resource_rule(
    id="EKS-14",
    title="No security group allows SSH from 0.0.0.0/0 or ::/0",
    severity="high",
    category="security",
    types=(
        "aws:ec2/securityGroup:SecurityGroup",
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
        "aws:ec2/securityGroupRule:SecurityGroupRule",
    ),
    remediation="Remove the rule, or restrict its source to specific CIDRs or security groups; use SSM for node access.",
    references=("CKV_AWS_24", "CKV_AWS_100"),
)
def disallow_public_ssh(resource, ctx):
    props = resource.props
    if resource.type == "aws:ec2/securityGroup:SecurityGroup":
        for index, rule in enumerate(as_list(get(props, "ingress"))):
            open_ = cidrs_open(as_list(get(rule, "cidrBlocks")) + as_list(get(rule, "ipv6CidrBlocks")))
            if open_ and _covers_ssh(rule):
                yield f"ingress[{index}] allows port 22 from {open_[0]!r}; expected specific sources"
    elif resource.type == "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule":
        open_ = cidrs_open([get(props, "cidrIpv4"), get(props, "cidrIpv6")])
        if open_ and _covers_ssh(props):
            yield f"ingress allows port 22 from {open_[0]!r}; expected specific sources"
    elif get(props, "type") == "ingress":
        open_ = cidrs_open(as_list(get(props, "cidrBlocks")) + as_list(get(props, "ipv6CidrBlocks")))
        if open_ and _covers_ssh(props):
            yield f"ingress allows port 22 from {open_[0]!r}; expected specific sources"
