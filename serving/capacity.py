"""Capacity planner: how a model sits on a GPU under the pinned vLLM.

Everything is per GPU of one model server (a tensor-parallel group of ``tp`` GPUs, times
``pp`` pipeline stages). The model follows what vLLM does at start-up
(``Worker.determine_available_memory``): it takes ``gpu_memory_utilization`` of the GPU's
total memory, subtracts what the weights, the profiling forward pass, non-torch
allocations and the CUDA graphs use, and gives the rest to the KV cache::

    budget      = usable_memory * gpu_memory_utilization
    weights     = weight_bytes / (tp * pp)
    activation  = max(forward, sampler)                          (peak of the profile run)
        forward = max_num_batched_tokens * 3 * (intermediate * experts_per_token / tp + hidden) * 2 B
        sampler = min(max_num_seqs, max_num_batched_tokens) * vocab * 4 B * SAMPLER_FP32_COPIES
    non_torch   = NON_TORCH_GIB  (+ NON_TORCH_MULTI_GPU_GIB when tp * pp > 1)
    cuda_graph  = CUDA_GRAPH_GIB_PER_LAYER * layers / pp * min(1, 2 * max_num_seqs / 512)
    kv_cache    = budget - weights - activation - non_torch - cuda_graph
    kv_per_token = 2 * layers / pp * max(1, kv_heads / tp) * head_dim * kv_dtype_bytes
    kv_tokens   = floor(kv_cache / (16 * kv_per_token)) * 16                    (block size 16)
    max_concurrency = kv_tokens / max_model_len      (vLLM's "Maximum concurrency" line)

Where each constant comes from (see ``CALIBRATION`` for the logs):

* ``3 * (intermediate / tp + hidden) * 2 B`` per batched token: the MLP holds its input,
  the gate/up projection (2 x intermediate) and the activation output (intermediate)
  at once, plus two hidden-sized buffers. It reproduces vLLM's "PyTorch activation
  peak" of Llama-3.1-8B at 20,000 and 29,000 batched tokens (2.07 and 2.99 GiB,
  vllm#10517) within 1%.
* ``SAMPLER_FP32_COPIES = 9.5``: the profile run also samples ``max_num_seqs`` dummy
  requests with top-k = vocab - 1 and top-p, which sorts the full fp32 logits (values
  plus int64 indices, softmax, cumulative sum): about nine and a half fp32 copies of
  the logits. Fitted to the Qwen3-8B / H100 log (50.32 GiB KV); it also predicts the
  1.40 GiB peak logged for Qwen3-8B at 256 sequences on a 48 GB GPU.
* ``NON_TORCH_GIB = 0.35``: CUDA context, cuBLAS/NCCL workspaces outside PyTorch's
  allocator ("non_torch_memory=0.35GiB", vllm#10517). ``NON_TORCH_MULTI_GPU_GIB = 1.3``:
  NCCL and custom all-reduce buffers once GPUs talk to each other; fitted to the
  published TP=2 (Qwen3-32B) and TP=4 (Llama-3.1-70B) H100 logs (LMCache FAQ).
* ``CUDA_GRAPH_GIB_PER_LAYER = 0.018``: vLLM >= 0.21 reserves its CUDA-graph estimate
  inside the budget; logs show 0.54-0.67 GiB for 32-36-layer 7-8B models captured up
  to batch 512. Logs from older vLLM predate this (``count_cuda_graphs=False``).
* Decode speed: ``serving/decode.py`` (a step-time model fitted on published vLLM runs,
  ``tools/fit_decode.py``). The one-stream and aggregate figures are computed at the same
  context: the traffic's prompt + output / 2 (defaults in ``serving/traffic.py``). The
  worst case keeps every stream at ``max_model_len``. An estimate, not a benchmark.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Sequence

from pydantic import Field

from serving._wire import WireModel
from serving.catalog import GpuType, ModelArch, get_gpu, get_model
from serving.decode import Server, Workload, estimate, load_fit
from serving.errors import LlmFleetError
from serving.traffic import DEFAULT_OUTPUT_TOKENS, DEFAULT_PROMPT_TOKENS
from serving.versions import VLLM_VERSION

GIB = 2**30
BLOCK_SIZE = 16
"""vLLM's KV block size for these architectures: KV tokens are a multiple of it."""

