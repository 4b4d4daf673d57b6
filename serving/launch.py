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
   read the API key from ``apiKeyFile`` (or ``apiKeyEnv``) and hand it to vLLM as
   ``VLLM_API_KEY`` in vLLM's environment only (never in argv or a log line), and drop a
   ``VLLM_PORT`` that Kubernetes service links injected (vllm#34199);
3. check the staged weights against their sha256 manifest (``requireManifest``; exit 4);
4. preflight the GPUs in a child process with torch: enough GPUs for tp x pp, each with
   ``gpuMemoryUtilization x total`` free, and the capacity plan for the measured memory
   fits (exit 3 with the numbers instead of vLLM's late OOM);
5. ``os.execvpe("vllm", ["vllm", "serve", ...])``: vLLM replaces this process, so it is
   PID 1 and receives SIGTERM directly (``--shutdown-timeout`` drains in-flight requests).

A server wider than one node runs as a LeaderWorkerSet group (``LLMFLEET_GROUP_ROLE`` leader or
worker, ``LLMFLEET_GROUP_SIZE`` pods; the spec says ``distributedExecutorBackend: ray``), one Ray
cluster per group, as in vLLM's "deploying with LWS" guide:

* a worker preflights its own GPUs (tp x pp / group size), waits until the leader's Ray head
  answers at ``$LWS_LEADER_ADDRESS:6379`` and execs ``ray start --address=... --block``: it
  never runs vLLM, and needs neither the API key nor the weights check;
* the leader does steps 1-4, starts the head (``ray start --head --port=6379``), waits until
  all ``LLMFLEET_GROUP_SIZE`` nodes are alive (``groupJoinTimeout``; exit 5 naming how many of
  how many joined), then execs ``vllm serve ... --distributed-executor-backend ray``.

The GPU probe and the Ray node count run in child processes, so this process never creates a
CUDA context or a Ray driver that would outlive the exec. ``main`` takes the probe, the exec and
the Ray calls (``RayControl``) as arguments for tests.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from serving.catalog import GpuType
from serving.errors import LlmFleetError
from serving.spec import ServingSpec
from serving.versions import (
    CACHE_ROOT,
    GROUP_ROLE_ENV,
    GROUP_SIZE_ENV,
    LWS_GROUP_SIZE_ENV,
    LWS_LEADER_ADDRESS_ENV,
    RAY_NODE_MANAGER_PORT,
    RAY_PORT,
    RAY_VERSION,
    SPEC_ENV,
    SPEC_PATH,
)

EXIT_BAD_SPEC = 2
EXIT_PREFLIGHT = 3
EXIT_WEIGHTS = 4
EXIT_GROUP = 5
EXIT_NO_VLLM = 127
"""Also when ``ray`` is not on PATH (a group pod)."""

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
    "RAY_USAGE_STATS_ENABLED": "0",
    "PYTHONUNBUFFERED": "1",
}

RAY_OBJECT_STORE_BYTES = 2 * 2**30
"""Ray's object store per pod, in /dev/shm (a Memory emptyDir charged to the pod): vLLM passes
only scheduler messages through it (tensors go over NCCL), and Ray's default (30% of the pod's
memory) would crowd NCCL out of /dev/shm."""
RAY_POLL_INTERVAL_S = 5.0


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


class GroupError(LlmFleetError):
    exit_code = EXIT_GROUP


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


def prepare_environment(
    spec: ServingSpec, environ: Mapping[str, str], log: Callable[[str], None], *, api_key: bool = True
) -> dict[str, str]:
    """The environment vLLM (or a group worker's Ray) runs with: writable caches, offline hub,
    no telemetry, and the API key as VLLM_API_KEY (``api_key=False``: no key at all)."""
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
    if not api_key:
        env.pop("VLLM_API_KEY", None)
        if spec.api_key_env:
            env.pop(spec.api_key_env, None)
        return env
    if spec.api_key_file:
        env["VLLM_API_KEY"] = read_api_key(spec.api_key_file)
    elif spec.api_key_env:
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


def read_api_key(path: str) -> str:
    """The key in ``path`` without its trailing newline; errors name the path, never the content."""
    try:
        key = Path(path).read_text(encoding="utf-8").rstrip("\r\n")
    except FileNotFoundError:
        raise LlmFleetError(
            f"apiKeyFile: {path} does not exist; mount the API key Secret there (a secret volume, readOnly) or "
            "drop apiKeyFile"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
        raise LlmFleetError(
            f"apiKeyFile: cannot read {path} ({reason}); the Secret volume must be readable by the server's "
            "group (defaultMode 0440 with fsGroup 0)"
        ) from None
    if not key.strip():
        raise LlmFleetError(f"apiKeyFile: {path} is empty; the API key Secret has no value under this key")
    return key


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


# -- multi-node groups (LeaderWorkerSet + Ray) ------------------------------------------------

_HOSTNAME = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$")


@dataclass(frozen=True)
class Group:
    """This pod's place in a LeaderWorkerSet group."""

    role: Literal["leader", "worker"]
    size: int
    leader_address: str | None
    """``LWS_LEADER_ADDRESS`` (the leader pod's DNS name); required on a worker."""

    def gpus_per_pod(self, spec: ServingSpec) -> int:
        return spec.gpus // self.size


def group_from_env(environ: Mapping[str, str], spec: ServingSpec) -> Group | None:
    """The group this pod belongs to, or None for a one-pod server. Errors (exit 2) name the variable."""
    role = environ.get(GROUP_ROLE_ENV, "").strip()
    lws_size = environ.get(LWS_GROUP_SIZE_ENV, "").strip()
    if role in ("", "server"):
        if lws_size not in ("", "1"):
            raise LlmFleetError(
                f"{GROUP_ROLE_ENV}: {repr(role) if role else 'unset'}, but {LWS_GROUP_SIZE_ENV} is {lws_size}: every "
                "pod of a LeaderWorkerSet group would start a whole server; set it to leader (leaderTemplate) or "
                "worker (workerTemplate)"
            )
        return None
    if role not in ("leader", "worker"):
        raise LlmFleetError(f"{GROUP_ROLE_ENV}: '{role}' is not allowed (allowed: leader, worker, server or unset)")
    raw = environ.get(GROUP_SIZE_ENV, "").strip() or lws_size
    if not raw.isdigit():
        raise LlmFleetError(
            f"{GROUP_SIZE_ENV}: '{raw}' is not a pod count; a {role} needs the group's size (the LeaderWorkerSet's "
            f"leaderWorkerTemplate.size, also in {LWS_GROUP_SIZE_ENV})"
        )
    size = int(raw)
    if lws_size and lws_size != raw:
        raise LlmFleetError(
            f"{GROUP_SIZE_ENV}: {raw} disagrees with {LWS_GROUP_SIZE_ENV} {lws_size} set by the LeaderWorkerSet "
            "controller; render the workload and the spec from the same placement"
        )
    if size < 2:
        raise LlmFleetError(
            f"{GROUP_SIZE_ENV}: {size} is not a group (at least 2 pods); a one-pod server runs without "
            f"{GROUP_ROLE_ENV}"
        )
    if spec.distributed_executor_backend != "ray":
        raise LlmFleetError(
            f"distributedExecutorBackend: a {size}-pod group runs vLLM on one Ray cluster, so it must be 'ray' "
            f"(got {json.dumps(spec.distributed_executor_backend)})"
        )
    if spec.gpus % size:
        raise LlmFleetError(
            f"{GROUP_SIZE_ENV}: tensorParallelSize x pipelineParallelSize = {spec.gpus} GPUs do not split evenly "
            f"over {size} pods"
        )
    leader = environ.get(LWS_LEADER_ADDRESS_ENV, "").strip() or None
    if role == "worker":
        if leader is None:
            raise LlmFleetError(
                f"{LWS_LEADER_ADDRESS_ENV}: unset; a worker joins the Ray head of its group's leader at this "
                "address, which the LeaderWorkerSet controller sets in every pod of a group"
            )
        if not _HOSTNAME.match(leader):
            raise LlmFleetError(
                f"{LWS_LEADER_ADDRESS_ENV}: '{leader}' is not a host name or IPv4 address (no scheme, no port)"
            )
    return Group(role=role, size=size, leader_address=leader)


RAY_NON_CARRY_OVER_FILE = "ray_non_carry_over_env_vars.json"
"""vLLM copies its registered variables (VLLM_API_KEY among them) from the driver to every Ray
actor unless ``$VLLM_CONFIG_ROOT/ray_non_carry_over_env_vars.json`` lists them (vllm/ray/ray_env.py)."""


def keep_key_off_ray_workers(env: MutableMapping[str, str]) -> None:
    """List VLLM_API_KEY in vLLM's non-carry-over file: only the leader's API server needs the key."""
    root = Path(env.get("VLLM_CONFIG_ROOT") or Path(env["XDG_CONFIG_HOME"]) / "vllm")
    env["VLLM_CONFIG_ROOT"] = str(root)
    path = root / RAY_NON_CARRY_OVER_FILE
    try:
        names = set(json.loads(path.read_text(encoding="utf-8"))) if path.exists() else set()
    except (OSError, ValueError, TypeError):
        names = set()
    root.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(sorted(names | {"VLLM_API_KEY"})), encoding="utf-8")


def ray_head_argv(gpus: int, *, port: int = RAY_PORT, node_manager_port: int = RAY_NODE_MANAGER_PORT) -> list[str]:
    """``ray start --head``: returns once the head's processes run in the background."""
    return [
        "ray", "start", "--head",
        f"--port={port}",
        f"--node-manager-port={node_manager_port}",
        f"--num-gpus={gpus}",
        f"--object-store-memory={RAY_OBJECT_STORE_BYTES}",
        "--include-dashboard=false",
        "--disable-usage-stats",
    ]  # fmt: skip


def ray_worker_argv(
    leader_address: str, gpus: int, *, port: int = RAY_PORT, node_manager_port: int = RAY_NODE_MANAGER_PORT
) -> list[str]:
    """``ray start --address=<leader>:6379 --block``: the worker pod's main process from then on."""
    return [
        "ray", "start",
        f"--address={leader_address}:{port}",
        f"--node-manager-port={node_manager_port}",
        f"--num-gpus={gpus}",
        f"--object-store-memory={RAY_OBJECT_STORE_BYTES}",
        "--disable-usage-stats",
        "--block",
    ]  # fmt: skip


_RAY_NODES = r"""
import json, sys
try:
    import ray
    ray.init(address="auto", logging_level="ERROR", log_to_driver=False)
    print(json.dumps({"alive": sum(1 for node in ray.nodes() if node.get("Alive"))}))
except Exception as exc:
    print(json.dumps({"error": repr(exc)[:300]}))
"""


class RayControl:
    """The Ray and process calls of a group pod; tests pass a subclass that fakes them."""

    def __init__(self, python: str = sys.executable, ray: str = "ray", poll_timeout: float = 60.0) -> None:
        self.python = python
        self.ray = ray
        self.poll_timeout = poll_timeout

    def start_head(self, argv: list[str], env: Mapping[str, str]) -> None:
        """Run ``ray start --head``; its output goes to the pod's log. FileNotFoundError: no ray."""
        done = subprocess.run(
            [self.ray, *argv[1:]], env=dict(env), stdout=sys.stderr, stderr=sys.stderr, timeout=300, check=False
        )
        if done.returncode != 0:
            raise GroupError(f"group: `{' '.join(argv)}` failed (exit {done.returncode}); its output is above")

    def alive_nodes(self, env: Mapping[str, str]) -> int:
        """Alive nodes of the local Ray cluster, counted by a short-lived driver in a child process."""
        try:
            done = subprocess.run(
                [self.python, "-c", _RAY_NODES],
                env=dict(env), capture_output=True, text=True, timeout=self.poll_timeout, check=False,
            )  # fmt: skip
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise GroupError(f"group: counting the Ray nodes failed: {exc}") from None
        lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
        result = json.loads(lines[-1]) if lines else {"error": (done.stderr.strip().splitlines() or ["no output"])[-1]}
        if "alive" not in result:
            raise GroupError(f"group: counting the Ray nodes failed: {result['error']}")
        return int(result["alive"])

    def reachable(self, host: str, port: int) -> bool:
        """Whether ``host:port`` accepts a TCP connection (False while its DNS name does not resolve)."""
        try:
            with socket.create_connection((host, port), timeout=3):
                return True
        except OSError:
            return False

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)

    def clock(self) -> float:
        return time.monotonic()


