"""Registry: the Artifact Registry repository of the serving image, and the image reference."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pulumi
import pulumi_gcp as gcp

from infra.gcp.common import GcpScope, fit_name
from infra.image_distribution import serving_image
from serving.versions import SERVING_IMAGE_NAME

PROJECT_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class RegistryArgs:
    kms_key: pulumi.Input[str]
    key_grants: list[pulumi.Resource]
    """The Artifact Registry agent's grant on the key: the repository waits for it."""
    node_service_account: pulumi.Input[str]
    """IAM member of the GKE nodes, which pull the image."""


class Registry(pulumi.ComponentResource):
    repository: gcp.artifactregistry.Repository
    image: pulumi.Output[str]
    """``REGION-docker.pkg.dev/PROJECT/REPO/llm-fleet-serving@sha256:...``"""

    def __init__(self, name: str, scope: GcpScope, args: RegistryArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("llm-fleet:gcp:Registry", name, None, opts)
        self._scope = scope
        self._args = args
        self._create_repository(name)
        self._create_pull_grant(name)
        self._create_image(name)
        self.register_outputs({"repository": self.repository.registry_uri, "image": self.image})

    def _create_repository(self, name: str) -> None:
        self.repository = gcp.artifactregistry.Repository(
            f"{name}-serving",
            repository_id=fit_name(f"{name}-serving", 63),
            project=self._scope.project,
            location=self._scope.region,
            format="DOCKER",
            mode="STANDARD_REPOSITORY",
            description=f"llm-fleet serving image for {self._scope.target.name}",
            kms_key_name=self._args.kms_key,
            # A tag, once pushed, always names the same digest; prod pins the digest anyway.
            docker_config={"immutable_tags": True},
            # Scanning on push, as the project's Container Scanning API (enabled by ProjectApis) sets it.
            vulnerability_scanning_config={"enablement_config": "INHERITED"},
            labels=self._scope.labels,
            opts=self._scope.opts(self, depends_on=self._args.key_grants, protect=True),
        )

    def _create_pull_grant(self, name: str) -> None:
        # Nodes pull the image: read access on this repository only, not project-wide.
        self.pull_grant = gcp.artifactregistry.RepositoryIamMember(
            f"{name}-nodes-reader",
            project=self._scope.project,
            location=self._scope.region,
            repository=self.repository.repository_id,
            role="roles/artifactregistry.reader",
            member=self._args.node_service_account,
            opts=self._scope.opts(self),
        )

    def _create_image(self, name: str) -> None:
        repository = pulumi.Output.concat(self.repository.registry_uri, "/", SERVING_IMAGE_NAME)
        image = self._scope.stack.image
        built_digest = None
        if image.build and image.digest is None:
            built_digest = self._build(name, repository)
        self.image = serving_image(
            name, repository, image, built_digest=built_digest, opts=pulumi.ResourceOptions(parent=self)
        )

    def _build(self, name: str, repository: pulumi.Output[str]) -> pulumi.Output[str]:
        """Build serving/ and push it here (stacks with ``image.build: true``)."""
        import pulumi_docker_build as docker_build

        token = gcp.organizations.get_client_config_output(
            opts=pulumi.InvokeOutputOptions(provider=self._scope.provider)
        ).access_token
        built = docker_build.Image(
            f"{name}-image",
            context={"location": str(PROJECT_ROOT)},
            dockerfile={"location": str(PROJECT_ROOT / "serving" / "Dockerfile")},
            platforms=["linux/amd64"],
            push=True,
            tags=[pulumi.Output.concat(repository, ":", self._scope.stack.image.tag)],
            registries=[
                {
                    "address": f"{self._scope.region}-docker.pkg.dev",
                    "username": "oauth2accesstoken",
                    "password": pulumi.Output.secret(token),
                }
            ],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.repository]),
        )
        return built.digest