ACTIVATION_BYTES = 2
FORWARD_WIDTH = 3
SAMPLER_FP32_COPIES = 9.5
NON_TORCH_GIB = 0.35
NON_TORCH_MULTI_GPU_GIB = 1.3
CUDA_GRAPH_GIB_PER_LAYER = 0.018
CUDA_GRAPH_MAX_CAPTURE = 512

KV_DTYPE_BYTES: dict[str, int] = {
    "auto": 2,
    "bfloat16": 2,
    "float16": 2,
    "fp8": 1,
    "fp8_e4m3": 1,
    "fp8_e5m2": 1,
}
"""KV cache dtypes the planner knows (a subset of vLLM's ``--kv-cache-dtype`` choices)."""

ONLINE_FP8 = ("fp8_per_tensor", "fp8_per_block", "fp8_per_channel")
"""Online quantization methods the planner sizes: weights become 1 byte, embeddings stay bf16."""

TP_SIZES = (1, 2, 4, 8)

CALIBRATION = (
    {
        "case": "Llama-3.1-8B bf16, RTX 3090, util 0.9, max_model_len 20000 (vLLM V0 profile: no chunked "
        "prefill, so one 20,000-token batch; CUDA graphs outside the budget)",
        "source": "https://github.com/vllm-project/vllm/issues/10517",
        "model": "llama-3.1-8b",
        "gpu": "RTX-3090",
        "kwargs": {
            "max_model_len": 20000,
            "max_num_batched_tokens": 20000,
            "max_num_seqs": 256,
            "count_cuda_graphs": False,
        },
        "kv_tokens": 31232,
        "kv_cache_gib": 3.81,
    },
    {
        "case": "Qwen3-8B bf16, one H100 80GB, util 0.9, defaults (8192 batched tokens, 1024 sequences); "
        "published 2025-10 (vLLM <= 0.11: CUDA graphs outside the budget)",
        "source": "https://github.com/LMCache/LMCache/pull/1769",
        "model": "qwen3-8b",
        "gpu": "H100-80GB",
        "kwargs": {"count_cuda_graphs": False},
        "kv_tokens": 366400,
        "kv_cache_gib": 50.32,
    },
)
"""The two published startup logs of reference/vllm.md; tests hold the planner within 5% of them."""

CROSS_CHECKS = (
    {
        "case": "Qwen3-32B bf16, TP=2 on H100 80GB, util 0.9 (same source and vLLM as the Qwen3-8B case)",
        "source": "https://github.com/LMCache/LMCache/pull/1769",
        "model": "qwen3-32b",
        "gpu": "H100-80GB",
        "kwargs": {"tp": 2, "count_cuda_graphs": False},
        "kv_tokens": 275760,
    },
    {
        "case": "Llama-3.1-70B bf16, TP=4 on H100 80GB, util 0.9",
        "source": "https://github.com/LMCache/LMCache/pull/1769",
        "model": "llama-3.1-70b",
        "gpu": "H100-80GB",
        "kwargs": {"tp": 4, "count_cuda_graphs": False},
        "kv_tokens": 420208,
    },
)
"""Further published logs (multi-GPU) that constrain NON_TORCH_MULTI_GPU_GIB."""


CONTRADICTIONS = (
    {
        "case": "Qwen3-32B bf16 on one H100 80GB at max_model_len 40,960 (the native context), util 0.9, "
        "reported elsewhere as served with vLLM's defaults",
        "finding": "The planner's refusal is right for that configuration. One sequence needs 40,960 x 256 KiB = "
        "10.00 GiB of KV; the budget left after the 61.02 GiB of weights is 79.19 x 0.9 - 61.02 = 10.25 GiB, and "
        "vLLM 0.32's profile run (gpu_model_runner.profile_run) still takes non-torch memory (>= 0.35 GiB in every "
        "published log), the 8,192-token forward pass and the sampler warm-up over min(max_num_seqs, "
        "max_num_batched_tokens) = 1,024 rows of the 151,936-token vocabulary (it runs the sorting "
        "forward_native path even where FlashInfer sampling is on). vLLM then refuses at start-up (the KV cache "
        "must hold one max_model_len sequence). A run that served it differed in something the claim left out: "
        "an fp8 checkpoint or KV cache, a higher gpu_memory_utilization, a shorter max_model_len or a 94 GB H100 NVL.",
    },
)
"""Published claims the planner contradicts, with the reason (tests hold the arithmetic)."""


