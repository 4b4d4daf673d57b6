"""Multi-node servers: one Ray cluster per LeaderWorkerSet group (vLLM's "deploying with LWS" guide).

* a worker preflights its own GPUs (tp x pp / group size), waits until the leader's Ray head
  answers at ``$LWS_LEADER_ADDRESS:6379`` and execs ``ray start --address=... --block``: it
  never runs vLLM, and needs neither the API key nor the weights check;
* the leader starts the head (``ray start --head --port=6379``), waits until all
  ``LLMFLEET_GROUP_SIZE`` nodes are alive (``groupJoinTimeout``; exit 5 naming how many of how
  many joined), then runs ``vllm serve ... --distributed-executor-backend ray``.

The Ray node count runs in a child process, so the launcher never holds a Ray driver.
``RayControl`` holds the Ray and process calls; tests pass a subclass that fakes them.
"""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from serving.errors import LlmFleetError
from serving.spec import ServingSpec
from serving.versions import (
    GROUP_ROLE_ENV,
    GROUP_SIZE_ENV,
    LWS_GROUP_SIZE_ENV,
    LWS_LEADER_ADDRESS_ENV,
    RAY_NODE_MANAGER_PORT,
    RAY_PORT,
)

EXIT_GROUP = 5

RAY_OBJECT_STORE_BYTES = 2 * 2**30
"""Ray's object store per pod, in /dev/shm (a Memory emptyDir charged to the pod): vLLM passes
only scheduler messages through it (tensors go over NCCL), and Ray's default (30% of the pod's
memory) would crowd NCCL out of /dev/shm."""
RAY_POLL_INTERVAL_S = 5.0


class GroupError(LlmFleetError):
    exit_code = EXIT_GROUP


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
