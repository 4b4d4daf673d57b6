"""ProjectApis: the Google APIs the target uses, enabled on its project."""

from __future__ import annotations

import pulumi
import pulumi_gcp as gcp

from infra.gcp.common import GcpScope

# Every API a resource of the target calls. containerscanning turns on Artifact Registry's
# vulnerability scanning (the repository's scanning config is INHERITED from the project).
APIS = (
    "compute.googleapis.com",
    "container.googleapis.com",
    "cloudkms.googleapis.com",
    "artifactregistry.googleapis.com",
    "containerscanning.googleapis.com",
    "storage.googleapis.com",
    "iam.googleapis.com",
    "logging.googleapis.com",
    "monitoring.googleapis.com",
    "binaryauthorization.googleapis.com",
    "billingbudgets.googleapis.com",
    "dns.googleapis.com",
)


class ProjectApis(pulumi.ComponentResource):
    services: list[gcp.projects.Service]

    def __init__(self, name: str, scope: GcpScope, opts: pulumi.ResourceOptions | None = None):
        super().__init__("llm-fleet:gcp:ProjectApis", name, None, opts)
        self._create_services(name, scope)
        self.register_outputs({"services": [s.service for s in self.services]})

    def _create_services(self, name: str, scope: GcpScope) -> None:
        # Never disabled on destroy: the project may host more than this stack.
        self.services = [
            gcp.projects.Service(
                f"{name}-{api.split('.')[0]}",
                project=scope.project,
                service=api,
                disable_on_destroy=False,
                opts=scope.opts(self),
            )
            for api in APIS
        ]