class CapacityPlan(WireModel):
    """Sizing of one model server. ``to_json()`` writes the camelCase wire names."""

    model: str
    gpu: str
    tp: int
    pp: int
    gpus: int = Field(..., description="GPUs of one server: tp * pp.")
    max_model_len: int
    kv_cache_dtype: str
    weight_dtype: str = Field(..., description="bfloat16, float16 or fp8 (after quantization).")
    quantization: str | None
    gpu_memory_utilization: float
    max_num_seqs: int
    max_num_batched_tokens: int
    usable_memory_gib_per_gpu: float
    budget_gib_per_gpu: float
    weights_gib_per_gpu: float
    activation_gib_per_gpu: float
    non_torch_gib_per_gpu: float
    cuda_graph_gib_per_gpu: float
    overhead_gib_per_gpu: float = Field(..., description="non-torch + CUDA graphs (activation is separate).")
    kv_cache_gib_per_gpu: float
    kv_bytes_per_token_per_gpu: int
    block_size: int
    kv_blocks: int
    kv_tokens: int
    max_concurrency: float = Field(..., description="Sequences of max_model_len tokens the KV cache holds at once.")
    max_running_seqs: int = Field(..., description="min(max_num_seqs, floor(max_concurrency)).")
    prompt_tokens: int = Field(..., description="Typical prompt length the decode figures assume, tokens.")
    output_tokens: int = Field(..., description="Typical output length the decode figures assume, tokens.")
    decode_context_tokens: float = Field(
        ..., description="KV context both decode figures are computed at: prompt + output / 2, tokens."
    )
    decode_tokens_per_second: float = Field(..., description="One stream at decode_context_tokens, tokens/s.")
    traffic_running_seqs: int = Field(
        ...,
        description="Streams the aggregate is computed at: the requested concurrency, capped by the sequences of "
        "prompt + output tokens the KV cache holds and by max_num_seqs.",
    )
    aggregate_decode_tokens_per_second: float = Field(
        ..., description="traffic_running_seqs streams at decode_context_tokens, tokens/s (no SLO applied)."
    )
    aggregate_tpot_ms: float = Field(..., description="Time per output token at that batch, ms.")
    worst_case_aggregate_decode_tokens_per_second: float = Field(
        ..., description="max_running_seqs streams that each hold max_model_len tokens, tokens/s."
    )
    bandwidth_efficiency: float = Field(..., description="Achieved share of the datasheet memory bandwidth.")
    bandwidth_efficiency_source: str = Field(..., description="Fitted on this GPU, or its memory kind's mean.")
    fits: bool
    problems: list[str]
    vllm_version: str

    def to_json(self, *, indent: int | None = 2) -> str:
        return json.dumps(self.model_dump(mode="json", by_alias=True), indent=indent)

    def to_text(self) -> str:
        rows = [
            ("model / GPU", f"{self.model} on {self.gpus}x {self.gpu} (tp={self.tp}, pp={self.pp})"),
            ("max model len", f"{self.max_model_len:,} tokens"),
            ("weights", f"{self.weights_gib_per_gpu:.2f} GiB/GPU ({self.weight_dtype})"),
            (
                "budget",
                f"{self.budget_gib_per_gpu:.2f} GiB/GPU "
                f"({self.usable_memory_gib_per_gpu:.2f} x {self.gpu_memory_utilization})",
            ),
            ("activation peak", f"{self.activation_gib_per_gpu:.2f} GiB/GPU"),
            (
                "non-torch + CUDA graphs",
                f"{self.non_torch_gib_per_gpu:.2f} + {self.cuda_graph_gib_per_gpu:.2f} GiB/GPU",
            ),
            (
                "KV cache",
                f"{self.kv_cache_gib_per_gpu:.2f} GiB/GPU, {self.kv_tokens:,} tokens "
                f"({self.kv_cache_dtype}, {self.kv_bytes_per_token_per_gpu:,} B/token/GPU)",
            ),
            (
                "max concurrency",
                f"{self.max_concurrency:.2f}x at {self.max_model_len:,} tokens "
                f"(running <= {self.max_running_seqs}, max_num_seqs {self.max_num_seqs})",
            ),
            (
                "decode estimate",
                f"{self.decode_tokens_per_second:,.0f} tok/s one stream, "
                f"{self.aggregate_decode_tokens_per_second:,.0f} tok/s aggregate "
                f"({self.traffic_running_seqs} streams, {self.aggregate_tpot_ms:.1f} ms/token) "
                f"at {self.decode_context_tokens:,.0f} tokens of context "
                f"({self.prompt_tokens:,} in / {self.output_tokens:,} out)",
            ),
            (
                "worst case",
                f"{self.worst_case_aggregate_decode_tokens_per_second:,.0f} tok/s aggregate with "
                f"{self.max_running_seqs} streams of {self.max_model_len:,} tokens",
            ),
            (
                "bandwidth",
                f"{self.bandwidth_efficiency:.0%} of datasheet ({self.bandwidth_efficiency_source})",
            ),
            ("fits", "yes" if self.fits else "NO: " + "; ".join(self.problems)),
        ]
        width = max(len(k) for k, _ in rows)
        return "\n".join(f"{k:<{width}}  {v}" for k, v in rows)


