"""Helpers every target kind shares: GPU pool scheduling and the serving image reference."""

from __future__ import annotations

import pulumi

from infra.config import AwsTarget, GcpTarget, GpuPool, OnPremTarget, ServingImage
from infra.workloads.context import GPU_TAINT, PoolScheduling
from serving.errors import LlmFleetError

# Node label every target puts on its GPU nodes so workloads select pools the same way.
POOL_LABEL = "llm-fleet.dev/gpu-pool"


def pool_gpu(target: AwsTarget | GcpTarget | OnPremTarget, pool: GpuPool) -> tuple[str, int]:
    """(GPU type id, GPUs per node) of a pool: explicit on-prem, from the catalogue on clouds."""
    if pool.gpu is not None and pool.gpus_per_node is not None:
        return pool.gpu, pool.gpus_per_node
    from serving.catalog import get_instance

    shapes = {(i.gpu, i.gpu_count) for i in (get_instance(target.kind, t) for t in pool.instance_types)}
    if len(shapes) != 1:
        raise LlmFleetError(
            f"targets.{target.name}.gpuPools.{pool.name}.instanceTypes: {pool.instance_types} mix GPU "
            f"shapes {sorted(shapes)}; a pool must have one GPU type and count"
        )
    gpu, count = shapes.pop()
    return gpu, count


def pool_scheduling(target: AwsTarget | GcpTarget | OnPremTarget, pool: GpuPool) -> PoolScheduling:
    gpu, count = pool_gpu(target, pool)
    selector = dict(pool.node_selector) if target.kind == "onprem" else {POOL_LABEL: pool.name}
    return PoolScheduling(
        name=pool.name,
        gpu=gpu,
        gpus_per_node=count,
        max_nodes=pool.nodes.max,
        node_selector=selector,
        tolerations=[dict(GPU_TAINT)],
        capacity_type=pool.capacity_type,
        instance_types=tuple(pool.instance_types),
    )


def image_reference(
    repository: pulumi.Input[str], image: ServingImage, built_digest: pulumi.Input[str] | None = None
) -> pulumi.Output[str]:
    """``repository@sha256:...``: the promoted digest, or the digest of the image built in this run."""
    digest = image.digest if image.digest is not None else built_digest
    if digest is None:
        raise LlmFleetError("image: no digest and no build in this target; set image.digest or image.build")
    return pulumi.Output.concat(repository, "@", digest)
