"""One model placement on one cluster: the ModelPlacement component.

In a namespace of its own (Pod Security "restricted", default-deny NetworkPolicies): the
ServiceAccounts, the Secrets (API key, source token, weight-store keys), the ServingSpec
ConfigMap, the staging Job (and the weights PVC on-prem), the servers (Deployment or
LeaderWorkerSet) with their Service and PodDisruptionBudget, and the routes through the
cluster's gateway (API-key auth, allow-list, per-client rate limit).

Other components attach to a placement through its attributes: ``labels`` (the server pods'
selector), ``service_name`` / ``service_port`` / ``metrics_path``, and ``workload`` with
``workload_kind`` / ``workload_api_version`` (the scale target of an autoscaler),
``hostnames`` and ``health_path`` (what the global routing health-checks).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_kubernetes as k8s

from infra import naming
from infra.api_clients import ClientKeys
from infra.config import ModelConfig, Placement
from infra.workloads import (
    client_credentials,
    credentials,
    gateway,
    identity,
    inference_pool,
    namespace,
    network_policy,
    routes,
    server,
    serving_config,
    staging,
)
from infra.workloads.context import ClusterContext
from infra.workloads.gateway import GatewayEdge
from infra.workloads.operations import PlacementOperations, ServerRef
from infra.workloads.scope import PlacementScope
from infra.workloads.sizing import ServerShape, server_shape
from serving.spec import ServingSpec


@dataclass(frozen=True)
class PlacementArgs:
    model: ModelConfig
    placement: Placement
    cluster: ClusterContext
    replicas_managed_externally: bool = False
    """True when an autoscaler (KEDA) owns the replica count: the workload then carries no
    ``replicas`` (server-side apply would reset the autoscaler's choice on every update).
    False: ``placement.replicas.min`` servers."""
    clients: ClientKeys = field(default_factory=ClientKeys)
    """The stack's active client keys (one value per client key, fleet-wide); empty: nobody is accepted."""


class ModelPlacement(pulumi.ComponentResource):
    """A model's servers on one cluster, with everything around them."""

    shape: ServerShape
    spec: ServingSpec
    namespace: k8s.core.v1.Namespace
    namespace_name: str
    labels: dict[str, str]
    service: k8s.core.v1.Service
    service_name: str
    service_port: int
    metrics_path: str
    workload: pulumi.CustomResource
    workload_kind: str
    workload_api_version: str
    hostnames: list[str]
    health_path: str
    gateway: GatewayEdge

    def __init__(self, name: str, args: PlacementArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("llm-fleet:workloads:ModelPlacement", name, None, opts)
        self._parent = opts.parent if opts is not None else None
        cluster = args.cluster
        pool = cluster.pools[args.placement.pool]
        self.shape = server_shape(args.model, args.placement, pool, cluster.kind)
        self._scope = PlacementScope(
            name=name,
            model=args.model,
            placement=args.placement,
            cluster=cluster,
            shape=self.shape,
            opts=pulumi.ResourceOptions(parent=self, provider=cluster.provider, depends_on=list(cluster.depends_on)),
        )
        self._args = args
        self.namespace_name = self._scope.namespace
        self.service_name = self._scope.server_name
        self.service_port = naming.SERVER_PORT
        self.metrics_path = "/metrics"
        self._create_namespace()
        self._create_identities()
        self._create_secrets()
        self._create_staging()
        self._create_servers()
        self._create_routes()
        # Scrape, SLO rules, dashboard and KEDA autoscaler of this placement (operations).
        PlacementOperations(
            f"{name}-ops",
            args,
            server=ServerRef.for_placement(self, args),
            opts=pulumi.ResourceOptions(parent=self, provider=cluster.provider, depends_on=[self.namespace]),
        )
        self.register_outputs(
            {
                "namespace": self.namespace_name,
                "service": self.service_name,
                "workloadKind": self.workload_kind,
                "tensorParallel": self.shape.tp,
                "nodesPerServer": self.shape.nodes,
                "hostnames": self.hostnames,
                "healthPath": self.health_path,
            }
        )

    def _create_namespace(self) -> None:
        self.namespace = namespace.create_namespace(self._scope)
        self.network_policies = network_policy.create_network_policies(self._scope, self.namespace)

    def _create_identities(self) -> None:
        self.server_account, self.stager_account = identity.create_service_accounts(self._scope, self.namespace)

    def _create_secrets(self) -> None:
        self.secrets = credentials.create_secrets(self._scope, self.namespace)

    def _create_staging(self) -> None:
        self.weights_claim = staging.create_weights_claim(self._scope, self.namespace)
        claim = [self.weights_claim] if self.weights_claim is not None else []
        self.staging_job = staging.create_staging_job(
            self._scope, self.namespace, self.stager_account, self.secrets, claim
        )

    def _create_servers(self) -> None:
        self.spec = serving_config.build_spec(self._scope)
        self.config_map, config_map_name = serving_config.create_config_map(self._scope, self.namespace, self.spec)
        replicas = None if self._args.replicas_managed_externally else self._args.placement.replicas.min
        claim = [self.weights_claim] if self.weights_claim is not None else []
        objects = server.create_server(
            self._scope,
            self.namespace,
            self.server_account,
            self.config_map,
            config_map_name,
            serving_config.spec_sha256(self.spec),
            self.secrets,
            replicas=replicas,
            depends_on=[*claim, *([self.secrets.weights] if self.secrets.weights is not None else [])],
        )
        self.workload = objects.workload
        self.workload_kind = objects.kind
        self.workload_api_version = objects.api_version
        self.service = objects.service
        self.pdb = objects.pdb
        self.labels = objects.labels

    def _create_routes(self) -> None:
        # The cluster's gateway: built by the target, or here once per cluster (cloud targets).
        self.gateway = gateway.ensure_gateway(self._args.cluster, self._parent)
        self.client_credentials = client_credentials.ensure_client_credentials(
            self._args.cluster, self._args.clients, self.gateway, self._parent
        )
        # Inference-aware routing: an InferencePool of the servers and its endpoint picker.
        self.pool = (
            inference_pool.create_pool(self._scope, self.namespace, self.workload, self.gateway.inference_pool_crd)
            if self._args.model.routing == "inference-aware"
            else None
        )
        self.routes = routes.create_routes(
            self._scope,
            self.namespace,
            self.service,
            self.secrets,
            self.client_credentials,
            depends_on=list(self.gateway.ready),
            pool=self.pool,
        )
        self.hostnames = self.routes.hostnames
        self.health_path = self.routes.health_path
