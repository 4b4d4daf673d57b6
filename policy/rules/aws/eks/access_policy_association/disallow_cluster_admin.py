"""IAM-06: only the configured admin roles get cluster-admin on EKS."""

from policy.props import as_list, get
from policy.rules._policy_documents import admin_role_arns
from policy.rules.base import resource_rule

ADMIN_POLICIES = ("AmazonEKSClusterAdminPolicy", "AmazonEKSAdminPolicy")
ADMIN_GROUPS = ("system:masters",)


@resource_rule(
    id="IAM-06",
    title="Only the configured admin roles get cluster-admin on EKS",
    severity="critical",
    category="security",
    types=("aws:eks/accessPolicyAssociation:AccessPolicyAssociation", "aws:eks/accessEntry:AccessEntry"),
    remediation="Grant AmazonEKSClusterAdminPolicy / AmazonEKSAdminPolicy (or the system:masters group) only to the "
    "roles in the target's adminRoleArns; workloads get AWS permissions through Pod Identity and Kubernetes "
    "permissions through namespaced RBAC.",
    references=("CIS EKS 1.7 4.1.1", "CIS EKS 1.7 5.1.3", "custom"),
    doc="https://docs.aws.amazon.com/eks/latest/userguide/access-policy-permissions.html",
)
def disallow_cluster_admin(resource, ctx):
    principal = str(get(resource.props, "principalArn") or "")
    if principal in admin_role_arns(ctx, resource):
        return
    if resource.type == "aws:eks/accessPolicyAssociation:AccessPolicyAssociation":
        policy = str(get(resource.props, "policyArn") or "")
        name = policy.rsplit("/", 1)[-1]
        if name in ADMIN_POLICIES:
            yield f"{name} is granted to {principal!r}, which is not in adminRoleArns; expected a configured admin role"
    else:
        groups = [g for g in as_list(get(resource.props, "kubernetesGroups")) if g in ADMIN_GROUPS]
        if groups:
            yield f"kubernetesGroups {groups} make {principal!r} cluster-admin; expected only adminRoleArns"
