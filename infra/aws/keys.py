"""Customer-managed KMS keys of an AWS target, one per purpose.

Every key: rotation on, a 30-day deletion window, an explicit key policy whose principals
are the account root (so IAM policies decide who uses the key) and named AWS service
principals scoped by conditions, never ``*``; protected from deletion.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pulumi
import pulumi_aws as aws

from infra.aws.common import AwsEnv, policy_document, statement

DELETION_WINDOW_DAYS = 30

KeyPolicyExtra = Callable[[AwsEnv], list[dict[str, Any]]]


def _logs_service(env: AwsEnv) -> list[dict[str, Any]]:
    """CloudWatch Logs encrypts log groups of this account and region only."""
    return [
        statement(
            "AllowCloudWatchLogs",
            ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
            principal={"Service": f"logs.{env.region}.amazonaws.com"},
            conditions={
                "ArnLike": {
                    "kms:EncryptionContext:aws:logs:arn": env.arn("logs", "log-group:*"),
                }
            },
        )
    ]


def _autoscaling_service_role(env: AwsEnv) -> list[dict[str, Any]]:
    """The EC2 Auto Scaling service-linked role launches the managed node group's encrypted
    volumes (it exists in every account that has used Auto Scaling or EKS node groups)."""
    role = pulumi.Output.concat(
        "arn:", env.partition, ":iam::", env.account_id,
        ":role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling",
    )
    return [
        statement(
            "AllowAutoScalingUseOfKey",
            ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
            principal={"AWS": role},
        ),
        statement(
            "AllowAutoScalingGrantsForVolumes",
            ["kms:CreateGrant"],
            principal={"AWS": role},
            conditions={"Bool": {"kms:GrantIsForAWSResource": "true"}},
        ),
    ]


KEY_PURPOSES: dict[str, tuple[str, KeyPolicyExtra | None]] = {
    "eks": ("EKS secrets envelope encryption", None),
    "ebs": ("EBS volumes of cluster nodes", _autoscaling_service_role),
    "s3": ("S3 model weights", None),
    "ecr": ("ECR serving image repository", None),
    "logs": ("CloudWatch log groups and managed Prometheus", _logs_service),
}
"""purpose -> (what it encrypts, extra key-policy statements)."""


class Keys(pulumi.ComponentResource):
    """One customer-managed key (and alias) per purpose in :data:`KEY_PURPOSES`."""

    keys: dict[str, aws.kms.Key]

    def __init__(self, name: str, env: AwsEnv, opts: pulumi.ResourceOptions | None = None):
        super().__init__("llm-fleet:aws:Keys", name, None, opts)
        self._name = name
        self._env = env
        self.keys = {}
        for purpose, (description, extra) in KEY_PURPOSES.items():
            self._create_key(purpose, description, extra)
        self.register_outputs({f"{p}KeyArn": k.arn for p, k in self.keys.items()})

    def arn(self, purpose: str) -> pulumi.Output[str]:
        return self.keys[purpose].arn

    def _create_key(self, purpose: str, description: str, extra: KeyPolicyExtra | None) -> None:
        env = self._env
        statements = [
            statement(
                "EnableIamPolicies",
                ["kms:*"],
                principal={"AWS": env.account_root()},
            ),
            *(extra(env) if extra else []),
        ]
        key = aws.kms.Key(
            f"{self._name}-{purpose}",
            description=f"llm-fleet {env.stack_name}/{env.name}: {description}",
            key_usage="ENCRYPT_DECRYPT",
            customer_master_key_spec="SYMMETRIC_DEFAULT",
            enable_key_rotation=True,
            deletion_window_in_days=DELETION_WINDOW_DAYS,
            policy=policy_document(statements),
            tags=env.tagged(Name=f"{env.cluster_name}-{purpose}", **{"llm-fleet-key-purpose": purpose}),
            opts=pulumi.ResourceOptions(parent=self, protect=True),
        )
        aws.kms.Alias(
            f"{self._name}-{purpose}",
            name=f"alias/{env.cluster_name}-{purpose}",
            target_key_id=key.key_id,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.keys[purpose] = key
