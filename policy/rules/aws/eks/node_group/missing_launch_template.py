"""EKS-09: managed node groups use a launch template (where IMDSv2 and disks are set)."""

from policy.rules.base import Expect, value_rule

rule = value_rule(
    Expect("launchTemplate", present=True, insecure={}),
    id="EKS-09",
    title="Managed node groups use a launch template (where IMDSv2 and disks are set)",
    severity="medium",
    category="security",
    types=("aws:eks/nodeGroup:NodeGroup",),
    remediation="Create an aws.ec2.LaunchTemplate with IMDSv2 and encrypted volumes and set launchTemplate = {id, version}.",
    references=("CKV_AWS_341",),
)