def vllm_scheduler_defaults(gpu: GpuType) -> tuple[int, int]:
    """(max_num_batched_tokens, max_num_seqs) vLLM 0.32's API server picks for this GPU.

    ``EngineArgs.get_batch_defaults``: >= 160 GiB: 16384 / 1024; >= 70 GiB and not an A100:
    8192 / 1024; otherwise 2048 / 256.
    """
    if gpu.usable_memory_gib >= 160:
        return 16384, 1024
    if gpu.usable_memory_gib >= 70 and "a100" not in gpu.name.lower():
        return 8192, 1024
    return 2048, 256


def valid_tp_sizes(model: ModelArch, limit: int = 8) -> list[int]:
    """Tensor-parallel sizes vLLM accepts for the model: heads split evenly, KV heads split or replicated."""
    sizes = []
    for tp in TP_SIZES:
        if tp > limit or model.attention_heads % tp:
            continue
        if (tp <= model.kv_heads and model.kv_heads % tp) or (tp > model.kv_heads and tp % model.kv_heads):
            continue
        sizes.append(tp)
    return sizes


def weight_bytes(model: ModelArch, quantization: str | None = None) -> tuple[int, str]:
    """Bytes of all weights and the resulting weight dtype."""
    if quantization is None:
        if model.weight_dtype == "fp8":
            return _fp8_bytes(model), "fp8"
        return model.params * 2, model.weight_dtype
    if quantization not in ONLINE_FP8:
        raise LlmFleetError(
            f"quantization: '{quantization}' is not sized by the planner (allowed: none, {', '.join(ONLINE_FP8)}); "
            "a pre-quantized checkpoint is its own catalogue entry"
        )
    if model.weight_dtype == "fp8":
        raise LlmFleetError(
            f"quantization: '{quantization}' on {model.id}, which is already an fp8 checkpoint "
            "(vLLM detects it); leave quantization unset"
        )
    return _fp8_bytes(model), "fp8"


def _fp8_bytes(model: ModelArch) -> int:
    return (model.params - model.embedding_params) + model.embedding_params * 2


def plan_capacity(
    model: str | ModelArch,
    gpu: str | GpuType,
    tp: int | None = None,
    max_model_len: int | None = None,
    kv_cache_dtype: str = "auto",
    gpu_memory_utilization: float = 0.9,
    *,
    pp: int = 1,
    quantization: str | None = None,
    max_num_seqs: int | None = None,
    max_num_batched_tokens: int | None = None,
    enforce_eager: bool = False,
    count_cuda_graphs: bool = True,
    usable_memory_gib: float | None = None,
    strict: bool = True,
    prompt_tokens: int | None = None,
    output_tokens: int | None = None,
    concurrency: int | None = None,
) -> CapacityPlan:
    """Size ``model`` on ``gpu`` (catalogue ids or rows).

    ``tp=None`` picks the smallest tensor-parallel size that holds one full-length
    sequence. ``max_model_len=None`` means the model's native context, as in vLLM.
    ``usable_memory_gib`` overrides the catalogue (the launcher passes the measured total).
    With ``strict`` (the default) a plan that does not fit raises LlmFleetError with the
    numbers and what would fit; ``strict=False`` returns it with ``fits=False`` and
    ``problems``. ``prompt_tokens`` / ``output_tokens`` are the typical request the decode
    figures assume (default: serving.traffic's defaults, clipped to ``max_model_len``);
    ``concurrency`` the number of streams the aggregate figure is computed at (default: as
    many as the KV cache holds at that length, up to ``max_num_seqs``).
    """
    arch = get_model(model) if isinstance(model, str) else model
    card = get_gpu(gpu) if isinstance(gpu, str) else gpu
    if tp is None:
        tp = recommend_tp(
            arch,
            card,
            max_model_len=max_model_len,
            kv_cache_dtype=kv_cache_dtype,
            gpu_memory_utilization=gpu_memory_utilization,
            pp=pp,
            quantization=quantization,
            max_num_seqs=max_num_seqs,
            max_num_batched_tokens=max_num_batched_tokens,
            enforce_eager=enforce_eager,
            count_cuda_graphs=count_cuda_graphs,
            usable_memory_gib=usable_memory_gib,
            strict=False,
        )
    plan = _plan(
        arch,
        card,
        tp=tp,
        pp=pp,
        max_model_len=max_model_len,
        kv_cache_dtype=kv_cache_dtype,
        gpu_memory_utilization=gpu_memory_utilization,
        quantization=quantization,
        max_num_seqs=max_num_seqs,
        max_num_batched_tokens=max_num_batched_tokens,
        enforce_eager=enforce_eager,
        count_cuda_graphs=count_cuda_graphs,
        usable_memory_gib=usable_memory_gib,
        prompt_tokens=prompt_tokens,
        output_tokens=output_tokens,
        streams=concurrency,
    )
    if strict and not plan.fits:
        raise LlmFleetError(_explain(plan, arch, card))
    return plan


