"""How big one model server is on one pool: GPUs, nodes, CPU, memory, /dev/shm, probe and
drain budgets. Pure functions of the stack config and the capacity planner (no Pulumi).

The numbers and where they come from (../shared/reference/vllm.md):

* GPUs per server = tensor-parallel x pipeline-parallel size; TP from the placement, or the
  capacity planner's smallest size that holds one full-length sequence.
* A server that needs more GPUs than one node has spans ``gpus / gpusPerNode`` nodes and
  runs as a LeaderWorkerSet group; otherwise it is one pod of a Deployment.
* CPU and memory: a share of the node proportional to the GPUs the pod takes, after a
  reserve for the kubelet and the node's DaemonSets, capped per GPU. Requests equal limits
  (Guaranteed QoS: the server is never the first to be evicted or throttled below its share).
* ``/dev/shm``: a Memory emptyDir of 2 GiB for one GPU, 8 GiB with TP (NCCL buffers). It is
  charged to the pod's memory, so the memory limit covers it.
* Startup probe budget: at least 10 minutes (vLLM binds its port only after loading weights,
  profiling and capturing CUDA graphs), plus time per GiB of weights the pod loads; a
  LeaderWorkerSet group adds the time its leader waits for the workers to join its Ray head.
* Drain: preStop sleep (endpoints and the gateway stop sending) + the spec's ``shutdownTimeout``
  (in-flight requests finish; the launcher's drain proxy answers new ones 503) + a margin <=
  terminationGracePeriodSeconds. The margin covers the launcher's own stop (serving.supervisor:
  2 s to end what is left with an error, 5 s for vLLM to exit, 1 s to close the proxy).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from infra.config import ModelConfig, Placement
from infra.workloads.context import PoolScheduling
from serving.capacity import CapacityPlan, plan_capacity
from serving.catalog import get_instance
from serving.errors import LlmFleetError

# -- host resources ------------------------------------------------------------------
NODE_RESERVED_CPU = 1
"""vCPUs kept back on every node for the kubelet, the container runtime and DaemonSets
(CNI, device plugin, DCGM exporter, node exporter, log shipper)."""
NODE_RESERVED_MEMORY_FRACTION = 0.10
NODE_RESERVED_MEMORY_GIB = 2
"""Memory kept back per node: 10% (kubelet reservation and eviction threshold) plus 2 GiB of DaemonSets."""
CPU_PER_GPU_CAP = 16
MEMORY_GIB_PER_GPU_CAP = 128
"""A vLLM worker needs a few cores (API server, tokenizer, scheduler) and host memory to stage
its weight shard; more than this per GPU is left to other pods on large nodes."""
ONPREM_CPU_PER_GPU = 8
ONPREM_MEMORY_GIB_PER_GPU = 64
"""On-prem pools declare GPUs but not host shapes: a conservative per-GPU share of a GPU server."""
MIN_MEMORY_HEADROOM_GIB = 4
"""Memory a server needs beyond /dev/shm (Python, tokenizer, pinned buffers)."""

# -- /dev/shm ----------------------------------------------------------------------------
SHM_GIB_SINGLE_GPU = 2
SHM_GIB_MULTI_GPU = 8

# -- probes (vllm.md: startup >= 10 min at period 10 s; readiness every 5 s; liveness >= 3 failures)
STARTUP_PERIOD_S = 10
STARTUP_FLOOR_S = 600
STARTUP_BASE_S = 300
STARTUP_S_PER_GIB = 5
"""Seconds of startup budget per GiB of weights the pod loads (bucket streaming, profiling,
CUDA-graph capture grow with the shard)."""
GROUP_JOIN_TIMEOUT_S = 900
"""Seconds a group's leader waits for its workers to join its Ray head (the spec's
groupJoinTimeout): a worker on a fresh node pulls the ~12 GB image and waits for the weights
first. Added to a group's startup budget."""
READINESS_PERIOD_S = 5
READINESS_TIMEOUT_S = 3
READINESS_FAILURE_THRESHOLD = 3
LIVENESS_PERIOD_S = 10
LIVENESS_TIMEOUT_S = 5
LIVENESS_FAILURE_THRESHOLD = 6
"""A busy server can answer /health late; restart only after a minute of failures."""

# -- drain --------------------------------------------------------------------------------
PRE_STOP_SLEEP_S = 15
SHUTDOWN_TIMEOUT_S = 45
GRACE_MARGIN_S = 10
"""At least serving.supervisor's CUT_GRACE_S + BACKEND_STOP_S + CLOSE_BUDGET_S (8 s);
tests/serving/test_serving_drain.py checks every rendered server pod against
serving.supervisor.stop_budget_s."""

# -- staging --------------------------------------------------------------------------------
STAGING_FLOOR_S = 1800
STAGING_S_PER_GIB = 30
"""Budget for the first copy of the weights into the store (~35 MB/s worst case)."""


@dataclass(frozen=True)
class Drain:
    pre_stop_sleep_s: int = PRE_STOP_SLEEP_S
    shutdown_timeout_s: int = SHUTDOWN_TIMEOUT_S
    margin_s: int = GRACE_MARGIN_S

    @property
    def grace_period_s(self) -> int:
        """terminationGracePeriodSeconds: preStop + vLLM drain + margin."""
        return self.pre_stop_sleep_s + self.shutdown_timeout_s + self.margin_s