def wait_for_nodes(ray: RayControl, want: int, timeout: float, env: Mapping[str, str], log: Callable[[str], None]) -> None:
    """Poll the head until ``want`` nodes are alive; GroupError naming how many joined after ``timeout``."""
    deadline = ray.clock() + timeout
    alive, last_error, reported = 0, "", -1
    while True:
        try:
            alive, last_error = ray.alive_nodes(env), ""
        except GroupError as exc:
            last_error = str(exc)
        if alive >= want:
            log(f"group: {alive} of {want} nodes joined the Ray head")
            return
        if alive != reported:
            log(f"group: {alive} of {want} nodes joined the Ray head; waiting up to {timeout:g} s")
            reported = alive
        if ray.clock() >= deadline:
            detail = f" (last poll: {last_error})" if last_error else ""
            raise GroupError(
                f"group: only {alive} of {want} nodes joined the Ray head within groupJoinTimeout {timeout:g} s"
                f"{detail}; check the worker pods' logs, that each has its GPUs, and that the group's pods reach "
                f"each other (NetworkPolicy)"
            )
        ray.sleep(RAY_POLL_INTERVAL_S)


def wait_for_head(
    ray: RayControl, host: str, timeout: float, log: Callable[[str], None], *, port: int = RAY_PORT
) -> None:
    """Wait until the leader's Ray head accepts connections; GroupError after ``timeout``."""
    deadline = ray.clock() + timeout
    log(f"group: waiting up to {timeout:g} s for the leader's Ray head at {host}:{port}")
    while not ray.reachable(host, port):
        if ray.clock() >= deadline:
            raise GroupError(
                f"group: the leader's Ray head at {host}:{port} did not answer within groupJoinTimeout "
                f"{timeout:g} s; check the leader pod's log (it starts the head after its weights check and "
                "GPU preflight)"
            )
        ray.sleep(RAY_POLL_INTERVAL_S)


