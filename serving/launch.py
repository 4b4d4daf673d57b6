"""The image entrypoint: read the ServingSpec, preflight the GPUs, then run ``vllm serve`` behind a drain proxy.

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
5. run ``vllm serve ...`` as a child on loopback (``127.0.0.1:8001``) and the drain proxy on the
   spec's port, staying PID 1 (serving.supervisor): on SIGTERM new requests get 503 with
   Retry-After, those in flight run on for ``shutdownTimeout`` seconds, what is still running
   then ends with an error (never silently), and the process exits within
   serving.supervisor.stop_budget_s. vLLM alone cuts streams silently at its deadline and
   answers 500 while draining (serving.drain_proxy says what was measured).

``LLMFLEET_TEST_ON_CPU=1`` (the test switch, CI only) skips the GPU preflight so vLLM's CPU build
can serve a tiny model on a machine without GPUs; the launcher refuses it inside Kubernetes
(``KUBERNETES_SERVICE_HOST`` is set in every pod) and policy rule K8S-18 fails any pod template
that sets it.

A server wider than one node runs as a LeaderWorkerSet group (``LLMFLEET_GROUP_ROLE`` leader or
worker, ``LLMFLEET_GROUP_SIZE`` pods; the spec says ``distributedExecutorBackend: ray``), one Ray
cluster per group, as in vLLM's "deploying with LWS" guide:

* a worker preflights its own GPUs (tp x pp / group size), waits until the leader's Ray head
  answers at ``$LWS_LEADER_ADDRESS:6379`` and execs ``ray start --address=... --block``: it
  never runs vLLM, and needs neither the API key nor the weights check;
* the leader does steps 1-4, starts the head (``ray start --head --port=6379``), waits until
  all ``LLMFLEET_GROUP_SIZE`` nodes are alive (``groupJoinTimeout``; exit 5 naming how many of
  how many joined), then runs ``vllm serve ... --distributed-executor-backend ray`` as in step 5.

The GPU probe and the Ray node count run in child processes, so this process never holds a
CUDA context or a Ray driver. ``main`` takes the probe, the exec (a worker's ``ray start``), the
run (vLLM behind the proxy) and the Ray calls (``RayControl``) as arguments for tests.
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
from serving.supervisor import Serving, backend_argv
from serving.versions import BACKEND_PORT, BACKEND_PORT_ENV, CPU_TEST_ENV, RAY_VERSION, SPEC_ENV, SPEC_PATH

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
Run = Callable[[list[str], Mapping[str, str], Serving, Callable[[str], None]], int]
"""Runs vLLM (argv, environment) behind the drain proxy until it stops; returns the exit status."""


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
    run_fn: Run | None = None,
    log: Callable[[str], None] | None = None,
    ray: RayControl | None = None,
) -> int:
    out = log or _log
    environ = os.environ if environ is None else environ
    spec = ServingSpec.from_file(spec_path)
    on_cpu = cpu_test_switch(environ, out)
    group = group_from_env(environ, spec)
    if group is not None and group.role == "worker":
        return _serve_worker(spec, group, environ, gpu_probe, exec_fn, out, ray or RayControl(), on_cpu)
    port = _backend_port(environ)
    if port == spec.port:
        raise LlmFleetError(
            f"port: {spec.port} is where vLLM listens behind the launcher's drain proxy ({BACKEND_PORT_ENV} or "
            f"{BACKEND_PORT}); give the spec another port"
        )
    env = prepare_environment(spec, environ, out)
    check_weights(spec, env, out)
    if group is None:
        if not on_cpu:
            preflight(spec, gpu_probe(), out)
    else:
        ray = ray or RayControl()
        gpus = group.gpus_per_pod(spec)
        if not on_cpu:
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
    argv = backend_argv(spec.to_vllm_argv(), port=port)
    serving = Serving(
        listen_host=spec.host,
        listen_port=spec.port,
        backend_port=port,
        shutdown_timeout_s=spec.shutdown_timeout,
        api_keys=(env["VLLM_API_KEY"],) if env.get("VLLM_API_KEY") else (),
    )
    out(f"launch: run {' '.join(argv)}")
    if run_fn is None:
        from serving.supervisor import run as run_fn
    try:
        return run_fn(argv, env, serving, out)
    except FileNotFoundError:
        return _missing("vllm", out)


def cpu_test_switch(environ: Mapping[str, str], log: Callable[[str], None]) -> bool:
    """Whether the CI test switch is on; refused (exit 2) inside Kubernetes."""
    value = environ.get(CPU_TEST_ENV, "").strip()
    if value in ("", "0"):
        return False
    if value != "1":
        raise LlmFleetError(f"{CPU_TEST_ENV}: '{value}' is not allowed (allowed: 1, 0 or unset)")
    if environ.get("KUBERNETES_SERVICE_HOST"):
        raise LlmFleetError(
            f"{CPU_TEST_ENV}: the CPU test switch is set inside Kubernetes (KUBERNETES_SERVICE_HOST is set); it is "
            "for `make test-vllm-server` only: remove it from the pod template"
        )
    log(f"launch: {CPU_TEST_ENV}=1: GPU preflight skipped (CI test switch; refused inside Kubernetes)")
    return True


def _backend_port(environ: Mapping[str, str]) -> int:
    raw = environ.get(BACKEND_PORT_ENV, "").strip()
    if not raw:
        return BACKEND_PORT
    if not raw.isdigit() or not 1024 <= int(raw) <= 65535:
        raise LlmFleetError(f"{BACKEND_PORT_ENV}: '{raw}' is not a port (allowed: 1024-65535)")
    return int(raw)


def _serve_worker(
    spec: ServingSpec,
    group: Group,
    environ: Mapping[str, str],
    gpu_probe: GpuProbe,
    exec_fn: Exec,
    out: Callable[[str], None],
    ray: RayControl,
    on_cpu: bool = False,
) -> int:
    """A group worker: its own GPUs, then ``ray start --block`` as PID 1; never vLLM, never the key."""
    env = prepare_environment(spec, environ, out, api_key=False)
    if not on_cpu:
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
    run_fn: Run | None = None,
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
        return serve(
            spec_path, environ=environ, gpu_probe=gpu_probe, exec_fn=exec_fn, run_fn=run_fn, log=log, ray=ray
        )
    except LlmFleetError as exc:
        (log or _log)(f"error: {exc}")
        return exc.exit_code


if __name__ == "__main__":
    sys.exit(main())
