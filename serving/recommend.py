"""Cheapest instance type for a target concurrency: the capacity planner applied to priced candidates."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence

from pydantic import Field

from serving._wire import WireModel
from serving.capacity import plan_capacity, valid_tp_sizes
from serving.catalog import ModelArch, get_gpu, get_instance, get_model
from serving.errors import LlmFleetError


class InstanceOption(WireModel):
    """One candidate instance type sized for a target concurrency."""

    cloud: str
    instance_type: str
    gpu: str
    gpus_per_instance: int
    hourly_price: float
    fits: bool
    tp: int | None = None
    replicas_per_instance: int = 0
    concurrency_per_replica: int = 0
    instances: int = 0
    total_hourly: float | None = None
    reason: str | None = None


class InstanceRecommendation(WireModel):
    model: str
    max_model_len: int
    target_concurrency: int
    choice: InstanceOption
    options: list[InstanceOption] = Field(
        ..., description="Every candidate, cheapest first; ones that do not fit last."
    )

    def to_json(self, *, indent: int | None = 2) -> str:
        return json.dumps(self.model_dump(mode="json", by_alias=True), indent=indent)


def recommend_instance(
    model: str | ModelArch,
    candidates: Sequence[tuple[str, str, float]],
    target_concurrency: int,
    max_model_len: int | None = None,
    **plan_kwargs: object,
) -> InstanceRecommendation:
    """Cheapest way to serve ``target_concurrency`` sequences of ``max_model_len`` tokens.

    ``candidates`` are ``(cloud, instance_type, hourly_price)``; prices come from the caller
    (policy owns the price catalogue). For each instance every valid TP that fits on it is
    tried; an instance with ``n`` GPUs runs ``n // tp`` replicas, each serving
    ``min(max_num_seqs, floor(max_concurrency))`` sequences. The choice minimises
    instances x hourly price, then GPUs.
    """
    arch = get_model(model) if isinstance(model, str) else model
    if target_concurrency < 1:
        raise LlmFleetError(f"targetConcurrency: {target_concurrency} must be at least 1")
    if not candidates:
        raise LlmFleetError("candidates: empty; pass (cloud, instanceType, hourlyPrice) tuples")
    plan_kwargs.pop("tp", None)
    options = []
    for cloud, instance_type, hourly in candidates:
        inst = get_instance(cloud, instance_type)
        card = get_gpu(inst.gpu)
        best: InstanceOption | None = None
        reason = None
        for tp in valid_tp_sizes(arch, limit=inst.gpu_count):
            plan = plan_capacity(arch, card, tp=tp, max_model_len=max_model_len, strict=False, **plan_kwargs)  # type: ignore[arg-type]
            if not plan.fits or plan.max_running_seqs < 1:
                reason = f"tp={tp}: " + ("; ".join(plan.problems) or "no full-length sequence fits")
                continue
            replicas = inst.gpu_count // tp
            per_instance = replicas * plan.max_running_seqs
            count = math.ceil(target_concurrency / per_instance)
            option = InstanceOption(
                cloud=cloud,
                instance_type=instance_type,
                gpu=card.id,
                gpus_per_instance=inst.gpu_count,
                hourly_price=hourly,
                fits=True,
                tp=tp,
                replicas_per_instance=replicas,
                concurrency_per_replica=plan.max_running_seqs,
                instances=count,
                total_hourly=round(count * hourly, 4),
            )
            if best is None or (option.total_hourly, -per_instance) < (
                best.total_hourly,
                -best.replicas_per_instance * best.concurrency_per_replica,
            ):  # type: ignore[operator]
                best = option
        options.append(
            best
            or InstanceOption(
                cloud=cloud,
                instance_type=instance_type,
                gpu=card.id,
                gpus_per_instance=inst.gpu_count,
                hourly_price=hourly,
                fits=False,
                reason=reason or "no valid tensor-parallel size",
            )
        )
    fitting = sorted(
        (o for o in options if o.fits),
        key=lambda o: (o.total_hourly, o.instances * o.gpus_per_instance, o.cloud, o.instance_type),
    )
    if not fitting:
        reasons = "; ".join(f"{o.cloud} {o.instance_type}: {o.reason}" for o in options)
        raise LlmFleetError(f"capacity: no candidate instance fits {arch.id}: {reasons}")
    length = max_model_len or arch.native_context
    return InstanceRecommendation(
        model=arch.id,
        max_model_len=length,
        target_concurrency=target_concurrency,
        choice=fitting[0],
        options=fitting + [o for o in options if not o.fits],
    )
