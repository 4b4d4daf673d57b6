"""The image entrypoint: read the ServingSpec, preflight the GPUs, then exec ``vllm serve``.

    python -m serving.launch                      # serve (the container's default)
    python -m serving.launch --spec PATH          # another spec file (default: $LLMFLEET_SPEC,
                                                  # else /etc/llm-fleet/spec.json)
    python -m serving.launch --print-argv         # validate and print the vLLM argv; no GPU needed
    python -m serving.launch stage --source ...   # the model staging Job (serving.stage)

Serving, in order:

1. read and validate the spec (exit 2 with one line naming the key on a bad spec);
2. set HOME and every cache variable to writable directories under ``$LLMFLEET_CACHE_ROOT``
   (default /var/cache/llm-fleet, an emptyDir or PVC), force offline/no-telemetry settings,
   hand the API key from ``apiKeyEnv`` to vLLM as ``VLLM_API_KEY`` (never in argv), and drop
   a ``VLLM_PORT`` that Kubernetes service links injected (vllm#34199);
3. check the staged weights against their sha256 manifest (``requireManifest``; exit 4);
4. preflight the GPUs in a child process with torch: enough GPUs for tp x pp, each with
   ``gpuMemoryUtilization x total`` free, and the capacity plan for the measured memory
   fits (exit 3 with the numbers instead of vLLM's late OOM);
5. ``os.execvpe("vllm", ["vllm", "serve", ...])``: vLLM replaces this process, so it is
   PID 1 and receives SIGTERM directly (``--shutdown-timeout`` drains in-flight requests).

The GPU probe runs in a child process so that this process never creates a CUDA context
that would outlive the exec. ``main`` takes the probe and the exec as arguments for tests.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from serving.catalog import GpuType
from serving.errors import LlmFleetError
from serving.spec import ServingSpec
from serving.versions import CACHE_ROOT, SPEC_ENV, SPEC_PATH

EXIT_BAD_SPEC = 2
EXIT_PREFLIGHT = 3
EXIT_WEIGHTS = 4
EXIT_NO_VLLM = 127

CACHE_ROOT_ENV = "LLMFLEET_CACHE_ROOT"
CACHE_DIRS: dict[str, str] = {
    "HOME": "home",
    "XDG_CACHE_HOME": "cache",
    "XDG_CONFIG_HOME": "config",
    "HF_HOME": "huggingface",
    "VLLM_CACHE_ROOT": "vllm",
    "TRITON_CACHE_DIR": "triton",
    "TORCHINDUCTOR_CACHE_DIR": "torchinductor",
    "TORCH_HOME": "torch",
    "CUDA_CACHE_PATH": "nv",
    "NUMBA_CACHE_DIR": "numba",
    "OUTLINES_CACHE_DIR": "outlines",
}
"""Variable -> sub-directory of the cache root. An existing value that is a writable directory is kept."""

FORCED_ENV: dict[str, str] = {
    "VLLM_NO_USAGE_STATS": "1",
    "DO_NOT_TRACK": "1",
    "VLLM_DO_NOT_TRACK": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "PYTHONUNBUFFERED": "1",
}


@dataclass(frozen=True)
class GpuInfo:
    index: int
    name: str
    total_bytes: int
    free_bytes: int


class PreflightError(LlmFleetError):
    exit_code = EXIT_PREFLIGHT


class WeightsError(LlmFleetError):
    exit_code = EXIT_WEIGHTS


GpuProbe = Callable[[], list[GpuInfo]]
Exec = Callable[[str, list[str], Mapping[str, str]], object]

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


def preflight(spec: ServingSpec, gpus: list[GpuInfo], log: Callable[[str], None]) -> None:
    """Enough GPUs, enough free memory on each, and a capacity plan that fits the measured memory."""
    need = spec.gpus
    if len(gpus) < need:
        raise PreflightError(
            f"preflight: the spec needs tensorParallelSize x pipelineParallelSize = {need} GPUs, "
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
        raise PreflightError(f"preflight: {spec.architecture} on {need}x {smallest.name}: {'; '.join(plan.problems)}")


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


def prepare_environment(spec: ServingSpec, environ: Mapping[str, str], log: Callable[[str], None]) -> dict[str, str]:
    """The environment vLLM runs with: writable caches, offline hub, no telemetry, API key by env."""
    env = dict(environ)
    root = _writable_root(env.get(CACHE_ROOT_ENV, CACHE_ROOT), log)
    for var, sub in CACHE_DIRS.items():
        current = env.get(var)
        if current and Path(current).is_dir() and os.access(current, os.W_OK | os.X_OK):
            continue
        path = root / sub
        path.mkdir(parents=True, exist_ok=True)
        env[var] = str(path)
    env.update(FORCED_ENV)
    offline = "1" if spec.hf_hub_offline else "0"
    env["HF_HUB_OFFLINE"] = offline
    env["TRANSFORMERS_OFFLINE"] = offline
    port = env.get("VLLM_PORT")
    if port is not None and not port.isdigit():
        log("launch: dropping VLLM_PORT injected by a Kubernetes service link (set enableServiceLinks: false)")
        del env["VLLM_PORT"]
    if spec.api_key_env:
        key = env.get(spec.api_key_env, "")
        if not key:
            raise LlmFleetError(
                f"apiKeyEnv: environment variable {spec.api_key_env} is empty or unset; mount the API key Secret "
                f"as {spec.api_key_env} or drop apiKeyEnv"
            )
        env["VLLM_API_KEY"] = key
        if spec.api_key_env != "VLLM_API_KEY":
            del env[spec.api_key_env]
    return env


def _writable(path: Path) -> bool:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError:
        return False
    return os.access(path, os.W_OK | os.X_OK)


def _writable_root(wanted: str, log: Callable[[str], None]) -> Path:
    root = Path(wanted)
    if _writable(root):
        return root
    fallback = Path(tempfile.gettempdir()) / "llm-fleet"
    log(f"launch: {root} is not writable; caches go to {fallback} (mount an emptyDir or PVC at {root})")
    fallback.mkdir(parents=True, exist_ok=True)
    return fallback


def check_weights(spec: ServingSpec, env: Mapping[str, str], log: Callable[[str], None]) -> None:
    if not spec.require_manifest:
        log("launch: requireManifest is false; staged weights are not checked")
        return
    if spec.is_hub_id:
        log(f"launch: {spec.model} is a Hub id; no staging manifest to check")
        return
    from serving.stage import verify_staged

    try:
        manifest = verify_staged(
            spec.model,
            revision=spec.revision,
            manifest_sha256=spec.manifest_sha256,
            endpoint_url=env.get("AWS_ENDPOINT_URL_S3") or env.get("AWS_ENDPOINT_URL"),
        )
    except LlmFleetError as exc:
        raise WeightsError(str(exc)) from None
    log(f"launch: weights verified against manifest: {len(manifest.files)} files, revision {manifest.revision}")


def serve(
    spec_path: str,
    *,
    environ: MutableMapping[str, str] | None = None,
    gpu_probe: GpuProbe = probe_gpus,
    exec_fn: Exec = os.execvpe,
    log: Callable[[str], None] | None = None,
) -> int:
    out = log or _log
    environ = os.environ if environ is None else environ
    spec = ServingSpec.from_file(spec_path)
    env = prepare_environment(spec, environ, out)
    check_weights(spec, env, out)
    preflight(spec, gpu_probe(), out)
    argv = spec.to_vllm_argv()
    out(f"launch: exec {' '.join(argv)}")
    try:
        exec_fn(argv[0], argv, env)
    except FileNotFoundError:
        out("error: launch: 'vllm' is not on PATH; the launcher runs inside the serving image")
        return EXIT_NO_VLLM
    return 0


def _log(line: str) -> None:
    print(f"llm-fleet {line}", file=sys.stderr, flush=True)


def main(
    argv: Sequence[str] | None = None,
    *,
    environ: MutableMapping[str, str] | None = None,
    gpu_probe: GpuProbe = probe_gpus,
    exec_fn: Exec = os.execvpe,
    log: Callable[[str], None] | None = None,
) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["stage"]:
        from serving.stage import main as stage_main

        return stage_main(args[1:])
    if args[:1] == ["serve"]:
        args = args[1:]
    env_view = os.environ if environ is None else environ
    spec_path = env_view.get(SPEC_ENV, SPEC_PATH)
    print_only = False
    while args:
        arg = args.pop(0)
        if arg == "--spec" and args:
            spec_path = args.pop(0)
        elif arg.startswith("--spec="):
            spec_path = arg.split("=", 1)[1]
        elif arg == "--print-argv":
            print_only = True
        elif arg in ("-h", "--help"):
            print(__doc__)
            return 0
        else:
            (log or _log)(
                f"error: launch: unknown argument '{arg}' (allowed: [serve] [--spec PATH] [--print-argv], or stage ...)"
            )
            return EXIT_BAD_SPEC
    try:
        if print_only:
            print(json.dumps(ServingSpec.from_file(spec_path).to_vllm_argv()))
            return 0
        return serve(spec_path, environ=environ, gpu_probe=gpu_probe, exec_fn=exec_fn, log=log)
    except LlmFleetError as exc:
        (log or _log)(f"error: {exc}")
        return exc.exit_code


if __name__ == "__main__":
    sys.exit(main())
