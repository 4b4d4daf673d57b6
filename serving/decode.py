"""Decode speed of one model server: a step-time model fitted on published vLLM runs.

One engine step produces one token for each of the ``batch`` running sequences. Its time is::

    step = overhead                                    (fixed per step: scheduler, sampler, launch gaps)
         + max(memory, decode_compute)
         + prefill_interference
    memory       = (weights read + batch * KV bytes at the context) / (bandwidth * efficiency[gpu])
                   (x TP_EFFICIENCY when the step all-reduces across GPUs)
    decode_compute = batch * flops_per_token(context) / (peak_flops[dtype] * DECODE_MFU)
    flops_per_token(ctx) = 2 * active_params + 4 * layers * heads * head_dim * ctx   (matmuls + attention)
    prefill_interference = new prompt tokens per step * flops_per_token(prompt / 2) / (peak * prefill_mfu)
    new prompt tokens per step = (batch - 1) * uncached_prompt / output    (the other streams finish and
                                   are replaced, in steady state, once every ``output`` steps each)

Both the one-stream figure and the aggregate are computed at the same KV context (prompt +
output / 2, the mean length a sequence holds while it decodes), so the aggregate is never
below the one-stream rate for the same traffic.

``efficiency[gpu]``, ``overhead`` and ``prefill_mfu`` come from ``catalog/decode_fit.json``,
written by ``tools/fit_decode.py`` from the sourced rows of ``catalog/decode_measurements.json``.
A GPU without measurements of its own takes the mean efficiency of its memory kind (HBM or
GDDR) and says so in ``efficiency_source``.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from importlib import resources

from serving.catalog import GpuType, ModelArch

DECODE_MFU = 0.5
"""Share of dense peak a decode step's matmuls reach once compute-bound (not fitted: no published
point here is compute-bound in decode)."""

TP_EFFICIENCY = 0.85
"""Bandwidth kept when each layer all-reduces across GPUs (prior: no published TP point is in the fit)."""


@dataclass(frozen=True)
class DecodeFit:
    overhead_s: float
    prefill_mfu: float
    efficiency: dict[str, float]
    class_efficiency: dict[str, float]

    def bandwidth_efficiency(self, card: GpuType) -> tuple[float, str]:
        """(efficiency, where it comes from) for ``card``."""
        if card.id in self.efficiency:
            return self.efficiency[card.id], f"fitted on {card.id} measurements"
        return self.class_efficiency[card.memory_kind], f"mean of fitted {card.memory_kind.upper()} GPUs"


@functools.cache
def load_fit() -> DecodeFit:
    data = json.loads(resources.files("serving.catalog").joinpath("decode_fit.json").read_text(encoding="utf-8"))
    return fit_from_json(data)


def fit_from_json(data: dict) -> DecodeFit:
    return DecodeFit(
        overhead_s=float(data["overheadMs"]) / 1000,
        prefill_mfu=float(data["prefillMfu"]),
        efficiency={k: float(v) for k, v in data["bandwidthEfficiency"].items()},
        class_efficiency={k: float(v) for k, v in data["classEfficiency"].items()},
    )


@dataclass(frozen=True)
class Workload:
    """Lengths of a typical request, in tokens. ``cached_prompt_share`` is the share of the prompt
    served from the prefix cache (not recomputed)."""

    prompt_tokens: int
    output_tokens: int
    cached_prompt_share: float = 0.0

    @property
    def context(self) -> float:
        """Mean KV length of a sequence while it decodes."""
        return self.prompt_tokens + self.output_tokens / 2


@dataclass(frozen=True)
class DecodeEstimate:
    batch: int
    tpot_s: float
    ttft_s: float
    stream_tokens_per_second: float
    aggregate_tokens_per_second: float


@dataclass(frozen=True)
class Server:
    """What the step model needs to know about one model server."""

    arch: ModelArch
    card: GpuType
    tp: int
    pp: int
    weight_dtype: str
    total_weight_bytes: int
    kv_bytes_per_token_per_gpu: int
    kv_tokens_per_sequence: float = 1.0
    """Full-attention-equivalent KV tokens per context token (below 1 with sliding-window layers)."""


def weights_read(server: Server, batch: int) -> float:
    """Weight bytes one step reads per tensor-parallel rank (all stages): MoE reads only touched experts."""
    arch = server.arch
    if arch.moe is None:
        return server.total_weight_bytes / server.tp
    moe = arch.moe
    bytes_per_param = server.total_weight_bytes / arch.params
    expert = (arch.params - moe.active_params) / (moe.experts - moe.experts_per_token)
    shared = moe.active_params - moe.experts_per_token * expert
    touched = moe.experts * (1 - (1 - moe.experts_per_token / moe.experts) ** max(batch, 1))
    return (shared + touched * expert) * bytes_per_param / server.tp


def flops_per_token(arch: ModelArch, context: float) -> float:
    """Matmul FLOPs of one token plus its attention over ``context`` earlier tokens."""
    return 2 * arch.active_params + 4 * arch.layers * arch.attention_heads * arch.head_dim * context


def _peak_flops(server: Server) -> float:
    return server.card.peak_tflops(server.weight_dtype) * 1e12 * server.tp


def step_seconds(server: Server, batch: int, work: Workload, fit: DecodeFit | None = None) -> float:
    """Time of one engine step with ``batch`` sequences decoding at ``work.context``."""
    fit = fit or load_fit()
    efficiency, _ = fit.bandwidth_efficiency(server.card)
    bandwidth = server.card.bandwidth_gbps * 1e9 * efficiency * (TP_EFFICIENCY if server.tp > 1 else 1.0)
    kv = batch * server.kv_bytes_per_token_per_gpu * server.pp * work.context * server.kv_tokens_per_sequence
    memory = (weights_read(server, batch) + kv) / bandwidth
    peak = _peak_flops(server)
    compute = batch * flops_per_token(server.arch, work.context) / (peak * DECODE_MFU)
    uncached = work.prompt_tokens * (1 - work.cached_prompt_share)
    new_tokens = max(batch - 1, 0) * uncached / max(work.output_tokens, 1)
    prefill = new_tokens * flops_per_token(server.arch, work.prompt_tokens / 2) / (peak * fit.prefill_mfu)
    return fit.overhead_s + max(memory, compute) + prefill


def estimate(server: Server, batch: int, work: Workload, fit: DecodeFit | None = None) -> DecodeEstimate:
    """TPOT, TTFT and throughput with ``batch`` concurrent streams (no queueing)."""
    fit = fit or load_fit()
    batch = max(batch, 1)
    tpot = step_seconds(server, batch, work, fit)
    single = step_seconds(server, 1, work, fit)
    uncached = work.prompt_tokens * (1 - work.cached_prompt_share)
    prefill = uncached * flops_per_token(server.arch, work.prompt_tokens / 2) / (_peak_flops(server) * fit.prefill_mfu)
    return DecodeEstimate(
        batch=batch,
        tpot_s=tpot,
        ttft_s=tpot + prefill,
        stream_tokens_per_second=1 / single,
        aggregate_tokens_per_second=batch / tpot,
    )


def output_tokens_per_second(server: Server, batch: int, work: Workload, fit: DecodeFit | None = None) -> float:
    """What ``vllm bench serve`` reports as output throughput: requests include their TTFT."""
    e = estimate(server, batch, work, fit)
    return batch * work.output_tokens / (e.ttft_s + max(work.output_tokens - 1, 0) * e.tpot_s)
