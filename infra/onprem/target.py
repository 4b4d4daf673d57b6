"""OnPremTargetComponent: an existing Kubernetes cluster, reached through a kubeconfig.

    provider        Kubernetes provider from the kubeconfig (a secret reference)
    gpu operator    NVIDIA GPU Operator (Helm), unless ``gpuOperator: preinstalled``
    edge            Envoy Gateway + cert-manager: TLS (ACME or an internal CA), API keys,
                    per-client rate limits, OWASP CRS, client allow-list (infra.workloads.gateway)
    lws             LeaderWorkerSet controller (Helm), when a model placed here spans nodes
    weights         the S3-compatible endpoint (credentials from a secret reference) or a PVC

and the ClusterContext the model placements build on.
"""

from __future__ import annotations

import pulumi
import pulumi_docker_build as docker_build
import pulumi_kubernetes as k8s

from infra import secrets, versions
from infra.config import OnPremTarget, StackConfig
from infra.image_build import build_serving_image
from infra.image_distribution import serving_image
from infra.targets import pool_scheduling
from infra.workloads import system_namespaces
from infra.workloads.context import ClusterContext, PoolScheduling, WeightStoreRef
from infra.workloads.gateway import GATEWAY_KEY, GatewayEdge, GatewayOptions, build_gateway
from infra.workloads.sizing import server_shape

GPU_OPERATOR_NAMESPACE = "gpu-operator"
LWS_NAMESPACE = "lws-system"
GPU_OPERATOR_METRICS_PORTS = (8080, 9400)
"""The operator's metrics and the DCGM exporter (GPU metrics)."""
LWS_WEBHOOK_PORT = 9443
LWS_METRICS_PORT = 8443
WEIGHTS_CLAIM = "model-weights"
"""Name of the weights PVC in each model namespace (``weights.kind: pvc``)."""


