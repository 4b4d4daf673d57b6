"""AwsTargetComponent (first cut: the provider wiring; the AWS issue builds the rest)."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from infra.config import AwsTarget, StackConfig
from infra.targets import image_reference, pool_scheduling
from infra.workloads.context import ClusterContext, GatewayRef, WeightStoreRef


class AwsTargetComponent(pulumi.ComponentResource):
    context: ClusterContext

    def __init__(self, name: str, target: AwsTarget, stack: StackConfig, opts: pulumi.ResourceOptions | None = None):
        super().__init__("llm-fleet:aws:Target", name, None, opts)
        self.aws_provider = aws.Provider(f"{name}-aws", region=target.region, opts=pulumi.ResourceOptions(parent=self))
        self.provider = k8s.Provider(
            f"{name}-k8s",
            kubeconfig=pulumi.Output.secret("{}"),
            enable_server_side_apply=True,
            opts=pulumi.ResourceOptions(parent=self),
        )
        repository = f"123456789012.dkr.ecr.{target.region}.amazonaws.com/{name}-serving"
        self.context = ClusterContext(
            stack=stack,
            target=target,
            provider=self.provider,
            pools={p.name: pool_scheduling(target, p) for p in target.gpu_pools},
            weights=WeightStoreRef(uri=f"s3://{name}-weights"),
            image=image_reference(repository, stack.image, "sha256:" + "0" * 64 if stack.image.build else None),
            gateway=GatewayRef(name="llm-gateway", namespace="llm-edge", hostname=target.edge.domain),
        )
        self.register_outputs({})
