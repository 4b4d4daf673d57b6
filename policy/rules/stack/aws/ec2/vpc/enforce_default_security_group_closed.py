"""NET-14: every VPC's default security group is managed and allows no traffic."""

from policy.props import as_list, get
from policy.rules._helpers import refers_to, resource_names
from policy.rules.base import Violation, stack_rule

VPC = "aws:ec2/vpc:Vpc"
DEFAULT_SG = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"


@stack_rule(
    id="NET-14",
    title="Every VPC's default security group is managed and allows no traffic",
    severity="medium",
    category="security",
    types=(VPC, DEFAULT_SG),
    remediation="Declare aws.ec2.DefaultSecurityGroup(vpc_id=<vpc>.id) with no ingress and no egress: left alone, "
    "AWS's default group admits every member to every other and lets all traffic out.",
    references=("CIS AWS 3.0 5.4", "CKV2_AWS_12"),
)
def enforce_default_security_group_closed(ctx):
    groups = ctx.of_type(DEFAULT_SG)
    for group in groups:
        rules = as_list(get(group.props, "ingress")) + as_list(get(group.props, "egress"))
        if rules:
            yield Violation(f"the default security group has {len(rules)} rule(s); expected none", group.urn)
    for vpc in ctx.of_type(VPC):
        names = resource_names(vpc, "id")
        if not any(refers_to(get(g.props, "vpcId"), names) for g in groups):
            yield Violation(f"no {DEFAULT_SG} closes this VPC's default security group", vpc.urn)
