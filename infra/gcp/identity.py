"""WorkloadIdentity: Google service accounts of the model servers and the staging Jobs.

Each model placed on the target gets its Kubernetes service accounts bound to these
through Workload Identity (``roles/iam.workloadIdentityUser`` for
``serviceAccount:PROJECT.svc.id.goog[NAMESPACE/KSA]``); the KSAs carry the
``iam.gke.io/gcp-service-account`` annotation from :attr:`server_annotations` /
:attr:`stager_annotations`.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp

from infra import naming
from infra.gcp.common import GcpScope, fit_name

KSA_ANNOTATION = "iam.gke.io/gcp-service-account"
WORKLOAD_IDENTITY_USER = "roles/iam.workloadIdentityUser"


@dataclass(frozen=True)
class WorkloadIdentityArgs:
    workload_pool: str
    """``PROJECT.svc.id.goog``"""
    models: list[str]
    """Models placed on this target."""
    cluster: pulumi.Resource
    """The first cluster with Workload Identity creates the pool the bindings name."""


class WorkloadIdentity(pulumi.ComponentResource):
    server: gcp.serviceaccount.Account
    stager: gcp.serviceaccount.Account
    server_annotations: dict[str, pulumi.Input[str]]
    stager_annotations: dict[str, pulumi.Input[str]]

    def __init__(
        self, name: str, scope: GcpScope, args: WorkloadIdentityArgs, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__("llm-fleet:gcp:WorkloadIdentity", name, None, opts)
        self._scope = scope
        self._args = args
        self.server = self._create_account(name, "server", "model servers (read weights)")
        self.stager = self._create_account(name, "stager", "model staging Jobs (write weights)")
        self._create_bindings(name)
        self.server_annotations = {KSA_ANNOTATION: self.server.email}
        self.stager_annotations = {KSA_ANNOTATION: self.stager.email}
        self.register_outputs({"server": self.server.email, "stager": self.stager.email})

    def _create_account(self, name: str, role: str, what: str) -> gcp.serviceaccount.Account:
        return gcp.serviceaccount.Account(
            f"{name}-{role}",
            account_id=fit_name(f"{self._scope.target.name}-{role}", 30),
            project=self._scope.project,
            display_name=f"llm-fleet {what} on {self._scope.target.name}",
            opts=self._scope.opts(self),
        )

    def _create_bindings(self, name: str) -> None:
        pool = self._args.workload_pool
        for model in self._args.models:
            namespace = naming.namespace(model)
            for account, ksa in (
                (self.server, naming.server_service_account(model)),
                (self.stager, naming.stager_service_account(model)),
            ):
                gcp.serviceaccount.IAMMember(
                    f"{name}-{ksa}",
                    service_account_id=account.name,
                    role=WORKLOAD_IDENTITY_USER,
                    member=f"serviceAccount:{pool}[{namespace}/{ksa}]",
                    opts=self._scope.opts(self, depends_on=[self._args.cluster]),
                )
