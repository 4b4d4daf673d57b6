"""GpuNodePools: one autoscaled GKE node pool per configured GPU pool."""

from __future__ import annotations

import math

import pulumi
import pulumi_gcp as gcp

from infra.config import GpuPool
from infra.gcp.cluster import Cluster
from infra.gcp.common import GcpScope
from infra.gcp.machines import accelerator_type, boot_disk_type
from infra.targets import POOL_LABEL, pool_gpu
from infra.versions import GKE_GPU_DRIVER_VERSION
from infra.workloads.context import GPU_TAINT
from serving.errors import LlmFleetError

# The same taint every target puts on GPU nodes (workloads tolerate GPU_TAINT), in GKE's terms.
GPU_TAINT_GKE = {"key": GPU_TAINT["key"], "value": "present", "effect": "NO_SCHEDULE"}


def pool_machine_type(target_name: str, pool: GpuPool) -> str:
    """The one machine type of a GKE pool (a GKE node pool cannot mix machine types)."""
    if len(pool.instance_types) != 1:
        raise LlmFleetError(
            f"targets.{target_name}.gpuPools.{pool.name}.instanceTypes: {pool.instance_types} is not allowed; "
            "a GKE node pool takes exactly one machine type (declare one pool per machine type)"
        )
    return pool.instance_types[0]


class GpuNodePools(pulumi.ComponentResource):
    pools: dict[str, gcp.container.NodePool]

    def __init__(self, name: str, scope: GcpScope, cluster: Cluster, opts: pulumi.ResourceOptions | None = None):
        super().__init__("llm-fleet:gcp:GpuNodePools", name, None, opts)
        self._scope = scope
        self._cluster = cluster
        self.pools = {pool.name: self._create_pool(name, pool) for pool in scope.target.gpu_pools}
        self.register_outputs({"pools": {k: p.name for k, p in self.pools.items()}})

    def _create_pool(self, name: str, pool: GpuPool) -> gcp.container.NodePool:
        target = self._scope.target
        where = f"targets.{target.name}.gpuPools.{pool.name}"
        machine_type = pool_machine_type(target.name, pool)
        gpu, count = pool_gpu(target, pool)
        zones: pulumi.Input[list[str]] = list(pool.zones) if pool.zones else self._cluster.system_zones
        zone_count = pulumi.Output.from_input(zones).apply(len)
        spot = pool.capacity_type == "spot"
        return gcp.container.NodePool(
            f"{name}-{pool.name}",
            name=f"gpu-{pool.name}",
            project=self._scope.project,
            location=target.region,
            cluster=self._cluster.cluster.name,
            node_locations=zones,
            # Per zone at creation; the autoscaler then keeps the pool total within nodes.min..max.
            initial_node_count=zone_count.apply(lambda n: min(math.ceil(pool.nodes.min / n), pool.nodes.max // n)),
            autoscaling={
                "total_min_node_count": pool.nodes.min,
                "total_max_node_count": pool.nodes.max,
                # Spot capacity: take it in whichever zone has it; on-demand: spread for availability.
                "location_policy": "ANY" if spot else "BALANCED",
            },
            management={"auto_repair": True, "auto_upgrade": True},
            # A surge node first, never one less: GPU capacity does not drop during upgrades.
            upgrade_settings={"strategy": "SURGE", "max_surge": 1, "max_unavailable": 0},
            node_config=self._cluster.node_config(
                machine_type=machine_type,
                disk_gib=pool.disk_gib,
                disk_type=boot_disk_type(machine_type),
                extra_labels={"llm-fleet-gpu-pool": pool.name},
                guest_accelerators=[
                    {
                        "type": accelerator_type(gpu, f"{where}.instanceTypes"),
                        "count": count,
                        "gpu_driver_installation_config": {"gpu_driver_version": GKE_GPU_DRIVER_VERSION},
                    }
                ],
                spot=spot,
                taints=[dict(GPU_TAINT_GKE)],
                labels={POOL_LABEL: pool.name},
                gvnic={"enabled": True},
            ),
            opts=self._scope.opts(self, ignore_changes=["initialNodeCount"]),
        )
