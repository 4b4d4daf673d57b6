"""GPU preflight: which GPUs torch sees (in a child process) and whether the spec fits them.

The probe runs in a child process so the launcher never creates a CUDA context that would
outlive it. Failures exit 3 with the numbers instead of vLLM's late out-of-memory error.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from serving.catalog import GpuType
from serving.errors import LlmFleetError
from serving.spec import ServingSpec

EXIT_PREFLIGHT = 3


@dataclass(frozen=True)
class GpuInfo:
    index: int
    name: str
    total_bytes: int
    free_bytes: int


class PreflightError(LlmFleetError):
    exit_code = EXIT_PREFLIGHT


GpuProbe = Callable[[], list[GpuInfo]]

_PROBE = r"""
import json, sys
try:
    import torch
except Exception as exc:
    print(json.dumps({"error": "no-torch", "detail": repr(exc)})); sys.exit(0)
if not torch.cuda.is_available():
    print(json.dumps({"error": "no-cuda", "detail": "torch.cuda.is_available() is False",
                      "torch": torch.__version__, "cuda": torch.version.cuda})); sys.exit(0)
gpus = []
for i in range(torch.cuda.device_count()):
    free, total = torch.cuda.mem_get_info(i)
    gpus.append({"index": i, "name": torch.cuda.get_device_name(i), "total": total, "free": free})
print(json.dumps({"gpus": gpus}))
"""


def probe_gpus(python: str = sys.executable, timeout: float = 180.0) -> list[GpuInfo]:
    """Ask torch, in a child process, which GPUs are visible and how much memory each has free."""
    try:
        done = subprocess.run([python, "-c", _PROBE], capture_output=True, text=True, timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise PreflightError(f"preflight: the GPU probe did not run: {exc}") from None
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        raise PreflightError(f"preflight: the GPU probe failed (exit {done.returncode}): {tail[0]}")
    result = json.loads(lines[-1])
    visible = os.environ.get("CUDA_VISIBLE_DEVICES", os.environ.get("NVIDIA_VISIBLE_DEVICES", "(unset)"))
    if result.get("error") == "no-torch":
        raise PreflightError(
            "preflight: torch is not importable here, so the GPUs cannot be checked; the launcher runs in the "
            f"serving image (vLLM ships torch) ({result['detail']})"
        )
    if result.get("error") == "no-cuda":
        raise PreflightError(
            "preflight: no CUDA GPU is visible (torch.cuda.is_available() is False; "
            f"torch {result.get('torch')}, CUDA {result.get('cuda')}, CUDA_VISIBLE_DEVICES={visible}); the pod "
            "must request nvidia.com/gpu and run on a GPU node whose driver supports the image's CUDA"
        )
    return [GpuInfo(g["index"], g["name"], int(g["total"]), int(g["free"])) for g in result["gpus"]]


def preflight(spec: ServingSpec, gpus: list[GpuInfo], log: Callable[[str], None], *, group_size: int = 1) -> None:
    """Enough GPUs, enough free memory on each, and a capacity plan that fits the measured memory.

    In a group of ``group_size`` pods each pod checks its own share: tp x pp / group_size GPUs.
    """
    need = spec.gpus // group_size
    if len(gpus) < need:
        share = "" if group_size == 1 else f", {need} on each of the group's {group_size} pods"
        raise PreflightError(
            f"preflight: the spec needs tensorParallelSize x pipelineParallelSize = {spec.gpus} GPUs{share}, "
            f"{len(gpus)} visible ({', '.join(g.name for g in gpus) or 'none'}); request nvidia.com/gpu: {need}"
        )
    gib = 2**30
    for gpu in gpus[:need]:
        wanted = gpu.total_bytes * spec.gpu_memory_utilization
        log(
            f"preflight: GPU {gpu.index} {gpu.name}: {gpu.free_bytes / gib:.2f} GiB free of "
            f"{gpu.total_bytes / gib:.2f} GiB; vLLM will take {wanted / gib:.2f} GiB"
        )
        if gpu.free_bytes < wanted:
            raise PreflightError(
                f"preflight: GPU {gpu.index} ({gpu.name}) has {gpu.free_bytes / gib:.2f} GiB free of "
                f"{gpu.total_bytes / gib:.2f} GiB, less than gpuMemoryUtilization {spec.gpu_memory_utilization} x "
                f"total = {wanted / gib:.2f} GiB: another process holds GPU memory, or lower gpuMemoryUtilization "
                f"to at most {max(0.1, int(gpu.free_bytes / gpu.total_bytes * 100) / 100):.2f}"
            )
    if spec.architecture is None:
        log("preflight: no architecture in the spec; capacity check skipped (vLLM profiles memory itself)")
        return
    from serving.capacity import plan_capacity
    from serving.catalog import get_gpu, list_gpus

    smallest = min(gpus[:need], key=lambda g: g.total_bytes)
    card = get_gpu(spec.gpu) if spec.gpu else _match_gpu(smallest.name, list_gpus(include_calibration=True))
    if card is None:
        log(f"preflight: GPU '{smallest.name}' is not in the catalogue; capacity check skipped")
        return
    plan = plan_capacity(
        spec.architecture,
        card,
        tp=spec.tensor_parallel_size,
        pp=spec.pipeline_parallel_size,
        max_model_len=spec.max_model_len,
        kv_cache_dtype=spec.kv_cache_dtype,
        gpu_memory_utilization=spec.gpu_memory_utilization,
        quantization=_planned_quantization(spec),
        max_num_seqs=spec.max_num_seqs,
        max_num_batched_tokens=spec.max_num_batched_tokens,
        enforce_eager=spec.enforce_eager,
        usable_memory_gib=smallest.total_bytes / gib,
        strict=False,
    )
    log(
        f"preflight: planned per GPU: weights {plan.weights_gib_per_gpu:.2f} GiB, activation "
        f"{plan.activation_gib_per_gpu:.2f} GiB, overhead {plan.overhead_gib_per_gpu:.2f} GiB, KV cache "
        f"{plan.kv_cache_gib_per_gpu:.2f} GiB = {plan.kv_tokens:,} tokens, {plan.max_concurrency:.2f}x at "
        f"{plan.max_model_len:,} tokens"
    )
    if not plan.fits:
        raise PreflightError(
            f"preflight: {spec.architecture} on {spec.gpus}x {smallest.name}: {'; '.join(plan.problems)}"
        )


def _planned_quantization(spec: ServingSpec) -> str | None:
    return spec.quantization if spec.quantization in ("fp8_per_tensor", "fp8_per_block", "fp8_per_channel") else None


def _match_gpu(device_name: str, cards: Sequence[GpuType]) -> GpuType | None:
    """The catalogue GPU whose product label starts the CUDA device name ("NVIDIA H100 80GB HBM3")."""
    words = device_name.lower().replace("-", " ").split()
    best: GpuType | None = None
    for card in cards:
        label = card.product_label.lower().replace("-", " ").split()
        if words[: len(label)] == label and (best is None or len(label) > len(best.product_label.split("-"))):
            best = card
    return best
