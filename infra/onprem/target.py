"""OnPremTargetComponent: provider from the kubeconfig, cluster add-ons and edge."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from infra import secrets
from infra.config import OnPremTarget, StackConfig
from infra.targets import image_reference, pool_scheduling
from infra.workloads.context import ClusterContext, GatewayRef, WeightStoreRef


class OnPremTargetComponent(pulumi.ComponentResource):
    context: ClusterContext

    def __init__(self, name: str, target: OnPremTarget, stack: StackConfig, opts: pulumi.ResourceOptions | None = None):
        super().__init__("llm-fleet:onprem:Target", name, None, opts)
        self._target = target
        self._stack = stack
        self._create_provider(name)
        self.context = ClusterContext(
            stack=stack,
            target=target,
            provider=self.provider,
            pools={p.name: pool_scheduling(target, p) for p in target.gpu_pools},
            weights=self._weights(),
            image=image_reference(target.registry, stack.image, "sha256:" + "0" * 64 if stack.image.build else None),
            gateway=GatewayRef(name="llm-gateway", namespace="llm-edge", hostname=target.edge.domain),
        )
        self.register_outputs({})

    def _create_provider(self, name: str) -> None:
        kubeconfig = secrets.resolve(self._target.kubeconfig, f"targets.{name}.kubeconfig")
        self.provider = k8s.Provider(
            f"{name}-k8s",
            kubeconfig=kubeconfig,
            context=self._target.context,
            enable_server_side_apply=True,
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _weights(self) -> WeightStoreRef:
        weights = self._target.weights
        if weights.kind == "pvc":
            return WeightStoreRef(uri="pvc://model-weights")
        credentials = (
            secrets.resolve(weights.credentials, f"targets.{self._target.name}.weights.credentials")
            if weights.credentials
            else None
        )
        return WeightStoreRef(uri=f"s3://{weights.bucket}", endpoint=weights.endpoint, credentials_secret=credentials)
