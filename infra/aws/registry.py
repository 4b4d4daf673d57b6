"""The serving image registry of an AWS target (ECR) and the image reference workloads run.

The repository keeps tags immutable, scans on push and encrypts with the target's ECR key;
it is protected from deletion. With ``image.build`` (dev) the serving image is built from
serving/ by the docker-build provider and pushed here; the workloads run it by the digest
the push returned. Otherwise (prod) the image is referenced by the promoted
``image.digest`` (``llmfleet promote`` carries it; the image with that digest must be in
this repository).
"""

from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws
import pulumi_docker_build as docker_build

from infra.aws.common import AwsEnv
from infra.aws.keys import Keys
from infra.image_build import build_serving_image
from infra.image_distribution import serving_image
from serving import versions as serving_versions

UNTAGGED_EXPIRY_DAYS = 14


class Registry(pulumi.ComponentResource):
    """ECR repository, its lifecycle policy and (dev) the built serving image."""

    repository: aws.ecr.Repository
    image: docker_build.Image | None
    image_ref: pulumi.Output[str]
    """``<account>.dkr.ecr.<region>.amazonaws.com/<repo>@sha256:...``"""

    def __init__(self, name: str, env: AwsEnv, keys: Keys, opts: pulumi.ResourceOptions | None = None):
        super().__init__("llm-fleet:aws:Registry", name, None, opts)
        self._name = name
        self._env = env
        self._keys = keys
        self._create_repository()
        self._create_perimeter()
        self.image = None
        built_digest = self._create_image() if env.stack.image.build else None
        self.image_ref = serving_image(
            name,
            self.repository.repository_url,
            env.stack.image,
            built_digest=built_digest,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"repositoryUrl": self.repository.repository_url, "image": self.image_ref})

    def _create_repository(self) -> None:
        env = self._env
        self.repository = aws.ecr.Repository(
            f"{self._name}-serving",
            name=f"{env.cluster_name}/{serving_versions.SERVING_IMAGE_NAME}",
            image_tag_mutability="IMMUTABLE",
            image_scanning_configuration=aws.ecr.RepositoryImageScanningConfigurationArgs(scan_on_push=True),
            encryption_configurations=[
                aws.ecr.RepositoryEncryptionConfigurationArgs(encryption_type="KMS", kms_key=self._keys.arn("ecr"))
            ],
            force_delete=False,
            tags=env.tagged(),
            opts=pulumi.ResourceOptions(parent=self, protect=True),
        )
        aws.ecr.LifecyclePolicy(
            f"{self._name}-serving",
            repository=self.repository.name,
            policy=json.dumps(
                {
                    "rules": [
                        {
                            "rulePriority": 1,
                            "description": f"expire untagged images after {UNTAGGED_EXPIRY_DAYS} days",
                            "selection": {
                                "tagStatus": "untagged",
                                "countType": "sinceImagePushed",
                                "countUnit": "days",
                                "countNumber": UNTAGGED_EXPIRY_DAYS,
                            },
                            "action": {"type": "expire"},
                        }
                    ]
                }
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _create_perimeter(self) -> None:
        """Nobody outside this account may use the repository, whatever an IAM policy elsewhere says."""
        env = self._env
        aws.ecr.RepositoryPolicy(
            f"{self._name}-serving-perimeter",
            repository=self.repository.name,
            policy=env.account_id.apply(
                lambda account: json.dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Sid": "DenyOutsideAccount",
                                "Effect": "Deny",
                                "Principal": "*",
                                "Action": "ecr:*",
                                "Condition": {"StringNotEquals": {"aws:PrincipalAccount": account}},
                            }
                        ],
                    }
                )
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _create_image(self) -> pulumi.Output[str]:
        """Build serving/ and push it; returns the pushed digest. Tags are immutable: bump
        ``image.tag`` for every new build."""
        env = self._env
        auth = aws.ecr.get_authorization_token_output(
            registry_id=self.repository.registry_id,
            opts=pulumi.InvokeOutputOptions(parent=self, provider=env.provider),
        )
        self.image = build_serving_image(
            f"{self._name}-serving-image",
            self.repository.repository_url,
            env.stack.image,
            docker_build.RegistryArgs(
                address=self.repository.repository_url,
                username=auth.user_name,
                password=pulumi.Output.secret(auth.password),
            ),
            pulumi.ResourceOptions(parent=self),
        )
        return self.image.digest
