"""ServiceAccounts of the servers and the stager: no token mounted, the cloud identity annotated.

Neither the server nor the stager talks to the Kubernetes API, so neither gets a token.
The target's identity annotations (IRSA role, GKE Workload Identity service account) let
them reach the weight bucket without static keys.
"""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from infra import naming
from infra.workloads import meta
from infra.workloads.scope import PlacementScope


def create_service_accounts(
    scope: PlacementScope, namespace: k8s.core.v1.Namespace
) -> tuple[k8s.core.v1.ServiceAccount, k8s.core.v1.ServiceAccount]:
    server = _service_account(
        scope,
        namespace,
        naming.server_service_account(scope.model.name),
        meta.SERVER,
        scope.cluster.server_sa_annotations,
    )
    stager = _service_account(
        scope,
        namespace,
        naming.stager_service_account(scope.model.name),
        meta.STAGER,
        scope.cluster.stager_sa_annotations,
    )
    return server, stager


def _service_account(
    scope: PlacementScope,
    namespace: k8s.core.v1.Namespace,
    name: str,
    component: str,
    annotations: dict[str, pulumi.Input[str]],
) -> k8s.core.v1.ServiceAccount:
    return k8s.core.v1.ServiceAccount(
        f"{scope.name}-{component}-sa",
        metadata=meta.metadata(name, scope.namespace, scope.labels(component), annotations or None),
        automount_service_account_token=False,
        opts=scope.child(depends_on=[namespace]),
    )
