"""Cluster: a private, regional GKE cluster with its node service account and system pool."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_gcp as gcp

from infra.gcp.common import GcpScope, fit_name
from infra.gcp.network import PODS_RANGE, SERVICES_RANGE, Network

NODE_IMAGE = "COS_CONTAINERD"
NODE_OAUTH_SCOPES = ["https://www.googleapis.com/auth/cloud-platform"]
"""Scopes are not the access control: the node service account's IAM roles are."""
NODE_ROLES = (
    "roles/logging.logWriter",
    "roles/monitoring.metricWriter",
    "roles/stackdriver.resourceMetadata.writer",
)
"""Everything a node needs besides pulling the image (granted on the repository alone)."""

SYSTEM_MACHINE_TYPE = "e2-standard-4"
SYSTEM_DISK_GIB = 100
SYSTEM_NODES_PER_ZONE = (1, 3)
"""(min, max) per zone: one node in every system zone keeps a gateway NEG in each."""
SYSTEM_ZONES = 3

LOGGING_COMPONENTS = ["SYSTEM_COMPONENTS", "WORKLOADS", "APISERVER", "SCHEDULER", "CONTROLLER_MANAGER"]
MANAGED_MONITORING_COMPONENTS = [
    "SYSTEM_COMPONENTS",
    "APISERVER",
    "SCHEDULER",
    "CONTROLLER_MANAGER",
    "STORAGE",
    "POD",
    "DEPLOYMENT",
    "STATEFULSET",
    "DAEMONSET",
    "HPA",
    "CADVISOR",
    "KUBELET",
    "DCGM",
]
"""With managed Prometheus: control plane, kube-state, cAdvisor/kubelet and GPU (DCGM) metrics."""

MAINTENANCE_WINDOW = {
    "start_time": "2026-01-03T03:00:00Z",
    "end_time": "2026-01-03T11:00:00Z",
    "recurrence": "FREQ=WEEKLY;BYDAY=SA,SU",
}
"""Weekend nights (UTC): 64 hours every 4 weeks, above GKE's 48-hour minimum."""


