"""S3 buckets of an AWS target: model weights, and the log bucket they and the ALB log to.

In pulumi-aws 7 a bucket's settings are separate resources; every bucket here gets all of
them: default encryption, versioning, all four public-access blocks, ACLs disabled
(BucketOwnerEnforced), a TLS-only bucket policy, and a lifecycle that aborts incomplete
multipart uploads. The weights bucket is encrypted with the target's S3 KMS key and logs
its access to the log bucket. The log bucket uses SSE-S3 because its writers require it
(ALB access logs and S3 server access logs support only SSE-S3 destinations) and is not
itself access-logged (logging a log bucket into itself loops).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from infra.aws.common import AwsEnv, deny_insecure_transport, policy_document, statement
from infra.aws.keys import Keys

ABORT_INCOMPLETE_UPLOAD_DAYS = 3
NONCURRENT_VERSION_DAYS = 30
S3_ACCESS_LOG_PREFIX = "s3-access/"
ALB_LOG_PREFIX = "alb"
"""ALB access logs land under ``alb/AWSLogs/<account>/...`` in the log bucket."""
BUCKET_PURPOSE_TAG = "llm-fleet-bucket-purpose"


@dataclass
class BucketSpec:
    """How one bucket is configured."""

    purpose: str
    kms_key_arn: pulumi.Input[str] | None
    """None: SSE-S3 (AES256), for destinations whose writers support nothing else."""
    log_bucket: aws.s3.Bucket | None
    extra_statements: list[dict[str, Any]] = field(default_factory=list)
    expire_after_days: int | None = None


class SecureBucket(pulumi.ComponentResource):
    """A bucket with its encryption, versioning, public-access block, ownership controls,
    TLS-only policy, access logging and lifecycle configuration."""

    bucket: aws.s3.Bucket

    def __init__(self, name: str, env: AwsEnv, bucket_name: str, spec: BucketSpec, opts: pulumi.ResourceOptions | None = None):
        super().__init__("llm-fleet:aws:Bucket", name, None, opts)
        self._name = name
        self._env = env
        self._spec = spec
        self._create_bucket(bucket_name)
        self._create_encryption()
        self._create_access_controls()
        self._create_policy()
        self._create_logging()
        self._create_lifecycle()
        self.register_outputs({"bucket": self.bucket.bucket, "arn": self.bucket.arn})

    def _child(self, **kwargs: Any) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self, **kwargs)

    def _create_bucket(self, bucket_name: str) -> None:
        self.bucket = aws.s3.Bucket(
            self._name,
            bucket=bucket_name,
            force_destroy=False,
            tags=self._env.tagged(**{BUCKET_PURPOSE_TAG: self._spec.purpose}),
            opts=self._child(protect=True),
        )

    def _create_encryption(self) -> None:
        if self._spec.kms_key_arn is not None:
            default = aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                sse_algorithm="aws:kms", kms_master_key_id=self._spec.kms_key_arn
            )
        else:
            default = aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                sse_algorithm="AES256"
            )
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{self._name}-encryption",
            bucket=self.bucket.id,
            rules=[
                aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                    apply_server_side_encryption_by_default=default,
                    bucket_key_enabled=self._spec.kms_key_arn is not None,
                )
            ],
            opts=self._child(),
        )
        aws.s3.BucketVersioning(
            f"{self._name}-versioning",
            bucket=self.bucket.id,
            versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(status="Enabled"),
            opts=self._child(),
        )

    def _create_access_controls(self) -> None:
        self.public_access_block = aws.s3.BucketPublicAccessBlock(
            f"{self._name}-public-access",
            bucket=self.bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=self._child(),
        )
        aws.s3.BucketOwnershipControls(
            f"{self._name}-ownership",
            bucket=self.bucket.id,
            rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),
            opts=self._child(),
        )

    def _create_policy(self) -> None:
        arn = self.bucket.arn
        self.policy = aws.s3.BucketPolicy(
            f"{self._name}-policy",
            bucket=self.bucket.id,
            policy=policy_document(
                [deny_insecure_transport("s3:*", [arn, pulumi.Output.concat(arn, "/*")]), *self._spec.extra_statements]
            ),
            # A policy is rejected while the public-access block is being applied.
            opts=self._child(depends_on=[self.public_access_block]),
        )

    def _create_logging(self) -> None:
        if self._spec.log_bucket is None:
            return
        aws.s3.BucketLogging(
            f"{self._name}-logging",
            bucket=self.bucket.id,
            target_bucket=self._spec.log_bucket.id,
            target_prefix=f"{S3_ACCESS_LOG_PREFIX}{self._spec.purpose}/",
            opts=self._child(),
        )

    def _create_lifecycle(self) -> None:
        rules = [
            aws.s3.BucketLifecycleConfigurationRuleArgs(
                id="abort-incomplete-multipart-uploads",
                status="Enabled",
                filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(),
                abort_incomplete_multipart_upload=aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
                    days_after_initiation=ABORT_INCOMPLETE_UPLOAD_DAYS
                ),
            ),
            aws.s3.BucketLifecycleConfigurationRuleArgs(
                id="expire-noncurrent-versions",
                status="Enabled",
                filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(),
                noncurrent_version_expiration=aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                    noncurrent_days=NONCURRENT_VERSION_DAYS
                ),
            ),
        ]
        if self._spec.expire_after_days is not None:
            rules.append(
                aws.s3.BucketLifecycleConfigurationRuleArgs(
                    id="expire-logs",
                    status="Enabled",
                    filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(),
                    expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(days=self._spec.expire_after_days),
                )
            )
        aws.s3.BucketLifecycleConfiguration(
            f"{self._name}-lifecycle",
            bucket=self.bucket.id,
            rules=rules,
            opts=self._child(),
        )


class Storage(pulumi.ComponentResource):
    """The weights bucket and the log bucket of a target."""

    weights: SecureBucket
    logs: SecureBucket
    weights_bucket_name: str

    def __init__(self, name: str, env: AwsEnv, keys: Keys, opts: pulumi.ResourceOptions | None = None):
        super().__init__("llm-fleet:aws:Storage", name, None, opts)
        self._name = name
        self._env = env
        self._keys = keys
        self.weights_bucket_name = f"{env.cluster_name}-weights-{env.unique_suffix()}"
        self.logs_bucket_name = f"{env.cluster_name}-logs-{env.unique_suffix()}"
        self._create_log_bucket()
        self._create_weights_bucket()
        self.register_outputs({"weightsBucket": self.weights.bucket.bucket, "logsBucket": self.logs.bucket.bucket})

    @property
    def weights_uri(self) -> str:
        return f"s3://{self.weights_bucket_name}"

    def _create_log_bucket(self) -> None:
        env = self._env
        logs_arn = pulumi.Output.concat("arn:", env.partition, ":s3:::", self.logs_bucket_name)
        weights_arn = pulumi.Output.concat("arn:", env.partition, ":s3:::", self.weights_bucket_name)
        elb_account = aws.elb.get_service_account_output(
            opts=pulumi.InvokeOutputOptions(parent=self, provider=env.provider)
        )
        alb_objects = pulumi.Output.concat(logs_arn, "/", ALB_LOG_PREFIX, "/AWSLogs/", env.account_id, "/*")
        statements = [
            statement(
                "AllowS3ServerAccessLogs",
                ["s3:PutObject"],
                [pulumi.Output.concat(logs_arn, "/", S3_ACCESS_LOG_PREFIX, "*")],
                principal={"Service": "logging.s3.amazonaws.com"},
                conditions={
                    "ArnLike": {"aws:SourceArn": weights_arn},
                    "StringEquals": {"aws:SourceAccount": env.account_id},
                },
            ),
            # Regions opened before August 2022 deliver ALB logs from a regional ELB account;
            # newer ones from the log-delivery service principal. Both are scoped to our prefix.
            statement(
                "AllowAlbAccessLogsRegionalAccount",
                ["s3:PutObject"],
                [alb_objects],
                principal={"AWS": elb_account.arn},
            ),
            statement(
                "AllowAlbAccessLogsService",
                ["s3:PutObject"],
                [alb_objects],
                principal={"Service": "logdelivery.elasticloadbalancing.amazonaws.com"},
            ),
        ]
        self.logs = SecureBucket(
            f"{self._name}-logs",
            env,
            self.logs_bucket_name,
            BucketSpec(
                purpose="logs",
                kms_key_arn=None,
                log_bucket=None,
                extra_statements=statements,
                expire_after_days=env.log_retention_days,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _create_weights_bucket(self) -> None:
        self.weights = SecureBucket(
            f"{self._name}-weights",
            self._env,
            self.weights_bucket_name,
            BucketSpec(purpose="weights", kms_key_arn=self._keys.arn("s3"), log_bucket=self.logs.bucket),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def read_statements(self) -> list[dict[str, Any]]:
        """IAM statements that let a model server read the weights (and nothing else)."""
        arn = self.weights.bucket.arn
        return [
            statement("ListWeights", ["s3:ListBucket", "s3:GetBucketLocation"], [arn]),
            statement("ReadWeights", ["s3:GetObject", "s3:GetObjectVersion"], [pulumi.Output.concat(arn, "/*")]),
            self._kms_statement(["kms:Decrypt", "kms:DescribeKey"]),
        ]

    def write_statements(self) -> list[dict[str, Any]]:
        """IAM statements that let the staging Job fill the weights bucket."""
        arn = self.weights.bucket.arn
        return [
            statement(
                "ListWeights",
                ["s3:ListBucket", "s3:GetBucketLocation", "s3:ListBucketMultipartUploads"],
                [arn],
            ),
            statement(
                "WriteWeights",
                ["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"],
                [pulumi.Output.concat(arn, "/*")],
            ),
            self._kms_statement(["kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey"]),
        ]

    def _kms_statement(self, actions: list[str]) -> dict[str, Any]:
        return statement(
            "UseWeightsKey",
            actions,
            [self._keys.arn("s3")],
            conditions={"StringEquals": {"kms:ViaService": f"s3.{self._env.region}.amazonaws.com"}},
        )