@dataclass(frozen=True)
class ServerShape:
    """One model server (one replica) on one pool."""

    plan: CapacityPlan
    tp: int
    pp: int
    nodes: int
    """Pods (= nodes) per replica: 1 for a Deployment, > 1 for a LeaderWorkerSet group."""
    gpus_per_pod: int
    cpu_per_pod: int
    memory_gib_per_pod: int
    shm_gib: int
    startup_budget_s: int
    staging_budget_s: int
    drain: Drain = Drain()

    @property
    def gpus(self) -> int:
        return self.tp * self.pp

    @property
    def multi_node(self) -> bool:
        return self.nodes > 1

    @property
    def weights_gib(self) -> float:
        return self.plan.weights_gib_per_gpu * self.gpus

    @property
    def startup_failure_threshold(self) -> int:
        return math.ceil(self.startup_budget_s / STARTUP_PERIOD_S)


def server_shape(
    model: ModelConfig, placement: Placement, pool: PoolScheduling, cluster_kind: str, *, pp: int = 1
) -> ServerShape:
    """Size ``model`` on ``pool``; errors name the placement and what would fit."""
    where = f"models.{model.name}.placements[{placement.target}]"
    try:
        plan = plan_capacity(
            model.architecture,
            pool.gpu,
            tp=placement.tensor_parallel,
            max_model_len=model.max_model_len,
            kv_cache_dtype=model.kv_cache_dtype,
            gpu_memory_utilization=model.gpu_memory_utilization,
            pp=pp,
            quantization=model.quantization,
            max_num_seqs=model.max_num_seqs,
        )
    except LlmFleetError as exc:
        raise LlmFleetError(f"{where}: {exc}") from None
    gpus = plan.tp * plan.pp
    if gpus <= pool.gpus_per_node:
        nodes, gpus_per_pod = 1, gpus
    else:
        if gpus % pool.gpus_per_node:
            raise LlmFleetError(
                f"{where}: {gpus} GPUs (tp={plan.tp} x pp={plan.pp}) do not split evenly over nodes of pool "
                f"'{pool.name}' with {pool.gpus_per_node} GPUs each; use a multiple of {pool.gpus_per_node}"
            )
        nodes, gpus_per_pod = gpus // pool.gpus_per_node, pool.gpus_per_node
    if nodes > pool.max_nodes:
        raise LlmFleetError(
            f"{where}: one server needs {nodes} nodes of pool '{pool.name}' but the pool has at most "
            f"{pool.max_nodes}; raise gpuPools.{pool.name}.nodes.max or lower tensorParallel"
        )
    cpu_per_gpu, memory_per_gpu = host_share_per_gpu(pool, cluster_kind)
    shm = SHM_GIB_SINGLE_GPU if gpus_per_pod == 1 else SHM_GIB_MULTI_GPU
    memory = memory_per_gpu * gpus_per_pod
    if memory < shm + MIN_MEMORY_HEADROOM_GIB:
        raise LlmFleetError(
            f"{where}: pool '{pool.name}' leaves {memory} GiB of host memory per server, below "
            f"{shm + MIN_MEMORY_HEADROOM_GIB} GiB (/dev/shm {shm} GiB + {MIN_MEMORY_HEADROOM_GIB} GiB); "
            "use a larger instance type"
        )
    weights_per_pod = plan.weights_gib_per_gpu * gpus_per_pod
    startup = max(STARTUP_FLOOR_S, STARTUP_BASE_S + math.ceil(STARTUP_S_PER_GIB * weights_per_pod))
    if nodes > 1:
        startup += GROUP_JOIN_TIMEOUT_S
    startup = math.ceil(startup / STARTUP_PERIOD_S) * STARTUP_PERIOD_S
    staging = STAGING_FLOOR_S + math.ceil(STAGING_S_PER_GIB * plan.weights_gib_per_gpu * gpus)
    return ServerShape(
        plan=plan,
        tp=plan.tp,
        pp=plan.pp,
        nodes=nodes,
        gpus_per_pod=gpus_per_pod,
        cpu_per_pod=cpu_per_gpu * gpus_per_pod,
        memory_gib_per_pod=memory,
        shm_gib=shm,
        startup_budget_s=startup,
        staging_budget_s=staging,
    )


def host_share_per_gpu(pool: PoolScheduling, cluster_kind: str) -> tuple[int, int]:
    """(whole vCPUs, GiB of memory) a server may take per GPU on this pool's nodes.

    Cloud pools: the smallest instance type of the pool, minus the node reserve, divided by
    its GPU count. On-prem pools: ONPREM_*_PER_GPU. Both capped per GPU.
    """
    if cluster_kind == "onprem" or not pool.instance_types:
        return ONPREM_CPU_PER_GPU, ONPREM_MEMORY_GIB_PER_GPU
    rows = [get_instance(cluster_kind, t) for t in pool.instance_types]
    vcpus = min(r.vcpus for r in rows)
    memory = min(r.memory_gib for r in rows)
    count = pool.gpus_per_node
    cpu = math.floor((vcpus - NODE_RESERVED_CPU) / count)
    mem = math.floor((memory * (1 - NODE_RESERVED_MEMORY_FRACTION) - NODE_RESERVED_MEMORY_GIB) / count)
    if cpu < 1 or mem < 1:
        raise LlmFleetError(
            f"gpuPools.{pool.name}.instanceTypes: {pool.instance_types} leave no CPU or memory per GPU "
            f"({vcpus} vCPUs, {memory} GiB for {count} GPUs)"
        )
    return min(cpu, CPU_PER_GPU_CAP), min(mem, MEMORY_GIB_PER_GPU_CAP)
