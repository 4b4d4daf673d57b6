"""COST-10: every GPU capacity resource in the Plan is bounded and priced into the ceiling."""

from policy.props import as_list, get
from policy.rules._helpers import (
    EKS_NODE_GROUP,
    GKE_NODE_POOL,
    GPU_MACHINE_TYPES,
    KARPENTER_NODE_POOL,
    gpu_machines,
    is_gpu_capacity,
)
from policy.rules.base import Violation, stack_rule

GKE_CLUSTER = "gcp:container/cluster:Cluster"


def _autoprovisions_gpus(cluster) -> bool:
    if get(cluster.props, "clusterAutoscaling.enabled") is not True:
        return False
    return any(
        str(get(r, "resourceType") or "").startswith("nvidia-")
        for r in as_list(get(cluster.props, "clusterAutoscaling.resourceLimits"))
    )


@stack_rule(
    id="COST-10",
    title="Every GPU capacity resource in the Plan is bounded and priced into the ceiling",
    severity="high",
    category="cost",
    types=(KARPENTER_NODE_POOL, EKS_NODE_GROUP, GKE_NODE_POOL, GKE_CLUSTER, *GPU_MACHINE_TYPES),
    remediation="Declare GPU capacity as a gpuPools entry of a target (it is then bounded by nodes.max and priced), "
    "or give the resource a hard bound (Karpenter spec.limits['nvidia.com/gpu'], scalingConfig.maxSize, "
    "autoscaling.totalMaxNodeCount, resourceLimits maximum) on an instance type the price catalogue knows.",
    references=("custom",),
)
def enforce_gpu_capacity_priced(ctx):
    from policy.cost import estimate_context

    report = ctx.memo("cost", lambda: estimate_context(ctx))
    priced = {item.urn for item in report.items}
    reasons = {u["urn"]: u["reason"] for u in report.unpriced}
    capacity = [r for r in ctx.of_type(KARPENTER_NODE_POOL, EKS_NODE_GROUP, GKE_NODE_POOL) if is_gpu_capacity(r)]
    capacity += [c for c in ctx.of_type(GKE_CLUSTER) if _autoprovisions_gpus(c)]
    capacity += [m for m in ctx.of_type(*GPU_MACHINE_TYPES) if gpu_machines(ctx, m) is not None]
    for resource in capacity:
        if resource.urn in reasons and (resource.type != GKE_CLUSTER or "auto-provisioning" in reasons[resource.urn]):
            yield Violation(f"GPU capacity is not priced into the ceiling: {reasons[resource.urn]}", resource.urn)
        elif resource.urn not in priced:
            yield Violation("GPU capacity is not priced into the ceiling", resource.urn)
