"""EKS-16: EKS clusters give workloads their own cloud identity (Pod Identity or IRSA)."""

from policy.props import get
from policy.rules._helpers import refers_to, resource_names
from policy.rules.base import Violation, stack_rule


@stack_rule(
    id="EKS-16",
    title="EKS clusters give workloads their own cloud identity (Pod Identity or IRSA)",
    severity="high",
    category="security",
    types=("aws:eks/cluster:Cluster", "aws:eks/addon:Addon", "aws:iam/openIdConnectProvider:OpenIdConnectProvider"),
    remediation="Install the eks-pod-identity-agent add-on (aws.eks.Addon) and bind each service account with "
    "aws.eks.PodIdentityAssociation, or declare the cluster's OIDC provider for IRSA; keep the node role minimal.",
    references=("CIS EKS 1.7 5.2.1", "custom"),
)
def enable_pod_identity(ctx):
    addons = [a for a in ctx.of_type("aws:eks/addon:Addon") if get(a.props, "addonName") == "eks-pod-identity-agent"]
    oidc = ctx.of_type("aws:iam/openIdConnectProvider:OpenIdConnectProvider")
    for cluster in ctx.of_type("aws:eks/cluster:Cluster"):
        names = resource_names(cluster, "name")
        target = ctx.target_of(cluster)
        has_addon = any(
            refers_to(get(a.props, "clusterName"), names) or (target and ctx.target_of(a) == target) for a in addons
        )
        has_oidc = any(target and ctx.target_of(o) == target for o in oidc)
        if not (has_addon or has_oidc):
            yield Violation("no eks-pod-identity-agent add-on and no IAM OIDC provider for this cluster", cluster.urn)
