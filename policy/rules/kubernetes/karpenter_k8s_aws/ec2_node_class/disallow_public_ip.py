"""EKS-12: Karpenter EC2NodeClasses do not give nodes public IP addresses."""

from policy.rules.base import Expect, value_rule

rule = value_rule(
    Expect("spec.associatePublicIPAddress", equals=False, default=False, insecure=True),
    id="EKS-12",
    title="Karpenter EC2NodeClasses do not give nodes public IP addresses",
    severity="high",
    category="security",
    types=("kubernetes:karpenter.k8s.aws/v1:EC2NodeClass",),
    remediation="Remove spec.associatePublicIPAddress (or set it false) and select private subnets only.",
    references=("CIS EKS 1.7 5.4.3", "CKV_AWS_88"),
    doc="https://karpenter.sh/docs/concepts/nodeclasses/#specassociatepublicipaddress",
)