# -- serving ------------------------------------------------------------------------------------


def serve(
    spec_path: str,
    *,
    environ: MutableMapping[str, str] | None = None,
    gpu_probe: GpuProbe = probe_gpus,
    exec_fn: Exec = os.execvpe,
    log: Callable[[str], None] | None = None,
    ray: RayControl | None = None,
) -> int:
    out = log or _log
    environ = os.environ if environ is None else environ
    spec = ServingSpec.from_file(spec_path)
    group = group_from_env(environ, spec)
    if group is not None and group.role == "worker":
        return _serve_worker(spec, group, environ, gpu_probe, exec_fn, out, ray or RayControl())
    env = prepare_environment(spec, environ, out)
    check_weights(spec, env, out)
    if group is None:
        preflight(spec, gpu_probe(), out)
    else:
        ray = ray or RayControl()
        gpus = group.gpus_per_pod(spec)
        preflight(spec, gpu_probe(), out, group_size=group.size)
        head = ray_head_argv(gpus)
        # Ray's daemons and the node-count driver never see the key; vLLM's driver keeps it to itself.
        ray_env = {k: v for k, v in env.items() if k != "VLLM_API_KEY"}
        keep_key_off_ray_workers(env)
        out(f"launch: group leader ({group.size} pods, {gpus} GPUs each): {' '.join(head)}")
        try:
            ray.start_head(head, ray_env)
        except FileNotFoundError:
            return _missing("ray", out)
        wait_for_nodes(ray, group.size, spec.group_join_timeout, ray_env, out)
    argv = spec.to_vllm_argv()
    out(f"launch: exec {' '.join(argv)}")
    try:
        exec_fn(argv[0], argv, env)
    except FileNotFoundError:
        return _missing("vllm", out)
    return 0


