"""The ClusterContext the GCP target hands the workloads, and the data behind the GPU pools."""

from __future__ import annotations

import pulumi_gcp as gcp

from infra.gcp.machines import accelerator_type, boot_disk_type
from infra.targets import POOL_LABEL
from infra.workloads.context import GPU_TAINT, ClusterContext
from infra.workloads.gateway import GATEWAY_KEY
from serving.catalog import list_instances


def test_pools_schedule_onto_the_labelled_tainted_gke_pools(prod_context: ClusterContext) -> None:
    assert set(prod_context.pools) == {"l4", "h100"}
    h100 = prod_context.pools["h100"]
    assert (h100.gpu, h100.gpus_per_node, h100.max_nodes) == ("H100-80GB", 8, 2)
    assert h100.node_selector == {POOL_LABEL: "h100"}
    assert h100.tolerations == [GPU_TAINT]


def test_metrics_follow_the_monitoring_stack(prod_context: ClusterContext, variant_context: ClusterContext) -> None:
    assert prod_context.metrics == "gmp"
    assert variant_context.metrics == "prometheus-operator"


def test_workloads_wait_for_every_node_pool_and_the_gateway(prod_context: ClusterContext) -> None:
    pools = [r for r in prod_context.depends_on if isinstance(r, gcp.container.NodePool)]
    assert len(pools) == 3  # system + l4 + h100
    gateway = prod_context.extra[GATEWAY_KEY]
    assert all(any(r is d for d in prod_context.depends_on) for r in gateway.ready)
    assert prod_context.gateway == gateway.ref


def test_gateway_service_contract(prod_context: ClusterContext) -> None:
    service = prod_context.extra["gateway_service"]
    assert service["type"] == "ClusterIP"  # reached through NEGs, never a public Service
    assert "cloud.google.com/neg" in service["annotations"]
    assert prod_context.gateway.hostname == "llm-gcp.example.com"


def test_every_gcp_gpu_machine_in_the_catalogue_maps_to_an_accelerator_and_disk() -> None:
    for instance in list_instances("gcp"):
        assert accelerator_type(instance.gpu, instance.type).startswith("nvidia-")
        assert boot_disk_type(instance.type) in ("pd-balanced", "hyperdisk-balanced")
    assert boot_disk_type("a3-ultragpu-8g") == "hyperdisk-balanced"
