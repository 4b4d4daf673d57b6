"""EKS-17: no IAM role gets an administrator or full-access managed policy."""

import re

from policy.props import get
from policy.rules.base import resource_rule

BROAD = re.compile(r":policy/(AdministratorAccess|PowerUserAccess|IAMFullAccess|[A-Za-z0-9]+FullAccess)$")


@resource_rule(
    id="EKS-17",
    title="No IAM role gets an administrator or full-access managed policy",
    severity="high",
    category="security",
    types=("aws:iam/rolePolicyAttachment:RolePolicyAttachment",),
    remediation="Attach only the policies a role needs: nodes get AmazonEKSWorkerNodePolicy, AmazonEKS_CNI_Policy and "
    "AmazonEC2ContainerRegistryPullOnly; workloads get scoped inline policies through Pod Identity.",
    references=("CIS EKS 1.7 5.1.3", "CKV_AWS_274"),
)
def disallow_admin_policies(resource, ctx):
    arn = str(get(resource.props, "policyArn") or "")
    if BROAD.search(arn):
        yield f"policyArn is {arn!r}; expected a least-privilege policy"