def _serve_worker(
    spec: ServingSpec,
    group: Group,
    environ: Mapping[str, str],
    gpu_probe: GpuProbe,
    exec_fn: Exec,
    out: Callable[[str], None],
    ray: RayControl,
) -> int:
    """A group worker: its own GPUs, then ``ray start --block`` as PID 1; never vLLM, never the key."""
    env = prepare_environment(spec, environ, out, api_key=False)
    preflight(spec, gpu_probe(), out, group_size=group.size)
    assert group.leader_address is not None  # group_from_env requires it of a worker
    wait_for_head(ray, group.leader_address, spec.group_join_timeout, out)
    argv = ray_worker_argv(group.leader_address, group.gpus_per_pod(spec))
    out(f"launch: group worker ({group.size} pods): exec {' '.join(argv)}")
    try:
        exec_fn(argv[0], argv, env)
    except FileNotFoundError:
        return _missing("ray", out)
    return 0


def _missing(binary: str, out: Callable[[str], None]) -> int:
    installs = {"vllm": "", "ray": f" (serving/Dockerfile installs ray=={RAY_VERSION})"}
    out(f"error: launch: '{binary}' is not on PATH; the launcher runs inside the serving image{installs[binary]}")
    return EXIT_NO_VLLM


def _log(line: str) -> None:
    print(f"llm-fleet {line}", file=sys.stderr, flush=True)


def main(
    argv: Sequence[str] | None = None,
    *,
    environ: MutableMapping[str, str] | None = None,
    gpu_probe: GpuProbe = probe_gpus,
    exec_fn: Exec = os.execvpe,
    log: Callable[[str], None] | None = None,
    ray: RayControl | None = None,
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
        return serve(spec_path, environ=environ, gpu_probe=gpu_probe, exec_fn=exec_fn, log=log, ray=ray)
    except LlmFleetError as exc:
        (log or _log)(f"error: {exc}")
        return exc.exit_code


if __name__ == "__main__":
    sys.exit(main())
