"""COST-06: dev runs cloud GPUs on spot capacity and scales them to zero."""

from policy.props import get, number
from policy.rules._helpers import (
    EKS_NODE_GROUP,
    GKE_NODE_POOL,
    KARPENTER_NODE_POOL,
    environment_is_dev,
    is_gpu_capacity,
    karpenter_requirement,
)
from policy.rules.base import Violation, stack_rule

SCALED_OBJECT = "kubernetes:keda.sh/v1alpha1:ScaledObject"


@stack_rule(
    id="COST-06",
    title="Dev runs cloud GPUs on spot capacity and scales them to zero",
    severity="medium",
    category="cost",
    types=(KARPENTER_NODE_POOL, EKS_NODE_GROUP, GKE_NODE_POOL, SCALED_OBJECT),
    remediation="In dev: capacityType 'spot' and nodes.min 0 on every cloud GPU pool, replicas.min 0 on every cloud "
    "placement (KEDA wakes them on the gateway's request count).",
    references=("custom",),
)
def enforce_dev_spot_scale_to_zero(ctx):
    if not environment_is_dev(ctx):
        return
    settings = ctx.settings
    cloud = {t.get("name") for t in settings.targets if t.get("kind") in ("aws", "gcp")}
    for target in settings.targets:
        if target.get("name") not in cloud:
            continue
        for pool in settings.pools(target):
            where = f"targets.{target.get('name')}.gpuPools.{pool.get('name')}"
            if pool.get("capacityType", "on-demand") != "spot":
                yield Violation(
                    f"{where}.capacityType is {pool.get('capacityType', 'on-demand')!r}; expected 'spot' in dev"
                )
            if int(get(pool, "nodes.min") or 0) != 0:
                yield Violation(f"{where}.nodes.min is {get(pool, 'nodes.min')}; expected 0 in dev")
    for model, placement in settings.placements():
        if placement.get("target") in cloud and int(get(placement, "replicas.min") or 0) != 0:
            yield Violation(
                f"models.{model.get('name')}.placements[{placement.get('target')}].replicas.min is "
                f"{get(placement, 'replicas.min')}; expected 0 in dev"
            )
    for pool in ctx.of_type(KARPENTER_NODE_POOL):
        if is_gpu_capacity(pool):
            capacity = karpenter_requirement(pool, "karpenter.sh/capacity-type")
            if capacity != ["spot"]:
                yield Violation(f"karpenter.sh/capacity-type is {capacity!r}; expected ['spot'] in dev", pool.urn)
    for group in ctx.of_type(EKS_NODE_GROUP):
        if is_gpu_capacity(group):
            if get(group.props, "capacityType") != "SPOT":
                yield Violation(
                    f"capacityType is {get(group.props, 'capacityType')!r}; expected 'SPOT' in dev", group.urn
                )
            if number(get(group.props, "scalingConfig.minSize")) not in (0, None):
                yield Violation("scalingConfig.minSize is not 0; expected 0 in dev", group.urn)
    for pool in ctx.of_type(GKE_NODE_POOL):
        if is_gpu_capacity(pool):
            if get(pool.props, "nodeConfig.spot") is not True and get(pool.props, "nodeConfig.preemptible") is not True:
                yield Violation("nodeConfig.spot is not true; expected spot VMs in dev", pool.urn)
            low = number(get(pool.props, "autoscaling.totalMinNodeCount", get(pool.props, "autoscaling.minNodeCount")))
            if low:
                yield Violation(f"autoscaling minimum is {low:g}; expected 0 in dev", pool.urn)
    for scaler in ctx.of_type(SCALED_OBJECT):
        if ctx.target_kind_of(scaler) in ("aws", "gcp") and number(get(scaler.props, "spec.minReplicaCount")):
            yield Violation(
                f"spec.minReplicaCount is {get(scaler.props, 'spec.minReplicaCount')}; expected 0 in dev", scaler.urn
            )
