"""GcpTargetComponent (first cut: the provider wiring; the GCP issue builds the rest)."""

from __future__ import annotations

import pulumi
import pulumi_gcp as gcp
import pulumi_kubernetes as k8s

from infra.config import GcpTarget, StackConfig
from infra.targets import image_reference, pool_scheduling
from infra.workloads.context import ClusterContext, GatewayRef, WeightStoreRef


class GcpTargetComponent(pulumi.ComponentResource):
    context: ClusterContext

    def __init__(self, name: str, target: GcpTarget, stack: StackConfig, opts: pulumi.ResourceOptions | None = None):
        super().__init__("llm-fleet:gcp:Target", name, None, opts)
        self.gcp_provider = gcp.Provider(
            f"{name}-gcp", project=target.project, region=target.region, opts=pulumi.ResourceOptions(parent=self)
        )
        self.provider = k8s.Provider(
            f"{name}-k8s",
            kubeconfig=pulumi.Output.secret("{}"),
            enable_server_side_apply=True,
            opts=pulumi.ResourceOptions(parent=self),
        )
        repository = f"{target.region}-docker.pkg.dev/{target.project}/{name}-serving/serving"
        self.context = ClusterContext(
            stack=stack,
            target=target,
            provider=self.provider,
            pools={p.name: pool_scheduling(target, p) for p in target.gpu_pools},
            weights=WeightStoreRef(uri=f"gs://{target.project}-{name}-weights"),
            image=image_reference(repository, stack.image, "sha256:" + "0" * 64 if stack.image.build else None),
            gateway=GatewayRef(name="llm-gateway", namespace="llm-edge", hostname=target.edge.domain),
            metrics="gmp",
        )
        self.register_outputs({})
