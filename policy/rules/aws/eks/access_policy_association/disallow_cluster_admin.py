"""IAM-06: only the configured admin roles get cluster-admin on EKS."""

from policy.props import as_list, get
from policy.rules._helpers import resource_names
from policy.rules._policy_documents import TRUST_POLICIES, admin_role_arns, documents
from policy.rules.base import resource_rule

ADMIN_POLICIES = ("AmazonEKSClusterAdminPolicy", "AmazonEKSAdminPolicy")
ADMIN_GROUPS = ("system:masters",)
POD_IDENTITY = "aws:eks/podIdentityAssociation:PodIdentityAssociation"


def _is_admin_grant(resource) -> bool:
    if resource.type == "aws:eks/accessPolicyAssociation:AccessPolicyAssociation":
        return str(get(resource.props, "policyArn") or "").rsplit("/", 1)[-1] in ADMIN_POLICIES
    return any(g in ADMIN_GROUPS for g in as_list(get(resource.props, "kubernetesGroups")))


def _workload_roles(ctx) -> set[str]:
    """Role ARNs (and names) that pods or nodes of the stack run as: never an operator's."""

    def build() -> set[str]:
        out = {str(get(a.props, "roleArn")) for a in ctx.of_type(POD_IDENTITY)}
        for role in ctx.of_type("aws:iam/role:Role"):
            for _, statements in documents(role, TRUST_POLICIES):
                if any(st.allows and st.principals("Service") for st in statements):
                    out |= resource_names(role, "name")
        return out

    return ctx.memo("iam:workload-roles", build)


def _cluster_and_aws_auth(resource):
    """Cluster-admin granted around access entries: a ConfigMap-mode cluster, or aws-auth mappings."""
    if resource.type == "aws:eks/cluster:Cluster":
        mode = get(resource.props, "accessConfig.authenticationMode") or "CONFIG_MAP"
        if mode != "API":
            yield f"accessConfig.authenticationMode is {mode!r} (aws-auth ConfigMap mappings grant access no access entry shows); expected 'API'"
        return
    if get(resource.props, "metadata.name") != "aws-auth" or get(resource.props, "metadata.namespace") != "kube-system":
        return
    for key in ("mapRoles", "mapUsers"):
        text = str(get(resource.props, ("data", key)) or "")
        if "system:masters" in text:
            yield f"aws-auth data.{key} maps a principal to system:masters; expected access entries for adminRoleArns only"


@resource_rule(
    id="IAM-06",
    title="Only the configured admin roles get cluster-admin on EKS",
    severity="critical",
    category="security",
    types=(
        "aws:eks/accessPolicyAssociation:AccessPolicyAssociation",
        "aws:eks/accessEntry:AccessEntry",
        "aws:eks/cluster:Cluster",
        "kubernetes:core/v1:ConfigMap",
    ),
    remediation="Grant AmazonEKSClusterAdminPolicy / AmazonEKSAdminPolicy (or the system:masters group) only to the "
    "operator roles in the target's adminRoleArns (named roles, not a whole account, not a role pods or nodes "
    "run as); workloads get AWS permissions through Pod Identity and Kubernetes "
    "permissions through namespaced RBAC.",
    references=("CIS EKS 1.7 4.1.1", "CIS EKS 1.7 5.1.3", "custom"),
    doc="https://docs.aws.amazon.com/eks/latest/userguide/access-policy-permissions.html",
)
def disallow_cluster_admin(resource, ctx):
    if resource.type in ("aws:eks/cluster:Cluster", "kubernetes:core/v1:ConfigMap"):
        yield from _cluster_and_aws_auth(resource)
        return
    principal = str(get(resource.props, "principalArn") or "")
    if not _is_admin_grant(resource):
        return
    if "*" in principal or principal.endswith(":root"):
        yield f"cluster-admin is granted to {principal!r}, every principal of an account; expected named roles"
        return
    if principal in _workload_roles(ctx) or principal.rsplit("/", 1)[-1] in _workload_roles(ctx):
        yield f"cluster-admin is granted to {principal!r}, a role the stack's pods or nodes run as; expected an operator role"
        return
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
