"""GPU node pools: one per config pool, sized, tainted, labelled and hardened from the config."""

from __future__ import annotations

import pytest

from infra.config import GpuPool
from infra.gcp.node_pools import pool_machine_type
from infra.targets import POOL_LABEL
from serving.catalog import get_instance
from serving.errors import LlmFleetError
from tests.gcp.conftest import GcpView

ACCELERATORS = {"L4": "nvidia-l4", "H100-80GB": "nvidia-h100-80gb"}


def gpu_pools(view: GcpView) -> dict[str, dict]:
    return {
        p.props["name"].removeprefix("gpu-"): p.props
        for p in view.of_type("gcp:container/nodePool:NodePool")
        if p.props["name"].startswith("gpu-")
    }


def test_one_gke_pool_per_config_pool(prod_gcp: GcpView) -> None:
    assert set(gpu_pools(prod_gcp)) == {p["name"] for p in prod_gcp.config["gpuPools"]} == {"l4", "h100"}


@pytest.mark.parametrize("name", ["l4", "h100"])
def test_pool_follows_its_config(prod_gcp: GcpView, name: str) -> None:
    config = next(p for p in prod_gcp.config["gpuPools"] if p["name"] == name)
    pool = gpu_pools(prod_gcp)[name]
    node = pool["nodeConfig"]
    [machine] = config["instanceTypes"]
    instance = get_instance("gcp", machine)
    assert node["machineType"] == machine
    assert node["guestAccelerators"] == [
        {
            "type": ACCELERATORS[instance.gpu],
            "count": instance.gpu_count,
            "gpuDriverInstallationConfig": {"gpuDriverVersion": "LATEST"},
        }
    ]
    assert pool["autoscaling"]["totalMinNodeCount"] == config["nodes"]["min"]
    assert pool["autoscaling"]["totalMaxNodeCount"] == config["nodes"]["max"]
    assert pool["nodeLocations"] == config["zones"]
    assert node["spot"] is (config["capacityType"] == "spot")
    assert node["diskSizeGb"] == config.get("diskGib", 200)
    assert node["labels"] == {POOL_LABEL: name}
    assert node["resourceLabels"]["llm-fleet-gpu-pool"] == name


def test_h100_pool_disk_is_sized_for_the_vllm_image(prod_gcp: GcpView) -> None:
    assert gpu_pools(prod_gcp)["h100"]["nodeConfig"]["diskSizeGb"] == 500
    assert all(p["nodeConfig"]["diskSizeGb"] >= 100 for p in gpu_pools(prod_gcp).values())


@pytest.mark.parametrize("name", ["l4", "h100"])
def test_gpu_nodes_are_tainted_hardened_and_auto_managed(prod_gcp: GcpView, name: str) -> None:
    pool = gpu_pools(prod_gcp)[name]
    node = pool["nodeConfig"]
    assert node["taints"] == [{"key": "nvidia.com/gpu", "value": "present", "effect": "NO_SCHEDULE"}]
    assert node["bootDiskKmsKey"].endswith("/cryptoKeys/boot-disks")
    assert node["shieldedInstanceConfig"] == {"enableSecureBoot": True, "enableIntegrityMonitoring": True}
    assert node["workloadMetadataConfig"] == {"mode": "GKE_METADATA"}
    assert node["imageType"] == "COS_CONTAINERD"
    assert node["metadata"]["disable-legacy-endpoints"] == "true"
    assert pool["management"] == {"autoRepair": True, "autoUpgrade": True}
    assert pool["upgradeSettings"]["maxUnavailable"] == 0


def test_spot_pool_without_zones_uses_the_cluster_zones(variant_gcp: GcpView) -> None:
    pool = gpu_pools(variant_gcp)["l4-spot"]
    system = variant_gcp.named(f"{variant_gcp.target}-gke-system").props
    assert pool["nodeConfig"]["spot"] is True
    assert pool["autoscaling"] == {"totalMinNodeCount": 0, "totalMaxNodeCount": 3, "locationPolicy": "ANY"}
    assert pool["nodeLocations"] == system["nodeLocations"]
    assert pool["initialNodeCount"] == 0
    assert pool["nodeConfig"]["guestAccelerators"][0]["count"] == 2  # g2-standard-24: 2 x L4


def test_a_pool_with_two_machine_types_is_rejected() -> None:
    pool = GpuPool(name="l4", instance_types=["g2-standard-8", "g2-standard-24"], nodes={"max": 2})
    with pytest.raises(LlmFleetError, match=r"targets\.t1\.gpuPools\.l4\.instanceTypes: .*exactly one machine type"):
        pool_machine_type("t1", pool)