def hardened_node_config(
    scope: GcpScope,
    service_account: pulumi.Input[str],
    boot_disk_key: pulumi.Input[str],
    *,
    machine_type: str,
    disk_gib: int,
    disk_type: str = "pd-balanced",
    extra_labels: dict[str, str] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """node_config shared by every pool: COS, shielded VM, GKE metadata server, CMEK boot disk."""
    return {
        "machine_type": machine_type,
        "image_type": NODE_IMAGE,
        "disk_size_gb": disk_gib,
        "disk_type": disk_type,
        "boot_disk_kms_key": boot_disk_key,
        "service_account": service_account,
        "oauth_scopes": NODE_OAUTH_SCOPES,
        "shielded_instance_config": {"enable_secure_boot": True, "enable_integrity_monitoring": True},
        "workload_metadata_config": {"mode": "GKE_METADATA"},
        "metadata": {"disable-legacy-endpoints": "true"},
        "resource_labels": {**scope.labels, **(extra_labels or {})},
        **extra,
    }


@dataclass(frozen=True)
class ClusterArgs:
    network: Network
    secrets_key: pulumi.Input[str]
    """KMS key id for application-layer secrets encryption."""
    boot_disk_key: pulumi.Input[str]
    key_grants: list[pulumi.Resource]
    """IAM grants of both keys to their service agents: the cluster waits for them."""


class Cluster(pulumi.ComponentResource):
    node_service_account: gcp.serviceaccount.Account
    cluster: gcp.container.Cluster
    admission_policy: gcp.binaryauthorization.Policy
    system_pool: gcp.container.NodePool
    system_zones: pulumi.Output[list[str]]
    node_tag: str
    """Network tag of the system nodes (where the gateway runs): load balancer firewall target."""
    workload_pool: str

    def __init__(self, name: str, scope: GcpScope, args: ClusterArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("llm-fleet:gcp:Cluster", name, None, opts)
        self._scope = scope
        self._args = args
        self.workload_pool = f"{scope.project}.svc.id.goog"
        self.node_tag = fit_name(f"{name}-system", 63)
        self._create_node_service_account(name)
        self._create_admission_policy(name)
        self._create_cluster(name)
        self._create_system_pool(name)
        self.register_outputs(
            {
                "cluster": self.cluster.name,
                "endpoint": self.cluster.endpoint,
                "nodeServiceAccount": self.node_service_account.email,
                "workloadPool": self.workload_pool,
            }
        )

    def node_config(self, *, machine_type: str, disk_gib: int, **kwargs: Any) -> dict[str, Any]:
        """A hardened node_config on this cluster's node service account and boot disk key."""
        return hardened_node_config(
            self._scope,
            self.node_service_account.email,
            self._args.boot_disk_key,
            machine_type=machine_type,
            disk_gib=disk_gib,
            **kwargs,
        )

    def _create_node_service_account(self, name: str) -> None:
        # Not the Compute Engine default account (Editor on the project): only what nodes need.
        self.node_service_account = gcp.serviceaccount.Account(
            f"{name}-nodes",
            account_id=fit_name(f"{name}-nodes", 30),
            project=self._scope.project,
            display_name=f"GKE nodes of {self._scope.target.name}",
            opts=self._scope.opts(self),
        )
        self._node_roles = [
            gcp.projects.IAMMember(
                f"{name}-nodes-{role.split('/')[1].replace('.', '-').lower()}",
                project=self._scope.project,
                role=role,
                member=self.node_service_account.member,
                opts=self._scope.opts(self),
            )
            for role in NODE_ROLES
        ]

    def _create_admission_policy(self, name: str) -> None:
        # The cluster enforces the project's Binary Authorization policy; this declares it rather
        # than leaving Google's implicit default, so a change made outside Pulumi shows as drift.
        # Binary Authorization checks attestations and public keys, not a Sigstore keyless
        # identity (a workflow, not a key): the serving image's signature is verified by the
        # policy-controller in the model namespaces, as on every other target
        # (infra/workloads/admission.py). Google-maintained system images are exempt.
        scope = self._scope
        self.admission_policy = gcp.binaryauthorization.Policy(
            f"{name}-binauthz",
            project=scope.project,
            description="llm-fleet: declared project policy; model-namespace images are verified by the "
            "Sigstore policy-controller (keyless signature of the CI workflow)",
            global_policy_evaluation_mode="ENABLE",
            default_admission_rule={
                "evaluation_mode": "ALWAYS_ALLOW",
                "enforcement_mode": "ENFORCED_BLOCK_AND_AUDIT_LOG",
            },
            opts=scope.opts(self),
        )

    def _create_cluster(self, name: str) -> None:
        scope, target = self._scope, self._scope.target
        managed_metrics = target.monitoring.stack == "managed"
        authorized = target.master_authorized_cidrs or [target.network_cidr]
        self.cluster = gcp.container.Cluster(
            f"{name}-cluster",
            name=target.name,
            project=scope.project,
            location=target.region,
            network=self._args.network.vpc.id,
            subnetwork=self._args.network.subnet.id,
            networking_mode="VPC_NATIVE",
            ip_allocation_policy={
                "cluster_secondary_range_name": PODS_RANGE,
                "services_secondary_range_name": SERVICES_RANGE,
            },
            release_channel={"channel": target.release_channel},
            private_cluster_config={
                "enable_private_nodes": True,
                # No authorized CIDRs in the config: the API server has no public endpoint at all.
                "enable_private_endpoint": not target.master_authorized_cidrs,
                "master_ipv4_cidr_block": target.master_cidr,
                "master_global_access_config": {"enabled": False},
            },
            master_authorized_networks_config={
                "cidr_blocks": [
                    {"cidr_block": cidr, "display_name": f"authorized-{i}"} for i, cidr in enumerate(authorized)
                ],
                "gcp_public_cidrs_access_enabled": False,
            },
            master_auth={"client_certificate_config": {"issue_client_certificate": False}},
            enable_legacy_abac=False,
            enable_shielded_nodes=True,
            workload_identity_config={"workload_pool": self.workload_pool},
            datapath_provider="ADVANCED_DATAPATH",
            database_encryption={"state": "ENCRYPTED", "key_name": self._args.secrets_key},
            binary_authorization={"evaluation_mode": "PROJECT_SINGLETON_POLICY_ENFORCE"},
            logging_service="logging.googleapis.com/kubernetes",
            monitoring_service="monitoring.googleapis.com/kubernetes",
            logging_config={"enable_components": LOGGING_COMPONENTS},
            monitoring_config={
                "enable_components": MANAGED_MONITORING_COMPONENTS if managed_metrics else ["SYSTEM_COMPONENTS"],
                "managed_prometheus": {"enabled": managed_metrics},
            },
            addons_config={
                # The NEG controller behind the edge's container-native load balancing.
                "http_load_balancing": {"disabled": False},
                "dns_cache_config": {"enabled": True},
                "gce_persistent_disk_csi_driver_config": {"enabled": True},
            },
            node_pool_defaults={"node_config_defaults": {"insecure_kubelet_readonly_port_enabled": "FALSE"}},
            maintenance_policy={"recurring_window": MAINTENANCE_WINDOW},
            cost_management_config={"enabled": True},
            resource_labels=scope.labels,
            deletion_protection=scope.stack.environment == "prod",
            # The default pool is created (hardened, like every pool) and removed at once.
            remove_default_node_pool=True,
            initial_node_count=1,
            node_config=self.node_config(machine_type=SYSTEM_MACHINE_TYPE, disk_gib=SYSTEM_DISK_GIB),
            opts=scope.opts(
                self,
                depends_on=[*self._args.key_grants, *self._node_roles, self.admission_policy],
                ignore_changes=["nodeConfig", "initialNodeCount"],
            ),
        )

    def _create_system_pool(self, name: str) -> None:
        scope = self._scope
        zones = gcp.compute.get_zones_output(
            project=scope.project,
            region=scope.region,
            status="UP",
            opts=pulumi.InvokeOutputOptions(provider=scope.provider),
        )
        self.system_zones = zones.names.apply(lambda names: sorted(names)[:SYSTEM_ZONES])
        low, high = SYSTEM_NODES_PER_ZONE
        self.system_pool = gcp.container.NodePool(
            f"{name}-system",
            name="system",
            project=scope.project,
            location=scope.region,
            cluster=self.cluster.name,
            node_locations=self.system_zones,
            initial_node_count=low,
            autoscaling={"min_node_count": low, "max_node_count": high, "location_policy": "BALANCED"},
            management={"auto_repair": True, "auto_upgrade": True},
            upgrade_settings={"strategy": "SURGE", "max_surge": 1, "max_unavailable": 0},
            node_config=self.node_config(
                machine_type=SYSTEM_MACHINE_TYPE,
                disk_gib=SYSTEM_DISK_GIB,
                extra_labels={"llm-fleet-node-role": "system"},
                tags=[self.node_tag],
                labels={"llm-fleet.dev/node-role": "system"},
            ),
            opts=scope.opts(self, ignore_changes=["initialNodeCount"]),
        )
