"""PlacementScope: what every builder of a model placement needs, in one immutable value."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi

from infra import naming
from infra.config import ModelConfig, Placement
from infra.workloads import meta
from infra.workloads.context import ClusterContext, PoolScheduling
from infra.workloads.sizing import ServerShape


@dataclass(frozen=True)
class PlacementScope:
    name: str
    """Pulumi name of the placement component (``<target>-<model>``); children are named from it."""
    model: ModelConfig
    placement: Placement
    cluster: ClusterContext
    shape: ServerShape
    opts: pulumi.ResourceOptions
    """Options for children: parent, the cluster's provider, its add-ons as dependencies."""

    @property
    def namespace(self) -> str:
        return naming.namespace(self.model.name)

    @property
    def pool(self) -> PoolScheduling:
        return self.cluster.pools[self.placement.pool]

    @property
    def server_name(self) -> str:
        return naming.server_name(self.model.name)

    @property
    def served_name(self) -> str:
        return self.model.served_name or self.model.name

    def labels(self, component: str = meta.SERVER) -> dict[str, str]:
        return meta.labels(self.model.name, component, self.cluster.name)

    def selector(self, component: str = meta.SERVER) -> dict[str, str]:
        return meta.selector_labels(self.model.name, component)

    def child(self, **overrides: Any) -> pulumi.ResourceOptions:
        """Child options, merged with ``overrides`` (depends_on is added to, never replaced)."""
        extra = list(overrides.pop("depends_on", []) or [])
        return pulumi.ResourceOptions.merge(
            self.opts, pulumi.ResourceOptions(depends_on=extra, **overrides) if (extra or overrides) else None
        )
