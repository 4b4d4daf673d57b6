"""The model's namespace: Pod Security "restricted", cost labels, gateway access."""

from __future__ import annotations

import pulumi_kubernetes as k8s

from infra import naming
from infra.workloads import meta
from infra.workloads.scope import PlacementScope

PSS_LEVEL = "restricted"
PSS_VERSION = "latest"


def pod_security_labels(level: str = PSS_LEVEL) -> dict[str, str]:
    """Enforce, audit and warn at the same Pod Security Standards level."""
    out: dict[str, str] = {}
    for mode in ("enforce", "audit", "warn"):
        out[f"pod-security.kubernetes.io/{mode}"] = level
        out[f"pod-security.kubernetes.io/{mode}-version"] = PSS_VERSION
    return out


def create_namespace(scope: PlacementScope) -> k8s.core.v1.Namespace:
    stack = scope.cluster.stack
    labels = {
        **pod_security_labels(),
        **naming.cost_tags(stack.environment, stack.owner, stack.cost_center, scope.cluster.name),
        "app.kubernetes.io/part-of": meta.PART_OF,
        f"{meta.DOMAIN}/model": scope.model.name,
        meta.GATEWAY_ACCESS_LABEL: "true",
    }
    if stack.image.signer is not None:
        labels[meta.SIGNATURE_CHECK_LABEL] = "true"
    return k8s.core.v1.Namespace(
        f"{scope.name}-ns",
        metadata=meta.metadata(scope.namespace, labels=labels),
        opts=scope.child(),
    )
