"""One model placement on one cluster: the ModelPlacement component."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from infra import naming
from infra.config import ModelConfig, Placement
from infra.workloads.context import ClusterContext


@dataclass(frozen=True)
class PlacementArgs:
    model: ModelConfig
    placement: Placement
    cluster: ClusterContext


class ModelPlacement(pulumi.ComponentResource):
    """A model's servers on one cluster, with everything around them."""

    namespace: k8s.core.v1.Namespace

    def __init__(self, name: str, args: PlacementArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("llm-fleet:workloads:ModelPlacement", name, None, opts)
        self._args = args
        self._child = pulumi.ResourceOptions(
            parent=self, provider=args.cluster.provider, depends_on=list(args.cluster.depends_on)
        )
        self._create_namespace(name)
        self.register_outputs({"namespace": self.namespace.metadata.name})

    def _create_namespace(self, name: str) -> None:
        ns = naming.namespace(self._args.model.name)
        self.namespace = k8s.core.v1.Namespace(
            f"{name}-ns",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=ns,
                labels={
                    "pod-security.kubernetes.io/enforce": "restricted",
                    "pod-security.kubernetes.io/enforce-version": "latest",
                    "app.kubernetes.io/part-of": "llm-fleet",
                },
            ),
            opts=self._child,
        )
