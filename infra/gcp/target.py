"""GcpTargetComponent: everything a ``kind: gcp`` target declares, composed from small parts.

APIs -> network -> keys -> GKE (+ GPU pools) -> Workload Identity -> weights -> registry
-> the in-cluster gateway -> edge (global Application Load Balancer + Cloud Armor in front of
the gateway) -> budget, and the ClusterContext the workloads build on.
"""

from __future__ import annotations

import dataclasses
import json

import pulumi
import pulumi_gcp as gcp
import pulumi_kubernetes as k8s

from infra.config import GcpTarget, StackConfig
from infra.gcp.budget import Budget
from infra.gcp.cluster import Cluster, ClusterArgs
from infra.gcp.common import GcpScope, gcp_labels
from infra.gcp.edge import GATEWAY_SERVICE_PORT, Edge, EdgeArgs, gateway_service_annotations, neg_name
from infra.gcp.identity import WorkloadIdentity, WorkloadIdentityArgs
from infra.gcp.keys import BOOT_DISKS, GKE_SECRETS, REGISTRY, WEIGHTS, Keys
from infra.gcp.network import Network
from infra.gcp.node_pools import GpuNodePools
from infra.gcp.registry import Registry, RegistryArgs
from infra.gcp.services import ProjectApis
from infra.gcp.storage import WeightStore, WeightStoreArgs
from infra.targets import pool_scheduling
from infra.workloads.context import ClusterContext, WeightStoreRef
from infra.workloads.gateway import GATEWAY_KEY, GatewayEdge, GatewayOptions, build_gateway, edge_hostnames

AUTH_PLUGIN = "gke-gcloud-auth-plugin"
GATEWAY_PROXY_REPLICAS = {"dev": 2, "staging": 2, "prod": 3}
"""Envoy proxies behind the load balancer: one per system zone in prod."""
TRUSTED_PROXY_HOPS = 1
"""Google's front ends append "<client>, <forwarding rule IP>" to X-Forwarded-For: Envoy skips
the rightmost entry to find the client (https://cloud.google.com/load-balancing/docs/https#x-forwarded-for_header)."""


def kubeconfig(cluster: str, endpoint: str, ca_certificate: str) -> str:
    """A kubeconfig that authenticates with the caller's Google credentials (no static token)."""
    user = f"{cluster}-gcloud"
    return json.dumps(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {
                    "name": cluster,
                    "cluster": {"server": f"https://{endpoint}", "certificate-authority-data": ca_certificate},
                }
            ],
            "users": [
                {
                    "name": user,
                    "user": {
                        "exec": {
                            "apiVersion": "client.authentication.k8s.io/v1beta1",
                            "command": AUTH_PLUGIN,
                            "installHint": "gcloud components install gke-gcloud-auth-plugin",
                            "provideClusterInfo": True,
                            "interactiveMode": "Never",
                        }
                    },
                }
            ],
            "contexts": [{"name": cluster, "context": {"cluster": cluster, "user": user}}],
            "current-context": cluster,
        },
        sort_keys=True,
    )


