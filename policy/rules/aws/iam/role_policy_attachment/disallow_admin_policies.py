"""EKS-17: no IAM role, user or group gets an administrator or full-access managed policy."""

import re

from policy.props import as_list, get
from policy.rules.base import resource_rule

BROAD = re.compile(r":policy/(AdministratorAccess|PowerUserAccess|IAMFullAccess|[A-Za-z0-9]+FullAccess)$")


@resource_rule(
    id="EKS-17",
    title="No IAM role, user or group gets an administrator or full-access managed policy",
    severity="high",
    category="security",
    types=(
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
        "aws:iam/userPolicyAttachment:UserPolicyAttachment",
        "aws:iam/groupPolicyAttachment:GroupPolicyAttachment",
        "aws:iam/policyAttachment:PolicyAttachment",
        "aws:iam/role:Role",
    ),
    remediation="Attach only the policies a role needs: nodes get AmazonEKSWorkerNodePolicy, AmazonEKS_CNI_Policy and "
    "AmazonEC2ContainerRegistryPullOnly; workloads get scoped inline policies through Pod Identity.",
    references=("CIS EKS 1.7 5.1.3", "CKV_AWS_274"),
)
def disallow_admin_policies(resource, ctx):
    if resource.type == "aws:iam/role:Role":
        for arn in as_list(get(resource.props, "managedPolicyArns")):
            if BROAD.search(str(arn)):
                yield f"managedPolicyArns has {str(arn)!r}; expected a least-privilege policy"
        return
    arn = str(get(resource.props, "policyArn") or "")
    if BROAD.search(arn):
        yield f"policyArn is {arn!r}; expected a least-privilege policy"
