"""The contract between a target (aws/gcp/onprem) and the cluster-agnostic workloads.

A target component builds a cluster (or connects to one) and hands the workloads one
ClusterContext: how to reach the cluster, how to schedule onto each GPU pool, where the
weights live, which identity annotations the service accounts need, and the gateway
that fronts the model servers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import pulumi
import pulumi_kubernetes as k8s

from infra.config import AwsTarget, GcpTarget, OnPremTarget, StackConfig

OPERATIONS_KEY = "operations"
"""``ClusterContext.extra`` key of the cluster's operations component (its ``dependencies``: the
owners of the metrics CRDs that scrape objects wait for)."""

GPU_TAINT = {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}


@dataclass(frozen=True)
class PoolScheduling:
    """How pods land on one GPU pool."""

    name: str
    gpu: str
    """GPU type id from the serving catalogue (L4, H100-80GB, ...)."""
    gpus_per_node: int
    max_nodes: int
    node_selector: dict[str, str]
    tolerations: list[dict[str, str]] = field(default_factory=lambda: [dict(GPU_TAINT)])
    capacity_type: str = "on-demand"
    instance_types: tuple[str, ...] = ()


@dataclass(frozen=True)
class WeightStoreRef:
    """Where staged weights live on this target."""

    uri: str
    """Bucket URI with prefix, e.g. ``s3://bucket``, ``gs://bucket``, ``pvc://claim``."""
    endpoint: str | None = None
    """S3-compatible endpoint (on-prem); None for AWS S3 and GCS."""
    credentials_secret: pulumi.Input[str] | None = None
    """On-prem S3: secret Output holding JSON {accessKeyId, secretAccessKey}."""


@dataclass(frozen=True)
class GatewayRef:
    """The Gateway API gateway that fronts the model servers on this cluster."""

    name: str
    namespace: str
    hostname: str
    proxy_replicas: int = 2
    """Envoy proxy replicas behind the gateway (local rate limits count per replica)."""


@dataclass(frozen=True)
class ClusterContext:
    stack: StackConfig
    target: AwsTarget | GcpTarget | OnPremTarget
    provider: k8s.Provider
    pools: dict[str, PoolScheduling]
    weights: WeightStoreRef
    image: pulumi.Input[str]
    """Serving image reference pinned by digest (``repo@sha256:...``)."""
    gateway: GatewayRef
    server_sa_annotations: dict[str, pulumi.Input[str]] = field(default_factory=dict)
    stager_sa_annotations: dict[str, pulumi.Input[str]] = field(default_factory=dict)
    metrics: Literal["prometheus-operator", "gmp"] = "prometheus-operator"
    api_key_source: Literal["kubernetes", "aws-secrets-manager", "gcp-secret-manager"] = "kubernetes"
    api_key: Callable[[str], pulumi.Output[str]] | None = None
    """Model name -> that model's API key (a secret Output) read from the cloud's secret store.
    Required unless api_key_source is "kubernetes", where the workloads generate the key
    (pulumi_random) and keep it only in a Kubernetes Secret."""
    depends_on: list[pulumi.Resource] = field(default_factory=list)
    """Cluster add-ons (CRDs, operators) the workloads must wait for."""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        return self.target.kind

    @property
    def name(self) -> str:
        return self.target.name