class GcpTargetComponent(pulumi.ComponentResource):
    context: ClusterContext
    provider: k8s.Provider
    edge_address: pulumi.Output[str]
    """Public IPv4 address of the load balancer (for hybrid routing records)."""
    edge_hostname: str
    gateway: GatewayEdge

    def __init__(self, name: str, target: GcpTarget, stack: StackConfig, opts: pulumi.ResourceOptions | None = None):
        super().__init__("llm-fleet:gcp:Target", name, None, opts)
        self._target = target
        self._stack = stack
        self._create_scope(name)
        self._create_foundation(name)
        self._create_cluster(name)
        self._create_weights(name)
        self._create_registry(name)
        self._create_gateway(name)
        self._create_edge(name)
        self._create_budget(name)
        self.context = self._cluster_context()
        self.register_outputs(
            {
                "cluster": self.cluster.cluster.name,
                "endpoint": self.cluster.cluster.endpoint,
                "weights": self.weights.uri,
                "image": self.registry.image,
                "edgeAddress": self.edge_address,
                "edgeHostname": self.edge_hostname,
            }
        )

    def _create_scope(self, name: str) -> None:
        labels = gcp_labels(self._stack, self._target)
        self.gcp_provider = gcp.Provider(
            f"{name}-gcp",
            project=self._target.project,
            region=self._target.region,
            default_labels=labels,
            opts=pulumi.ResourceOptions(parent=self),
        )
        project = gcp.organizations.get_project_output(
            project_id=self._target.project, opts=pulumi.InvokeOutputOptions(provider=self.gcp_provider)
        )
        self.scope = GcpScope(
            stack=self._stack,
            target=self._target,
            provider=self.gcp_provider,
            project_number=project.number,
            labels=labels,
        )

    def _create_foundation(self, name: str) -> None:
        self.apis = ProjectApis(f"{name}-apis", self.scope, opts=pulumi.ResourceOptions(parent=self))
        self.scope = dataclasses.replace(self.scope, apis=list(self.apis.services))
        self.network = Network(f"{name}-net", self.scope, opts=pulumi.ResourceOptions(parent=self))
        self.keys = Keys(f"{name}-kms", self.scope, opts=pulumi.ResourceOptions(parent=self))

    def _create_cluster(self, name: str) -> None:
        child = pulumi.ResourceOptions(parent=self)
        self.cluster = Cluster(
            f"{name}-gke",
            self.scope,
            ClusterArgs(
                network=self.network,
                secrets_key=self.keys.key_id(GKE_SECRETS),
                boot_disk_key=self.keys.key_id(BOOT_DISKS),
                key_grants=[*self.keys.grants[GKE_SECRETS.key], *self.keys.grants[BOOT_DISKS.key]],
            ),
            opts=child,
        )
        self.gpu_pools = GpuNodePools(f"{name}-gpu", self.scope, self.cluster, opts=child)
        gke = self.cluster.cluster
        config = pulumi.Output.all(gke.name, gke.endpoint, gke.master_auth.cluster_ca_certificate).apply(
            lambda parts: kubeconfig(str(parts[0]), str(parts[1]), str(parts[2]))
        )
        self.provider = k8s.Provider(
            f"{name}-k8s",
            kubeconfig=pulumi.Output.secret(config),
            enable_server_side_apply=True,
            opts=child,
        )

    def _create_weights(self, name: str) -> None:
        child = pulumi.ResourceOptions(parent=self)
        models = sorted({m.name for m, p in self._stack.placements() if p.target == name})
        self.identity = WorkloadIdentity(
            f"{name}-wi",
            self.scope,
            WorkloadIdentityArgs(workload_pool=self.cluster.workload_pool, models=models, cluster=self.cluster.cluster),
            opts=child,
        )
        self.weights = WeightStore(
            f"{name}-weights",
            self.scope,
            WeightStoreArgs(
                kms_key=self.keys.key_id(WEIGHTS),
                key_grants=self.keys.grants[WEIGHTS.key],
                readers={"server": self.identity.server.member},
                writers={"stager": self.identity.stager.member},
            ),
            opts=child,
        )

    def _create_registry(self, name: str) -> None:
        self.registry = Registry(
            f"{name}-ar",
            self.scope,
            RegistryArgs(
                kms_key=self.keys.key_id(REGISTRY),
                key_grants=self.keys.grants[REGISTRY.key],
                node_service_account=self.cluster.node_service_account.member,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _create_gateway(self, name: str) -> None:
        # The serving layer's gateway behind the load balancer: a ClusterIP Service whose NEGs
        # are the backends, plain HTTP (TLS ends at Google's front ends), client addresses from
        # X-Forwarded-For, Cloud Armor instead of the in-cluster WAF. It runs on the system pool.
        self._edge_name = f"{name}-edge"
        options = GatewayOptions.from_edge(
            self._stack,
            self._target,
            tls="none",
            waf=False,
            service_type="ClusterIP",
            service_annotations=gateway_service_annotations(neg_name(self._edge_name)),
            trusted_proxy_hops=TRUSTED_PROXY_HOPS,
            proxy_replicas=GATEWAY_PROXY_REPLICAS[self._stack.environment],
            install_cert_manager=False,
        )
        self.gateway = build_gateway(
            f"{name}-gateway",
            self.provider,
            options,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.cluster.system_pool]),
        )

    def _create_edge(self, name: str) -> None:
        self.edge = Edge(
            self._edge_name,
            self.scope,
            EdgeArgs(
                network=self.network.vpc.id,
                node_tag=self.cluster.node_tag,
                zones=self.cluster.system_zones,
                hostnames=edge_hostnames(self._stack, name),
                # After the gateway whose Service makes the NEGs; destroyed before the cluster.
                depends_on=[self.cluster.system_pool, *self.gateway.ready],
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.edge_address = self.edge.address.address
        self.edge_hostname = self.edge.hostname

    def _create_budget(self, name: str) -> None:
        self.budget = Budget(f"{name}-budget", self.scope, opts=pulumi.ResourceOptions(parent=self))

    def _cluster_context(self) -> ClusterContext:
        target = self._target
        return ClusterContext(
            stack=self._stack,
            target=target,
            provider=self.provider,
            pools={p.name: pool_scheduling(target, p) for p in target.gpu_pools},
            weights=WeightStoreRef(uri=self.weights.uri),
            image=self.registry.image,
            gateway=self.gateway.ref,
            server_sa_annotations=dict(self.identity.server_annotations),
            stager_sa_annotations=dict(self.identity.stager_annotations),
            metrics="gmp" if target.monitoring.stack == "managed" else "prometheus-operator",
            depends_on=[self.cluster.system_pool, *self.gpu_pools.pools.values(), *self.gateway.ready],
            extra={
                # The placements attach their routes to this gateway (workloads.gateway.ensure_gateway).
                GATEWAY_KEY: self.gateway,
                # What the gateway's Service looks like on GKE for the edge to reach it.
                "gateway_service": {
                    "type": "ClusterIP",
                    "port": GATEWAY_SERVICE_PORT,
                    "annotations": gateway_service_annotations(self.edge.neg_name),
                },
                "gateway_tls": "none",
                "trusted_proxy_hops": TRUSTED_PROXY_HOPS,
                "in_cluster_waf": False,
                "gcp": {
                    "project": target.project,
                    "region": target.region,
                    "clusterName": target.name,
                    "weightsBucket": self.weights.uri.removeprefix("gs://"),
                    "edge": {
                        "address": self.edge.address.address,
                        "hostnames": self.edge.hostnames,
                        "securityPolicy": self.edge.security_policy.self_link,
                    },
                },
            },
        )