class OnPremTargetComponent(pulumi.ComponentResource):
    context: ClusterContext
    provider: k8s.Provider
    edge: GatewayEdge
    gpu_operator: k8s.helm.v3.Release | None
    leader_worker_set: k8s.helm.v3.Release | None

    def __init__(self, name: str, target: OnPremTarget, stack: StackConfig, opts: pulumi.ResourceOptions | None = None):
        super().__init__("llm-fleet:onprem:Target", name, None, opts)
        self._name = name
        self._target = target
        self._stack = stack
        self._pools = {p.name: pool_scheduling(target, p) for p in target.gpu_pools}
        self.image: docker_build.Image | None = None
        self._create_provider()
        self._create_gpu_operator()
        self._create_edge()
        self._create_leader_worker_set()
        addons = [r for r in (self.gpu_operator, self.leader_worker_set) if r is not None]
        self.context = ClusterContext(
            stack=stack,
            target=target,
            provider=self.provider,
            pools=self._pools,
            weights=self._weights(),
            image=serving_image(
                name,
                target.registry,
                stack.image,
                built_digest=self._built_digest(),
                credentials=self._registry_credentials(),
                opts=pulumi.ResourceOptions(parent=self),
            ),
            gateway=self.edge.ref,
            metrics="prometheus-operator",
            api_key_source="kubernetes",
            depends_on=addons,
            extra={GATEWAY_KEY: self.edge},
        )
        self.register_outputs(
            {
                "gateway": f"{self.edge.ref.namespace}/{self.edge.ref.name}",
                "hostnames": self.edge.hostnames,
                "gpuOperator": self.gpu_operator is not None,
                "leaderWorkerSet": self.leader_worker_set is not None,
            }
        )

    # -- helpers ------------------------------------------------------------------------
    def _child(self, *depends_on: pulumi.Resource) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self, provider=self.provider, depends_on=list(depends_on))

    # -- provider -------------------------------------------------------------------------
    def _registry_credentials(self) -> tuple[str, pulumi.Output[str]] | None:
        target = self._target
        if not (target.registry_username and target.registry_password):
            return None
        password = secrets.resolve(target.registry_password, f"targets.{self._name}.registryPassword")
        return target.registry_username, password

    def _built_digest(self) -> pulumi.Output[str] | None:
        """With ``image.build`` (dev), build serving/ and push it to this cluster's registry."""
        if not self._stack.image.build:
            return None
        target = self._target
        registry = None
        credentials = self._registry_credentials()
        if credentials:
            username, password = credentials
            registry = docker_build.RegistryArgs(
                address=target.registry.split("/", 1)[0], username=username, password=password
            )
        self.image = build_serving_image(
            f"{self._name}-serving-image",
            target.registry,
            self._stack.image,
            registry,
            pulumi.ResourceOptions(parent=self),
        )
        return self.image.digest

    def _create_provider(self) -> None:
        kubeconfig = secrets.resolve(self._target.kubeconfig, f"targets.{self._name}.kubeconfig")
        self.provider = k8s.Provider(
            f"{self._name}-k8s",
            kubeconfig=kubeconfig,
            context=self._target.context,
            enable_server_side_apply=True,
            opts=pulumi.ResourceOptions(parent=self),
        )

    # -- GPU operator -------------------------------------------------------------------------
    def _create_gpu_operator(self) -> None:
        self.gpu_operator = None
        if self._target.gpu_operator == "preinstalled":
            return
        chart = versions.GPU_OPERATOR
        scraper = system_namespaces.scraper("prometheus-operator")
        namespace = system_namespaces.create_addon_namespace(
            f"{self._name}-{GPU_OPERATOR_NAMESPACE}",
            GPU_OPERATOR_NAMESPACE,
            self._child(),
            pod_security="privileged",
            exception="the NVIDIA driver, container toolkit and device plugin daemonsets load kernel modules and "
            "configure the container runtime on the GPU nodes: they need privileged host access",
            ingress=[{"from": [scraper], "ports": system_namespaces.tcp(*GPU_OPERATOR_METRICS_PORTS)}],
            # the API server; distribution mirrors for driver builds (HTTP and HTTPS)
            egress=[{"to": system_namespaces.anywhere(), "ports": system_namespaces.tcp(80, 443, 6443)}],
        )
        self.gpu_operator = k8s.helm.v3.Release(
            f"{self._name}-gpu-operator",
            name="gpu-operator",
            **chart.release_args(),
            namespace=GPU_OPERATOR_NAMESPACE,
            create_namespace=False,
            values={
                "driver": {"enabled": True},
                "toolkit": {"enabled": True},
                "devicePlugin": {"enabled": True},
                "dcgmExporter": {"enabled": True},
                "nfd": {"enabled": True},
                # Memory limit only (the chart's 350Mi stays): its default 500m CPU limit is deleted.
                "operator": {"resources": {"limits": {"cpu": None}}},
                # The GPU nodes carry the nvidia.com/gpu NoSchedule taint the servers tolerate.
                "daemonsets": {
                    "tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]
                },
            },
            opts=self._child(namespace),
        )

    # -- edge -------------------------------------------------------------------------------
    def _create_edge(self) -> None:
        self.edge = build_gateway(
            f"{self._name}-gateway",
            self.provider,
            GatewayOptions.from_edge(self._stack, self._target),
            pulumi.ResourceOptions(parent=self),
        )

    # -- LeaderWorkerSet --------------------------------------------------------------------
    def needs_multi_node(self) -> bool:
        """Whether any model placed here needs more GPUs per server than one node has."""
        for model, placement in self._stack.placements():
            if placement.target != self._name:
                continue
            pool: PoolScheduling = self._pools[placement.pool]
            if server_shape(model, placement, pool, "onprem").multi_node:
                return True
        return False

    def _create_leader_worker_set(self) -> None:
        self.leader_worker_set = None
        if not self.needs_multi_node():
            return
        chart = versions.LEADER_WORKER_SET
        namespace = system_namespaces.create_addon_namespace(
            f"{self._name}-{LWS_NAMESPACE}",
            LWS_NAMESPACE,
            self._child(),
            ingress=[
                {"from": system_namespaces.anywhere(), "ports": system_namespaces.tcp(LWS_WEBHOOK_PORT)},
                {
                    "from": [system_namespaces.scraper("prometheus-operator")],
                    "ports": system_namespaces.tcp(LWS_METRICS_PORT),
                },
            ],
            egress=[system_namespaces.api_server_egress()],
        )
        self.leader_worker_set = k8s.helm.v3.Release(
            f"{self._name}-lws",
            name="lws",
            **chart.release_args(),
            namespace=LWS_NAMESPACE,
            create_namespace=False,
            opts=self._child(namespace),
        )

    # -- weights --------------------------------------------------------------------------------
    def _weights(self) -> WeightStoreRef:
        weights = self._target.weights
        if weights.kind == "pvc":
            return WeightStoreRef(uri=f"pvc://{WEIGHTS_CLAIM}")
        credentials = (
            secrets.resolve(weights.credentials, f"targets.{self._name}.weights.credentials")
            if weights.credentials
            else None
        )
        return WeightStoreRef(uri=f"s3://{weights.bucket}", endpoint=weights.endpoint, credentials_secret=credentials)
