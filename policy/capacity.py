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
        prompt_tokens=traffic_of(model).prompt_tokens,
        output_tokens=traffic_of(model).output_tokens,
    )


def traffic_of(model: Mapping[str, Any]):
    """The model's traffic profile (config defaults where keys are missing)."""
    from serving.traffic import Traffic

    return Traffic.from_config(model.get("traffic"))


def traffic_share(routing: list[Mapping[str, Any]], model: Mapping[str, Any], placement: Mapping[str, Any]) -> float:
    """Share of the model's peak rate one placement must carry.

    A weighted route gives each target its weight's share; a failover route gives each of its
    targets all of it (the secondary takes everything when the primary fails); a placement whose
    target no route of the model names gets none. A model without any route splits evenly.
    """
    name, target = model.get("name"), placement.get("target")
    placements = as_list(model.get("placements"))
    routes = [r for r in routing if name in as_list(r.get("models"))]
    if not routes:
        return 1.0 / max(len(placements), 1)
    share = 0.0
    for route in routes:
        endpoints = [e for e in as_list(route.get("endpoints")) if isinstance(e, Mapping)]
        if route.get("mode") == "failover":
            share = max(share, 1.0 if any(e.get("target") == target for e in endpoints) else 0.0)
            continue
        total = sum(float(e.get("weight") or 0) for e in endpoints) or 1.0
        share = max(share, sum(float(e.get("weight") or 0) for e in endpoints if e.get("target") == target) / total)
    return share


def placement_sizing(model: Mapping[str, Any], plan, share: float):
    """(Traffic, TrafficSizing) of one placement at ``share`` of the model's peak rate."""
    from dataclasses import replace

    from serving.capacity import server_of
    from serving.traffic import size_for_traffic

    traffic = traffic_of(model)
    traffic = replace(traffic, peak_requests_per_second=traffic.peak_requests_per_second * share)
    slo = model.get("slo") if isinstance(model.get("slo"), Mapping) else {}
    sizing = size_for_traffic(
        server_of(plan),
        traffic,
        batch_limit=plan.traffic_running_seqs,
        batch_limit_reason="max_num_seqs" if plan.traffic_running_seqs == plan.max_num_seqs else "kv cache",
        itl_slo_ms=float(slo.get("itlP95Ms") or 150),
        ttft_slo_ms=float(slo.get("ttftP95Ms") or 2000),
    )
    return traffic, sizing


def replica_bounds(placement: Mapping[str, Any]) -> tuple[int, int]:
    return int(get(placement, "replicas.min") or 0), int(get(placement, "replicas.max") or 0)
