"""EKS-15: EKS runs a Kubernetes version in standard support (extended support costs 6x)."""

from policy.catalog import kubernetes_support
from policy.props import get
from policy.rules.base import resource_rule


@resource_rule(
    id="EKS-15",
    title="EKS runs a Kubernetes version in standard support (extended support costs 6x)",
    severity="medium",
    category="cost",
    types=("aws:eks/cluster:Cluster",),
    remediation="Upgrade `version` (stack key kubernetesVersion) to a release in standard support; see "
    "policy/catalog/kubernetes_versions.yaml for the calendar.",
    references=("CKV_AWS_339",),
    doc="https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html",
)
def enforce_supported_version(resource, ctx):
    version = get(resource.props, "version")
    if not version:
        yield "version is not set (EKS would pick its default); expected a pinned version in standard support"
        return
    status = kubernetes_support("eks", str(version), ctx.today)
    if status.state != "standard":
        yield f"version is {str(version)!r}: {status.describe()}; expected one of {status.standard_versions}"