def _check_inputs(arch: ModelArch, tp: int, pp: int, max_model_len: int, kv_cache_dtype: str, util: float) -> None:
    if kv_cache_dtype not in KV_DTYPE_BYTES:
        raise LlmFleetError(f"kvCacheDtype: '{kv_cache_dtype}' is not allowed (allowed: {', '.join(KV_DTYPE_BYTES)})")
    if not 0.1 <= util <= 0.98:
        raise LlmFleetError(f"gpuMemoryUtilization: {util} is out of range (allowed: 0.1 to 0.98)")
    valid = valid_tp_sizes(arch, limit=64)
    if tp not in valid:
        raise LlmFleetError(
            f"tp: {tp} is not a valid tensor-parallel size for {arch.id} ({arch.attention_heads} attention heads, "
            f"{arch.kv_heads} KV heads; allowed: {', '.join(map(str, valid))})"
        )
    if pp < 1 or pp > arch.layers:
        raise LlmFleetError(f"pp: {pp} is out of range for {arch.id} (allowed: 1 to {arch.layers})")
    if max_model_len < BLOCK_SIZE:
        raise LlmFleetError(
            f"maxModelLen: {max_model_len} is too small (allowed: {BLOCK_SIZE} to {arch.native_context})"
        )
    if max_model_len > arch.native_context:
        raise LlmFleetError(
            f"maxModelLen: {max_model_len:,} exceeds {arch.id}'s native context {arch.native_context:,} "
            f"(max_position_embeddings; allowed: {BLOCK_SIZE} to {arch.native_context})"
        )


