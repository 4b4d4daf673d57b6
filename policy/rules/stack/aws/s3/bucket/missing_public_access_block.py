"""S3-01: every S3 bucket blocks all public access (all four flags)."""

from policy.props import get
from policy.rules._helpers import S3_BUCKET, s3_companions
from policy.rules.base import Violation, stack_rule

FLAGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")


@stack_rule(
    id="S3-01",
    title="Every S3 bucket blocks all public access (all four flags)",
    severity="critical",
    category="security",
    types=(S3_BUCKET, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"),
    remediation="Declare aws.s3.BucketPublicAccessBlock(bucket=<bucket>.id) with blockPublicAcls, blockPublicPolicy, "
    "ignorePublicAcls and restrictPublicBuckets all true.",
    references=("CKV_AWS_53", "CKV_AWS_54", "CKV_AWS_55", "CKV_AWS_56", "CKV2_AWS_6"),
)
def missing_public_access_block(ctx):
    blocks = s3_companions(ctx, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    for bucket in ctx.of_type(S3_BUCKET):
        found = blocks.get(bucket.urn)
        if not found:
            yield Violation("no aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock for this bucket", bucket.urn)
            continue
        off = [f for f in FLAGS if not any(get(b.props, f) is True for b in found)]
        if off:
            yield Violation(f"public access block leaves {', '.join(off)} off; expected all four true", bucket.urn)
