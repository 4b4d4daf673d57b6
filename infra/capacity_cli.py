"""`llmfleet capacity`: the serving planner, joined with policy's price catalogue for --recommend.

The options mirror the library (serving.capacity.plan_capacity, serving.traffic): every one is
explicit, unset means the library's default, and a value out of range is an error (no magic zeros).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

from serving.errors import LlmFleetError

CAPACITY_HELP = {
    "concurrency": "Concurrent streams: the aggregate decode figure is computed at it, --recommend sizes for it "
    "(default: as many as the KV cache holds; 1 for --recommend).",
    "max_num_seqs": "vLLM --max-num-seqs: max concurrent sequences per server (default: vLLM's for the GPU).",
    "quantization": "Online quantization: fp8_per_tensor, fp8_per_block or fp8_per_channel (default: none).",
    "prompt_tokens": "Typical prompt length, tokens (default 1024): the context the decode figures use.",
    "output_tokens": "Typical output length, tokens (default 256).",
    "requests_per_second": "Peak request rate, requests/s: also size replicas at peak and Little's-law concurrency.",
    "shared_prefix_percent": "Share of each prompt served from the prefix cache, percent (default 0).",
    "itl_ms": "Inter-token latency SLO for --requests-per-second, ms (default 150, as the stack's slo).",
    "ttft_ms": "Time-to-first-token SLO for --requests-per-second, ms (default 2000).",
}

_BOUNDS = {
    "--max-num-seqs": (1, 4096),
    "--prompt-tokens": (1, 1_048_576),
    "--output-tokens": (1, 1_048_576),
    "--requests-per-second": (0.001, 100_000),
    "--shared-prefix-percent": (0, 99),
    "--itl-ms": (1, 10_000),
    "--ttft-ms": (1, 120_000),
    "--concurrency": (1, 1_000_000),
}


def _check(flag: str, value: float | None) -> None:
    if value is None:
        return
    low, high = _BOUNDS[flag]
    if not low <= value <= high:
        raise LlmFleetError(f"{flag}: {value:g} is out of range (allowed: {_number(low)} to {_number(high)})")


def _number(value: float) -> str:
    return f"{value:,.0f}" if value >= 1 else f"{value:g}"


def capacity_command(
    *,
    model: str,
    gpu: str,
    tp: int | None,
    max_model_len: int | None,
    kv_cache_dtype: str,
    gpu_memory_utilization: float,
    recommend: bool,
    concurrency: int | None,
    as_json: bool,
    max_num_seqs: int | None = None,
    quantization: str | None = None,
    prompt_tokens: int | None = None,
    output_tokens: int | None = None,
    requests_per_second: float | None = None,
    shared_prefix_percent: float | None = None,
    itl_ms: float | None = None,
    ttft_ms: float | None = None,
) -> str:
    """Text or JSON for one sizing; with ``recommend``, also the cheapest instance that fits."""
    from serving.capacity import plan_capacity, server_of
    from serving.recommend import recommend_instance
    from serving.traffic import DEFAULT_OUTPUT_TOKENS, DEFAULT_PROMPT_TOKENS, Traffic, size_for_traffic

    if not 0.0 < gpu_memory_utilization <= 1.0:
        raise LlmFleetError(f"--gpu-memory-utilization: {gpu_memory_utilization} is not allowed; expected 0 < U <= 1")
    for flag, value in (
        ("--max-num-seqs", max_num_seqs),
        ("--prompt-tokens", prompt_tokens),
        ("--output-tokens", output_tokens),
        ("--requests-per-second", requests_per_second),
        ("--shared-prefix-percent", shared_prefix_percent),
        ("--itl-ms", itl_ms),
        ("--ttft-ms", ttft_ms),
        ("--concurrency", concurrency),
    ):
        _check(flag, value)
    if quantization is not None and quantization.lower() == "none":
        quantization = None
    common = {
        "kv_cache_dtype": kv_cache_dtype,
        "gpu_memory_utilization": gpu_memory_utilization,
        "quantization": quantization,
        "max_num_seqs": max_num_seqs,
    }
    with _flag_names():
        plan = plan_capacity(
            model,
            gpu,
            tp=tp,
            max_model_len=max_model_len,
            prompt_tokens=prompt_tokens,
            output_tokens=output_tokens,
            concurrency=concurrency,
            **common,
        )
    sizing = traffic = None
    if requests_per_second is not None:
        traffic = Traffic(
            prompt_tokens=prompt_tokens or DEFAULT_PROMPT_TOKENS,
            output_tokens=output_tokens or DEFAULT_OUTPUT_TOKENS,
            peak_requests_per_second=requests_per_second,
            shared_prefix_percent=shared_prefix_percent or 0.0,
        )
        sizing = size_for_traffic(
            server_of(plan),
            traffic,
            batch_limit=plan.traffic_running_seqs,
            batch_limit_reason="max_num_seqs" if plan.traffic_running_seqs == plan.max_num_seqs else "kv cache",
            itl_slo_ms=itl_ms or 150,
            ttft_slo_ms=ttft_ms or 2000,
        )
    recommendation = None
    if recommend:
        from policy.cost import instance_candidates

        recommendation = recommend_instance(
            model,
            instance_candidates(),
            target_concurrency=concurrency or 1,
            max_model_len=plan.max_model_len,
            **common,
        )
    if as_json:
        data = json.loads(plan.to_json())
        if recommendation is not None:
            data["recommendation"] = json.loads(recommendation.to_json())
        if sizing is not None:
            data["traffic"] = {
                "peakRequestsPerSecond": requests_per_second,
                "operatingBatch": sizing.batch,
                "tpotMs": round(sizing.tpot_ms, 2),
                "ttftMs": round(sizing.ttft_ms, 1),
                "requestsPerSecondPerReplica": round(sizing.requests_per_second_per_replica, 4),
                "replicasNeeded": sizing.replicas_needed,
                "concurrencyAtPeak": round(sizing.concurrency_at_peak, 2),
                "meetsSlo": sizing.meets_slo,
                "boundBy": sizing.limit,
            }
        return json.dumps(data, indent=2, sort_keys=True)
    text = plan.to_text()
    if sizing is not None and traffic is not None:
        text += "\n\n" + (
            f"at peak {requests_per_second:g} req/s: {sizing.replicas_needed} replica(s), each running "
            f"{sizing.batch} streams at {sizing.tpot_ms:.1f} ms/token, first token in {sizing.ttft_ms:.0f} ms "
            f"({sizing.requests_per_second_per_replica:.2f} req/s per replica, bound by {sizing.limit}); "
            f"{sizing.concurrency_at_peak:.1f} requests in flight (Little's law)"
            if sizing.meets_slo
            else f"at peak {requests_per_second:g} req/s: no batch meets the SLOs (one stream: "
            f"{sizing.tpot_ms:.1f} ms/token, {sizing.ttft_ms:.0f} ms to the first token)"
        )
    if recommendation is not None:
        choice = recommendation.choice
        text += (
            f"\n\ncheapest for {concurrency or 1} concurrent sequences of {recommendation.max_model_len:,} tokens:\n"
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
