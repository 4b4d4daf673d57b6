"""AwsTargetComponent: everything a ``kind: aws`` target needs, composed from small components.

keys -> network -> storage, registry -> cluster -> workload identities, Karpenter (GPU
capacity) -> the in-cluster gateway -> edge (ALB + WAF bound to the gateway) -> managed
metrics (optional) -> budget; then the ClusterContext the workloads build on.
"""

from __future__ import annotations

from typing import Any

import pulumi

from infra.aws.budget import Budget
from infra.aws.cluster import Cluster
from infra.aws.common import make_env
from infra.aws.edge import Edge
from infra.aws.identity import WorkloadIdentities
from infra.aws.karpenter import Karpenter
from infra.aws.keys import Keys
from infra.aws.monitoring import ManagedPrometheus
from infra.aws.network import Network
from infra.aws.registry import Registry
from infra.aws.storage import Storage
from infra.config import AwsTarget, StackConfig
from infra.targets import pool_scheduling
from infra.workloads.context import ClusterContext, WeightStoreRef
from infra.workloads.gateway import GATEWAY_KEY, GatewayEdge, GatewayOptions, build_gateway

GATEWAY_PROXY_REPLICAS = {"dev": 2, "staging": 2, "prod": 3}


class AwsTargetComponent(pulumi.ComponentResource):
    """An EKS GPU cluster with its edge, keys, weights, registry, metrics and budget."""

    context: ClusterContext
    keys: Keys
    network: Network
    storage: Storage
    registry: Registry
    cluster: Cluster
    identities: WorkloadIdentities
    karpenter: Karpenter
    gateway: GatewayEdge
    edge: Edge
    monitoring: ManagedPrometheus | None
    budget: Budget
    aws_provider: pulumi.ProviderResource
    """The target's AWS provider (the routing layer puts its Route 53 records on it)."""
    edge_alias: dict[str, pulumi.Output[str]]
    """``{"name", "zone_id"}`` of the ALB, for alias records of routed hostnames."""
    edge_address: None = None
    """An ALB has no fixed IP address: routing aliases it (``edge_alias``) instead."""

    def __init__(self, name: str, target: AwsTarget, stack: StackConfig, opts: pulumi.ResourceOptions | None = None):
        super().__init__("llm-fleet:aws:Target", name, None, opts)
        self._name = name
        self._target = target
        self._stack = stack
        self.env = make_env(name, target, stack, parent=self)
        self.aws_provider = self.env.provider
        self._create_foundation()
        self._create_cluster()
        self._create_edge()
        self.edge_alias = {"name": self.edge.load_balancer.dns_name, "zone_id": self.edge.load_balancer.zone_id}
        self._create_monitoring()
        self.budget = Budget(f"{name}-budget", self.env, opts=self._child())
        self.context = self._cluster_context()
        self.register_outputs(
            {
                "clusterName": self.cluster.cluster.name,
                "edgeDnsName": self.edge.load_balancer.dns_name,
                "weights": self.storage.weights_uri,
                "image": self.registry.image_ref,
            }
        )

    def _child(self, **kwargs: Any) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self, providers={"aws": self.env.provider}, **kwargs)

    def _create_foundation(self) -> None:
        env = self.env
        self.keys = Keys(f"{self._name}-keys", env, opts=self._child())
        self.network = Network(f"{self._name}-network", env, self.keys, opts=self._child())
        self.storage = Storage(f"{self._name}-storage", env, self.keys, opts=self._child())
        self.registry = Registry(f"{self._name}-registry", env, self.keys, opts=self._child())

    def _create_cluster(self) -> None:
        env = self.env
        self.cluster = Cluster(f"{self._name}-cluster", env, self.network, self.keys, opts=self._child())
        self.identities = WorkloadIdentities(
            f"{self._name}-identities", env, self.cluster, self.storage, opts=self._child()
        )
        self.karpenter = Karpenter(f"{self._name}-karpenter", env, self.cluster, self.keys, opts=self._child())

    def _create_edge(self) -> None:
        env, target = self.env, self._target
        # The serving layer's gateway, behind the ALB: ClusterIP only, TLS ends at the ALB,
        # client addresses from the ALB's X-Forwarded-For, AWS WAF instead of the in-cluster one.
        options = GatewayOptions.from_edge(
            self._stack,
            target,
            tls="none",
            waf=False,
            service_type="ClusterIP",
            trusted_proxy_hops=1,
            proxy_replicas=GATEWAY_PROXY_REPLICAS[self._stack.environment],
            install_cert_manager=False,
        )
        self.gateway = build_gateway(
            f"{self._name}-gateway",
            self.cluster.provider,
            options,
            opts=self._child(depends_on=[*self.cluster.addons.values()]),
        )
        self.edge = Edge(
            f"{self._name}-edge",
            env,
            self.network,
            self.cluster,
            self.keys,
            self.storage,
            self.gateway,
            opts=self._child(),
        )

    def _create_monitoring(self) -> None:
        self.monitoring = None
        if self._target.monitoring.stack == "managed":
            self.monitoring = ManagedPrometheus(
                f"{self._name}-metrics", self.env, self.cluster, self.keys, opts=self._child()
            )

    def _cluster_context(self) -> ClusterContext:
        target = self._target
        extra: dict[str, Any] = {
            # The placements attach their routes to this gateway (workloads.gateway.ensure_gateway).
            GATEWAY_KEY: self.gateway,
            "aws": {
                "region": target.region,
                "clusterName": self.env.cluster_name,
                "weightsBucket": self.storage.weights_bucket_name,
                "edge": {
                    "dnsName": self.edge.load_balancer.dns_name,
                    "zoneId": self.edge.load_balancer.zone_id,
                    "hostnames": self.edge.hostnames,
                },
            }
        }
        if self.monitoring is not None:
            # The operations layer's Prometheus remote-writes here (SigV4, Pod Identity).
            extra["amp_remote_write_url"] = self.monitoring.remote_write_url
            extra["aws"]["managedPrometheusWorkspaceId"] = self.monitoring.workspace.id
        return ClusterContext(
            stack=self._stack,
            target=target,
            provider=self.cluster.provider,
            pools={p.name: pool_scheduling(target, p) for p in target.gpu_pools},
            weights=WeightStoreRef(uri=self.storage.weights_uri),
            image=self.registry.image_ref,
            gateway=self.gateway.ref,
            # EKS Pod Identity binds the roles to the service accounts: no annotations needed.
            server_sa_annotations={},
            stager_sa_annotations={},
            metrics="prometheus-operator",
            # The API keys live in Kubernetes Secrets, envelope-encrypted with the EKS KMS key.
            api_key_source="kubernetes",
            depends_on=[
                *self.cluster.addons.values(),
                self.karpenter.release,
                self.karpenter.device_plugin,
                *self.karpenter.node_pools.values(),
                self.identities,
                *self.gateway.ready,
            ],
            extra=extra,
        )
