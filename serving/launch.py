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
import sys
from collections.abc import Callable, Mapping, MutableMapping, Sequence

from serving.environment import CACHE_DIRS, CACHE_ROOT_ENV, FORCED_ENV, prepare_environment, read_api_key
from serving.errors import LlmFleetError
from serving.group import (
    EXIT_GROUP,
    RAY_NON_CARRY_OVER_FILE,
    RAY_OBJECT_STORE_BYTES,
    RAY_POLL_INTERVAL_S,
    Group,
    GroupError,
    RayControl,
    group_from_env,
    keep_key_off_ray_workers,
    ray_head_argv,
    ray_worker_argv,
    wait_for_head,
    wait_for_nodes,
)
from serving.preflight import EXIT_PREFLIGHT, GpuInfo, GpuProbe, PreflightError, preflight, probe_gpus
from serving.spec import ServingSpec
from serving.versions import RAY_VERSION, SPEC_ENV, SPEC_PATH

__all__ = [  # the launcher's parts, re-exported for callers and tests that import them from here
    "CACHE_DIRS",
    "CACHE_ROOT_ENV",
    "EXIT_BAD_SPEC",
    "EXIT_GROUP",
    "EXIT_NO_VLLM",
    "EXIT_PREFLIGHT",
    "EXIT_WEIGHTS",
    "FORCED_ENV",
    "RAY_NON_CARRY_OVER_FILE",
    "RAY_OBJECT_STORE_BYTES",
    "RAY_POLL_INTERVAL_S",
    "GpuInfo",
    "Group",
    "GroupError",
    "PreflightError",
    "RayControl",
    "WeightsError",
    "check_weights",
    "group_from_env",
    "keep_key_off_ray_workers",
    "main",
    "preflight",
    "prepare_environment",
    "probe_gpus",
    "ray_head_argv",
    "ray_worker_argv",
    "read_api_key",
    "serve",
    "wait_for_head",
    "wait_for_nodes",
]  # fmt: skip

EXIT_BAD_SPEC = 2
EXIT_WEIGHTS = 4
EXIT_NO_VLLM = 127
"""Also when ``ray`` is not on PATH (a group pod)."""


class WeightsError(LlmFleetError):
    exit_code = EXIT_WEIGHTS


Exec = Callable[[str, list[str], Mapping[str, str]], object]


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
