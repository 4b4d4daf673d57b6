"""EKS-07: node launch templates require IMDSv2 with a hop limit of 1."""

from policy.rules.base import Expect, value_rule

rule = value_rule(
    Expect("metadataOptions.httpTokens", equals="required", insecure="optional"),
    Expect("metadataOptions.httpPutResponseHopLimit", equals=1, insecure=2),
    id="EKS-07",
    title="Node launch templates require IMDSv2 with a hop limit of 1",
    severity="high",
    category="security",
    types=("aws:ec2/launchTemplate:LaunchTemplate",),
    remediation="Set metadataOptions = {httpEndpoint: 'enabled', httpTokens: 'required', httpPutResponseHopLimit: 1} "
    "so pods cannot reach the node role's credentials.",
    references=("CKV_AWS_79", "CKV_AWS_341"),
)
