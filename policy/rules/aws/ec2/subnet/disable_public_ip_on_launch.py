"""EKS-11: subnets do not assign public IPs to instances launched in them."""

from policy.rules.base import Expect, value_rule

rule = value_rule(
    Expect("mapPublicIpOnLaunch", equals=False, default=False, insecure=True),
    id="EKS-11",
    title="Subnets do not assign public IPs to instances launched in them",
    severity="medium",
    category="security",
    types=("aws:ec2/subnet:Subnet",),
    remediation="Leave mapPublicIpOnLaunch false; load balancers in public subnets do not need it.",
    references=("CIS EKS 1.7 5.4.3", "CKV_AWS_130"),
)
