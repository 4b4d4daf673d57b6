"""COST-04: GKE node auto-provisioning, if on, caps CPU, memory and GPUs."""

from policy.props import as_list, get
from policy.rules.base import resource_rule


@resource_rule(
    id="COST-04",
    title="GKE node auto-provisioning, if on, caps CPU, memory and GPUs",
    severity="high",
    category="cost",
    types=("gcp:container/cluster:Cluster",),
    remediation="Leave clusterAutoscaling.enabled off (declare node pools), or give resourceLimits for cpu, memory and "
    "each nvidia-* GPU type with a maximum.",
    references=("custom",),
)
def configure_autoprovisioning_limits(resource, ctx):
    if get(resource.props, "clusterAutoscaling.enabled") is not True:
        return
    limits = {
        get(r, "resourceType"): get(r, "maximum")
        for r in as_list(get(resource.props, "clusterAutoscaling.resourceLimits"))
    }
    for kind in ("cpu", "memory"):
        if not limits.get(kind):
            yield f"clusterAutoscaling.resourceLimits has no maximum for {kind!r}; expected one"
    if not any(str(k).startswith("nvidia-") and v for k, v in limits.items()):
        yield "clusterAutoscaling.resourceLimits has no maximum for any nvidia-* GPU; expected one per GPU type"
