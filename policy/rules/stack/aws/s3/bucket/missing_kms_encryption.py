"""S3-02: every S3 bucket encrypts by default with a customer-managed KMS key."""

from policy.props import as_list, get
from policy.rules._helpers import S3_BUCKET, s3_companions, s3_log_targets
from policy.rules.base import Violation, stack_rule

SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"


@stack_rule(
    id="S3-02",
    title="Every S3 bucket encrypts by default with a customer-managed KMS key",
    severity="high",
    category="security",
    types=(S3_BUCKET, SSE),
    remediation="Declare aws.s3.BucketServerSideEncryptionConfiguration with rules[0].applyServerSideEncryptionByDefault "
    "= {sseAlgorithm: 'aws:kms', kmsMasterKeyId: <key ARN>} and bucketKeyEnabled true. Access-log target buckets "
    "must use 'AES256' (S3 log delivery cannot use SSE-KMS).",
    references=("CKV_AWS_145", "CKV_AWS_19"),
)
def missing_kms_encryption(ctx):
    configs = s3_companions(ctx, SSE)
    log_targets = s3_log_targets(ctx)
    for bucket in ctx.of_type(S3_BUCKET):
        found = configs.get(bucket.urn)
        if not found:
            yield Violation(f"no {SSE} for this bucket", bucket.urn)
            continue
        defaults = [
            get(r, "applyServerSideEncryptionByDefault") or {} for c in found for r in as_list(get(c.props, "rules"))
        ]
        if bucket.urn in log_targets:
            if not any(get(d, "sseAlgorithm") in ("AES256", "aws:kms", "aws:kms:dsse") for d in defaults):
                yield Violation(
                    "access-log bucket has no default encryption; expected sseAlgorithm 'AES256'", bucket.urn
                )
            continue
        if not any(
            get(d, "sseAlgorithm") in ("aws:kms", "aws:kms:dsse") and get(d, "kmsMasterKeyId") for d in defaults
        ):
            algos = [get(d, "sseAlgorithm") for d in defaults]
            yield Violation(
                f"default encryption is {algos!r} without a customer-managed key; expected sseAlgorithm 'aws:kms' "
                "with kmsMasterKeyId",
                bucket.urn,
            )
