"""COST-05: GPU pools use only the environment's allowed instance types."""

from policy.catalog.prices import is_gpu_instance
from policy.guardrails import is_prod
from policy.props import as_list, get
from policy.rules._helpers import (
    EKS_NODE_GROUP,
    GKE_NODE_POOL,
    GPU_MACHINE_TYPES,
    KARPENTER_NODE_POOL,
    gpu_machines,
    is_gpu_capacity,
    karpenter_requirement,
)
from policy.rules.base import Violation, stack_rule


@stack_rule(
    id="COST-05",
    title="GPU pools use only the environment's allowed instance types",
    severity="high",
    category="cost",
    types=(
        KARPENTER_NODE_POOL,
        EKS_NODE_GROUP,
        GKE_NODE_POOL,
        "aws:ec2/launchTemplate:LaunchTemplate",
        *GPU_MACHINE_TYPES,
    ),
    remediation="Use instance types from policy.allowedInstanceTypes, or add the type there (a reviewed change); "
    "prod keeps the list non-empty (empty allows every type).",
    references=("custom",),
)
def enforce_instance_allow_list(ctx):
    allowed = set(ctx.settings.allowed_instance_types)
    if not allowed:
        if is_prod(ctx):
            yield Violation(
                "policy.allowedInstanceTypes is empty in prod (any instance type); expected the reviewed list"
            )
        return
    for target in ctx.settings.targets:
        for pool in ctx.settings.pools(target):
            bad = [t for t in as_list(pool.get("instanceTypes")) if t not in allowed]
            if bad:
                yield Violation(
                    f"targets.{target.get('name')}.gpuPools.{pool.get('name')}.instanceTypes has {bad}; "
                    f"allowed: {sorted(allowed)}"
                )
    for pool in ctx.of_type(KARPENTER_NODE_POOL):
        if not is_gpu_capacity(pool):
            continue
        types = karpenter_requirement(pool, "node.kubernetes.io/instance-type")
        if types is None:
            yield Violation(
                "GPU NodePool has no node.kubernetes.io/instance-type In requirement; the allow-list cannot hold",
                pool.urn,
            )
        elif bad := [t for t in types if t not in allowed]:
            yield Violation(f"instance types {bad} are not allowed; allowed: {sorted(allowed)}", pool.urn)
    for group in ctx.of_type(EKS_NODE_GROUP):
        if is_gpu_capacity(group) and (
            bad := [t for t in as_list(get(group.props, "instanceTypes")) if t not in allowed]
        ):
            yield Violation(f"instanceTypes {bad} are not allowed; allowed: {sorted(allowed)}", group.urn)
    for template in ctx.of_type("aws:ec2/launchTemplate:LaunchTemplate"):
        kind = get(template.props, "instanceType")
        if kind and is_gpu_instance("aws", str(kind)) and kind not in allowed:
            yield Violation(f"instanceType {kind!r} is not allowed; allowed: {sorted(allowed)}", template.urn)
    for machine in ctx.of_type(*GPU_MACHINE_TYPES):
        found = gpu_machines(ctx, machine)
        if found and (bad := [t for t in found[1] if t not in allowed]):
            yield Violation(f"GPU machine types {bad} are not allowed; allowed: {sorted(allowed)}", machine.urn)
    for pool in ctx.of_type(GKE_NODE_POOL):
        kind = get(pool.props, "nodeConfig.machineType")
        if is_gpu_capacity(pool) and kind not in allowed:
            yield Violation(f"nodeConfig.machineType {kind!r} is not allowed; allowed: {sorted(allowed)}", pool.urn)
