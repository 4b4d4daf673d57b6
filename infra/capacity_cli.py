"""`llmfleet capacity`: the serving planner, joined with policy's price catalogue for --recommend."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

from serving.capacity import plan_capacity, recommend_instance
from serving.errors import LlmFleetError


def capacity_command(
    *,
    model: str,
    gpu: str,
    tp: int | None,
    max_model_len: int | None,
    kv_cache_dtype: str,
    gpu_memory_utilization: float,
    recommend: bool,
    concurrency: int,
    as_json: bool,
) -> str:
    """Text or JSON for one sizing; with ``recommend``, also the cheapest instance that fits."""
    if not 0.0 < gpu_memory_utilization <= 1.0:
        raise LlmFleetError(f"--gpu-memory-utilization: {gpu_memory_utilization} is not allowed; expected 0 < U <= 1")
    with _flag_names():
        plan = plan_capacity(
            model,
            gpu,
            tp=tp,
            max_model_len=max_model_len,
            kv_cache_dtype=kv_cache_dtype,
            gpu_memory_utilization=gpu_memory_utilization,
        )
    recommendation = None
    if recommend:
        from policy.cost import instance_candidates

        recommendation = recommend_instance(
            model,
            instance_candidates(),
            target_concurrency=concurrency,
            max_model_len=plan.max_model_len,
            kv_cache_dtype=kv_cache_dtype,
            gpu_memory_utilization=gpu_memory_utilization,
        )
    if as_json:
        data = json.loads(plan.to_json())
        if recommendation is not None:
            data["recommendation"] = json.loads(recommendation.to_json())
        return json.dumps(data, indent=2, sort_keys=True)
    text = plan.to_text()
    if recommendation is not None:
        choice = recommendation.choice
        text += (
            f"\n\ncheapest for {concurrency} concurrent sequences of {recommendation.max_model_len:,} tokens:\n"
            f"  {choice.instances} x {choice.cloud} {choice.instance_type} ({choice.gpus_per_instance}x {choice.gpu}, "
            f"tp={choice.tp}, {choice.replicas_per_instance} replica(s) each) at ${choice.total_hourly:,.2f}/h on demand"
        )
    return text


# The planner names its inputs as the stack file does; on the command line they are flags.
FLAG_NAMES = {
    "maxModelLen": "--max-model-len",
    "kvCacheDtype": "--kv-cache-dtype",
    "gpuMemoryUtilization": "--gpu-memory-utilization",
    "tp": "--tp",
    "model": "--model",
    "gpu": "--gpu",
}


@contextmanager
def _flag_names() -> Iterator[None]:
    """Name the flag in the planner's errors (``maxModelLen: ...`` -> ``--max-model-len: ...``)."""
    try:
        yield
    except LlmFleetError as exc:
        key, separator, rest = str(exc).partition(":")
        if separator and key in FLAG_NAMES:
            raise LlmFleetError(f"{FLAG_NAMES[key]}:{rest}") from None
        raise


def parse_max_model_len(text: str) -> int | None:
    """``--max-model-len``: a token count, or 'native' (None) for the model's native context."""
    value = text.strip().lower()
    if value == "native":
        return None
    if not value.isdigit() or int(value) < 1:
        raise LlmFleetError(
            f"--max-model-len: {text!r} is not allowed; expected a token count such as 16384, "
            "or 'native' for the model's native context"
        )
    return int(value)
