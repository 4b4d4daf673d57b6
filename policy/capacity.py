"""The capacity planner (serving.capacity) applied to the stack's placements."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from policy.props import as_list, get
from serving.errors import LlmFleetError


def pool_gpu(target: Mapping[str, Any], pool: Mapping[str, Any]) -> str | None:
    """GPU type id of a config pool: explicit on-prem, else from its instance types."""
    if pool.get("gpu"):
        return str(pool["gpu"])
    from policy.catalog.prices import instance_price

    for instance_type in as_list(pool.get("instanceTypes")):
        row = instance_price(str(target.get("kind")), str(instance_type))
        if row:
            return row.gpu
        try:
            from serving.catalog import get_instance

            return get_instance(str(target.get("kind")), str(instance_type)).gpu
        except LlmFleetError:
            continue
    return None


def placement_plan(
    model: Mapping[str, Any], placement: Mapping[str, Any], target: Mapping[str, Any], pool: Mapping[str, Any]
):
    """The CapacityPlan of one placement (``fits`` False with ``problems`` when it does not fit);
    None when the pool's GPU type is unknown. Raises LlmFleetError for unknown models/GPUs."""
    from serving.capacity import plan_capacity

    gpu = pool_gpu(target, pool)
    if gpu is None:
        return None
    return plan_capacity(
        str(model.get("architecture")),
        gpu,
        tp=placement.get("tensorParallel"),
        max_model_len=model.get("maxModelLen"),
        kv_cache_dtype=str(model.get("kvCacheDtype") or "auto"),
        gpu_memory_utilization=float(model.get("gpuMemoryUtilization") or 0.9),
        quantization=model.get("quantization"),
        max_num_seqs=model.get("maxNumSeqs"),
        strict=False,
    )


def replica_bounds(placement: Mapping[str, Any]) -> tuple[int, int]:
    return int(get(placement, "replicas.min") or 0), int(get(placement, "replicas.max") or 0)
