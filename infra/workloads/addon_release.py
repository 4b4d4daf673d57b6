"""The Helm release of a cluster add-on the operations stack and admission control install
(kube-prometheus-stack, DCGM exporter, KEDA, policy-controller)."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from infra.versions import HelmChart


def create_addon_release(
    resource_name: str,
    chart: HelmChart,
    *,
    name: str,
    namespace: str,
    values: dict[str, Any],
    opts: pulumi.ResourceOptions,
    **options: Any,
) -> k8s.helm.v3.Release:
    """``chart`` at its pinned version into ``namespace``; ``options`` are further Release
    arguments (``timeout``)."""
    return k8s.helm.v3.Release(
        resource_name,
        name=name,
        namespace=namespace,
        # The namespace is declared beforehand, with its Pod Security labels (and policies).
        create_namespace=False,
        values=values,
        # Helm rolls a failed install or upgrade back instead of leaving the add-on half changed.
        atomic=True,
        opts=opts,
        **options,
        **chart.release_args(),
    )