def _plan(
    arch: ModelArch,
    card: GpuType,
    *,
    tp: int,
    pp: int,
    max_model_len: int | None,
    kv_cache_dtype: str,
    gpu_memory_utilization: float,
    quantization: str | None,
    max_num_seqs: int | None,
    max_num_batched_tokens: int | None,
    enforce_eager: bool,
    count_cuda_graphs: bool,
    usable_memory_gib: float | None,
    prompt_tokens: int | None = None,
    output_tokens: int | None = None,
    streams: int | None = None,
) -> CapacityPlan:
    length = max_model_len or arch.native_context
    if streams is not None and streams < 1:
        raise LlmFleetError(f"concurrency: {streams} is not allowed (allowed: 1 or more streams)")
    _check_inputs(arch, tp, pp, length, kv_cache_dtype, gpu_memory_utilization)
    default_tokens, default_seqs = vllm_scheduler_defaults(card)
    batched = max_num_batched_tokens or default_tokens
    seqs = max_num_seqs or default_seqs
    usable = usable_memory_gib or card.usable_memory_gib
    gpus = tp * pp
    layers_per_gpu = math.ceil(arch.layers / pp)

    total_weight_bytes, weight_dtype = weight_bytes(arch, quantization)
    weights = total_weight_bytes / gpus
    budget = usable * GIB * gpu_memory_utilization

    experts = arch.moe.experts_per_token if arch.moe else 1
    forward = batched * FORWARD_WIDTH * (arch.intermediate_size * experts / tp + arch.hidden_size) * ACTIVATION_BYTES
    sampler = min(seqs, batched) * arch.vocab_size * 4 * SAMPLER_FP32_COPIES
    activation = max(forward, sampler)
    non_torch = (NON_TORCH_GIB + (NON_TORCH_MULTI_GPU_GIB if gpus > 1 else 0.0)) * GIB
    graphs = 0.0
    if count_cuda_graphs and not enforce_eager:
        capture = min(1.0, 2 * seqs / CUDA_GRAPH_MAX_CAPTURE)
        graphs = CUDA_GRAPH_GIB_PER_LAYER * layers_per_gpu * capture * GIB

    kv_heads_per_gpu = max(1, arch.kv_heads // tp)
    per_token = 2 * layers_per_gpu * kv_heads_per_gpu * arch.head_dim * KV_DTYPE_BYTES[kv_cache_dtype]
    kv_bytes = budget - weights - activation - non_torch - graphs
    kv_blocks = max(0, math.floor(kv_bytes / (BLOCK_SIZE * per_token)))
    kv_tokens = kv_blocks * BLOCK_SIZE
    seq_tokens = _tokens_per_sequence(arch, length)
    concurrency = math.floor(kv_tokens / seq_tokens * 100) / 100  # round down: 0.999x does not fit
    running = max(0, min(seqs, math.floor(concurrency)))

    problems = []
    if kv_bytes <= 0:
        problems.append(
            f"weights {weights / GIB:.2f} GiB + activation {activation / GIB:.2f} GiB + non-torch "
            f"{non_torch / GIB:.2f} GiB + CUDA graphs {graphs / GIB:.2f} GiB per GPU exceed the budget "
            f"{budget / GIB:.2f} GiB ({usable:.2f} GiB x {gpu_memory_utilization})"
        )
    elif concurrency < 1:
        problems.append(
            f"the KV cache ({kv_bytes / GIB:.2f} GiB per GPU) holds {kv_tokens:,} tokens, fewer than one "
            f"sequence of max_model_len {length:,}"
        )

    output = min(output_tokens or DEFAULT_OUTPUT_TOKENS, max(length - 1, 1))
    prompt = max(1, min(prompt_tokens or DEFAULT_PROMPT_TOKENS, length - output))
    server = decode_server(arch, card, tp, pp, weight_dtype, total_weight_bytes, per_token)
    work = Workload(prompt, output)
    traffic_seqs = max(0, min(seqs, math.floor(kv_tokens / _tokens_per_sequence(arch, prompt + output))))
    if streams is not None:
        traffic_seqs = min(traffic_seqs, streams)
    single = estimate(server, 1, work)
    aggregate = estimate(server, traffic_seqs, work) if traffic_seqs else None
    worst_work = Workload(max(1, length - output), output)
    worst = estimate(server, running, worst_work) if running else None
    efficiency, efficiency_source = load_fit().bandwidth_efficiency(card)
    return CapacityPlan(
        model=arch.id,
        gpu=card.id,
        tp=tp,
        pp=pp,
        gpus=gpus,
        max_model_len=length,
        kv_cache_dtype=kv_cache_dtype,
        weight_dtype=weight_dtype,
        quantization=quantization,
        gpu_memory_utilization=gpu_memory_utilization,
        max_num_seqs=seqs,
        max_num_batched_tokens=batched,
        usable_memory_gib_per_gpu=round(usable, 2),
        budget_gib_per_gpu=_gib(budget),
        weights_gib_per_gpu=_gib(weights),
        activation_gib_per_gpu=_gib(activation),
        non_torch_gib_per_gpu=_gib(non_torch),
        cuda_graph_gib_per_gpu=_gib(graphs),
        overhead_gib_per_gpu=_gib(non_torch + graphs),
        kv_cache_gib_per_gpu=_gib(max(kv_bytes, 0.0)),
        kv_bytes_per_token_per_gpu=per_token,
        block_size=BLOCK_SIZE,
        kv_blocks=kv_blocks,
        kv_tokens=kv_tokens,
        max_concurrency=concurrency,
        max_running_seqs=running,
        prompt_tokens=prompt,
        output_tokens=output,
        decode_context_tokens=work.context,
        decode_tokens_per_second=round(single.stream_tokens_per_second, 1),
        traffic_running_seqs=traffic_seqs,
        aggregate_decode_tokens_per_second=round(aggregate.aggregate_tokens_per_second, 1) if aggregate else 0.0,
        aggregate_tpot_ms=round(aggregate.tpot_s * 1000, 2) if aggregate else 0.0,
        worst_case_aggregate_decode_tokens_per_second=round(worst.aggregate_tokens_per_second, 1) if worst else 0.0,
        bandwidth_efficiency=efficiency,
        bandwidth_efficiency_source=efficiency_source,
        fits=not problems,
        problems=problems,
        vllm_version=VLLM_VERSION,
    )


def _gib(value: float) -> float:
    return round(value / GIB, 3)


def _tokens_per_sequence(arch: ModelArch, length: int) -> float:
    """Full-attention-equivalent tokens one sequence of ``length`` occupies.

    Sliding-window layers keep at most ``window`` tokens per sequence (vLLM's hybrid KV
    cache manager), so a gemma-2 sequence longer than its window costs less than ``length``.
    """
    if arch.sliding_window is None:
        return float(length)
    swa = arch.sliding_window
    full = arch.layers - swa.layers
    return (full * length + swa.layers * min(length, swa.window)) / arch.layers


def decode_server(
    arch: ModelArch,
    card: GpuType,
    tp: int,
    pp: int,
    weight_dtype: str,
    total_weight_bytes: int,
    kv_per_token: int,
) -> Server:
    """The decode model's view of one server (sliding-window layers hold fewer KV tokens)."""
    probe = 65536
    return Server(
        arch, card, tp, pp, weight_dtype, total_weight_bytes, kv_per_token, _tokens_per_sequence(arch, probe) / probe
    )


def server_of(plan: CapacityPlan) -> Server:
    """The decode server behind a plan (for traffic sizing)."""
    arch = get_model(plan.model)
    total, dtype = weight_bytes(arch, plan.quantization)
    return decode_server(arch, get_gpu(plan.gpu), plan.tp, plan.pp, dtype, total, plan.kv_bytes_per_token_per_gpu)


def _explain(plan: CapacityPlan, arch: ModelArch, card: GpuType) -> str:
    """The error for a plan that does not fit: the numbers and what would fit."""
    where = f"{arch.id} on {plan.gpus}x {card.id} (tp={plan.tp}, pp={plan.pp}, max_model_len={plan.max_model_len:,})"
    hints = []
    same = {
        "kv_cache_dtype": plan.kv_cache_dtype,
        "gpu_memory_utilization": plan.gpu_memory_utilization,
        "pp": plan.pp,
        "quantization": plan.quantization,
        "max_num_seqs": plan.max_num_seqs,
        "max_num_batched_tokens": plan.max_num_batched_tokens,
        "usable_memory_gib": plan.usable_memory_gib_per_gpu,
    }

    def variant(tp: int, **changes: object) -> CapacityPlan:
        """This plan again at ``tp`` with ``changes`` (CUDA graphs on and counted)."""
        return _plan(
            arch,
            card,
            tp=tp,
            max_model_len=plan.max_model_len,
            enforce_eager=False,
            count_cuda_graphs=True,
            **{**same, **changes},
        )

    if plan.kv_tokens > 0:
        longest = _longest_fitting_len(arch, plan)
        if longest >= BLOCK_SIZE:
            hints.append(f"max_model_len <= {longest:,}")
    for tp in valid_tp_sizes(arch):
        if tp <= plan.tp:
            continue
        bigger = variant(tp)
        if bigger.fits:
            hints.append(f"tp={tp} ({tp * plan.pp}x {card.id}, {bigger.max_concurrency:.2f}x concurrency)")
            break
    if plan.kv_cache_dtype in ("auto", "bfloat16", "float16"):
        fp8 = variant(plan.tp, kv_cache_dtype="fp8")
        if fp8.fits:
            hints.append(f"kv_cache_dtype=fp8 ({fp8.max_concurrency:.2f}x concurrency)")
    if plan.quantization is None and arch.weight_dtype != "fp8":
        for tp in valid_tp_sizes(arch):
            if tp < plan.tp:
                continue
            quantized = variant(tp, quantization="fp8_per_tensor")
            if quantized.fits:
                hints.append(f"quantization=fp8_per_tensor at tp={tp} ({quantized.max_concurrency:.2f}x concurrency)")
                break
    if plan.tp * plan.pp == 8 and not hints:
        staged = variant(plan.tp, pp=2 * plan.pp)
        if staged.fits:
            hints.append(f"pp={2 * plan.pp} across nodes ({staged.gpus}x {card.id})")
    hint = "; would fit with " + " or ".join(hints) if hints else "; nothing up to 8 GPUs of this type fits"
    return f"capacity: {where} does not fit: {'; '.join(plan.problems)}{hint}"


def _longest_fitting_len(arch: ModelArch, plan: CapacityPlan) -> int:
    """Largest max_model_len whose one sequence fits the KV cache (multiple of the block size)."""
    if arch.sliding_window is None:
        return min(plan.kv_tokens, arch.native_context)
    low, high = 0, arch.native_context
    while low < high:
        mid = (low + high + 1) // 2
        if _tokens_per_sequence(arch, mid) <= plan.kv_tokens:
            low = mid
        else:
            high = mid - 1
    return low - low % BLOCK_SIZE


def recommend_tp(
    model: str | ModelArch,
    gpu: str | GpuType,
    *,
    max_model_len: int | None = None,
    target_concurrency: float = 1.0,
    max_gpus: int = 8,
    strict: bool = True,
    **plan_kwargs: object,
) -> int:
    """Smallest valid tensor-parallel size (<= ``max_gpus``) whose plan holds ``target_concurrency``
    sequences of ``max_model_len``. Raises LlmFleetError when none does (with ``strict``)."""
    arch = get_model(model) if isinstance(model, str) else model
    card = get_gpu(gpu) if isinstance(gpu, str) else gpu
    plan_kwargs.pop("tp", None)
    pp = int(plan_kwargs.get("pp", 1) or 1)  # type: ignore[call-overload]
    tried = []
    for tp in valid_tp_sizes(arch, limit=max(1, max_gpus // pp)):
        plan = plan_capacity(arch, card, tp=tp, max_model_len=max_model_len, strict=False, **plan_kwargs)  # type: ignore[arg-type]
        if plan.fits and plan.max_concurrency >= target_concurrency:
            return tp
        tried.append(plan)
    if not strict:
        return tried[-1].tp if tried else 1
    if not tried:
        raise LlmFleetError(f"tp: no valid tensor-parallel size for {arch.id} within {max_gpus} GPUs")
    last = tried[-1]
    detail = "; ".join(last.problems) or f"{last.max_concurrency:.2f}x concurrency < target {target_concurrency}"
    raise LlmFleetError(
        f"capacity: {arch.id} does not fit {card.id} at max_model_len={last.max_model_len:,} with any tensor-parallel "
        f"size up to {last.tp} (at tp={last.tp}: {detail}); use a larger GPU, fp8 weights or KV cache, "
        "or a shorter max_model_len"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m serving.capacity --model M --gpu G ...``: the planner inside the image."""
    parser = argparse.ArgumentParser(prog="python -m serving.capacity", description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="catalogue model id, e.g. llama-3.1-8b")
    parser.add_argument("--gpu", required=True, help="catalogue GPU id, e.g. L40S, H100-80GB")
    parser.add_argument("--tp", type=int, default=None, help="tensor-parallel size (default: smallest that fits)")
    parser.add_argument("--pp", type=int, default=1)
    parser.add_argument("--max-model-len", type=int, default=None)
    parser.add_argument("--kv-cache-dtype", default="auto", choices=list(KV_DTYPE_BYTES))
    parser.add_argument("--gpu-memory-utilization", type=float, default=0.9)
    parser.add_argument("--quantization", default=None)
    parser.add_argument("--max-num-seqs", type=int, default=None)
    parser.add_argument("--prompt-tokens", type=int, default=None, help="typical prompt length (default 1024)")
    parser.add_argument("--output-tokens", type=int, default=None, help="typical output length (default 256)")
    parser.add_argument("--concurrency", type=int, default=None, help="streams for the aggregate decode figure")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    args = parser.parse_args(argv)
    try:
        plan = plan_capacity(
            args.model,
            args.gpu,
            tp=args.tp,
            pp=args.pp,
            max_model_len=args.max_model_len,
            kv_cache_dtype=args.kv_cache_dtype,
            gpu_memory_utilization=args.gpu_memory_utilization,
            quantization=args.quantization,
            max_num_seqs=args.max_num_seqs,
            prompt_tokens=args.prompt_tokens,
            output_tokens=args.output_tokens,
            concurrency=args.concurrency,
        )
    except LlmFleetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    print(plan.to_json() if args.format == "json" else plan.to_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
