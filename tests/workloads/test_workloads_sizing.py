"""Server sizing: GPUs and nodes, host share, /dev/shm, probe and drain budgets, clear errors."""

from __future__ import annotations

import pytest

from infra.config import ModelConfig, Placement
from infra.workloads import sizing
from infra.workloads.context import PoolScheduling
from infra.workloads.sizing import Drain, host_share_per_gpu, server_shape
from serving.errors import LlmFleetError


def model(name: str = "llama-70b", arch: str = "llama-3.1-70b", max_len: int = 32768) -> ModelConfig:
    return ModelConfig.model_validate(
        {
            "name": name,
            "architecture": arch,
            "source": {"uri": "hf://meta-llama/x", "revision": "a" * 40},
            "maxModelLen": max_len,
            "placements": [{"target": "t", "pool": "p", "replicas": {"min": 1, "max": 2}}],
        }
    )


def placement(tp: int | None) -> Placement:
    return Placement.model_validate({"target": "t", "pool": "p", "tensorParallel": tp, "replicas": {"min": 1, "max": 2}})


def pool(gpu: str = "H100-80GB", per_node: int = 8, max_nodes: int = 2, types: tuple[str, ...] = ()) -> PoolScheduling:
    return PoolScheduling(name="p", gpu=gpu, gpus_per_node=per_node, max_nodes=max_nodes, node_selector={},
                          instance_types=types)


def test_drain_fits_the_grace_period() -> None:
    drain = Drain()
    assert drain.grace_period_s == drain.pre_stop_sleep_s + drain.shutdown_timeout_s + drain.margin_s
    assert (drain.pre_stop_sleep_s, drain.shutdown_timeout_s) == (15, 45)


def test_one_node_server_is_a_single_pod() -> None:
    shape = server_shape(model(), placement(4), pool(), "onprem")
    assert (shape.tp, shape.nodes, shape.gpus_per_pod, shape.multi_node) == (4, 1, 4, False)
    assert shape.shm_gib == sizing.SHM_GIB_MULTI_GPU
    assert (shape.cpu_per_pod, shape.memory_gib_per_pod) == (4 * sizing.ONPREM_CPU_PER_GPU, 4 * sizing.ONPREM_MEMORY_GIB_PER_GPU)


def test_server_wider_than_a_node_spans_nodes() -> None:
    shape = server_shape(model(), placement(4), pool(per_node=2, max_nodes=4), "onprem")
    assert (shape.nodes, shape.gpus_per_pod, shape.multi_node) == (2, 2, True)


def test_uneven_split_over_nodes_is_refused() -> None:
    with pytest.raises(LlmFleetError, match=r"models\.llama-70b\.placements\[t\]: 4 GPUs .* do not split evenly .* 3 GPUs"):
        server_shape(model(), placement(4), pool(per_node=3, max_nodes=4), "onprem")


def test_server_larger_than_the_pool_is_refused() -> None:
    with pytest.raises(LlmFleetError, match=r"needs 4 nodes of pool 'p' but the pool has at most 2"):
        server_shape(model(), placement(4), pool(per_node=1, max_nodes=2), "onprem")


def test_capacity_errors_name_the_placement() -> None:
    with pytest.raises(LlmFleetError, match=r"^models\.llama-70b\.placements\[t\]: capacity: "):
        server_shape(model(), placement(1), pool(gpu="L4"), "onprem")


def test_tensor_parallel_defaults_to_the_planner() -> None:
    shape = server_shape(model("llama-8b", "llama-3.1-8b", 8192), placement(None), pool(gpu="L4", per_node=1), "onprem")
    assert shape.tp == 1 and shape.shm_gib == sizing.SHM_GIB_SINGLE_GPU


def test_startup_budget_grows_with_the_weights_a_pod_loads() -> None:
    small = server_shape(model("llama-8b", "llama-3.1-8b", 8192), placement(1), pool(), "onprem")
    large = server_shape(model(), placement(4), pool(), "onprem")
    assert small.startup_budget_s == sizing.STARTUP_FLOOR_S
    assert large.startup_budget_s > small.startup_budget_s
    assert large.startup_failure_threshold * sizing.STARTUP_PERIOD_S >= large.startup_budget_s
    assert large.staging_budget_s > small.staging_budget_s >= sizing.STAGING_FLOOR_S


@pytest.mark.parametrize(
    ("cloud", "types", "per_node", "expected"),
    [
        ("aws", ("g6.xlarge",), 1, (3, 12)),  # 4 vCPU / 16 GiB minus the node reserve
        ("aws", ("g6.xlarge", "g6.2xlarge"), 1, (3, 12)),  # the smallest type of the pool decides
        ("aws", ("p5.48xlarge",), 8, (16, 128)),  # capped per GPU
        ("gcp", ("g2-standard-8",), 1, (7, 26)),
    ],
)
def test_host_share_of_cloud_nodes(cloud: str, types: tuple[str, ...], per_node: int, expected: tuple[int, int]) -> None:
    assert host_share_per_gpu(pool(per_node=per_node, types=types), cloud) == expected


def test_a_pool_too_small_for_shared_memory_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sizing, "host_share_per_gpu", lambda p, k: (2, 5))
    with pytest.raises(LlmFleetError, match=r"leaves 5 GiB of host memory per server, below 6 GiB"):
        server_shape(model("llama-8b", "llama-3.1-8b", 8192), placement(1), pool(gpu="L4", per_node=1), "aws")
