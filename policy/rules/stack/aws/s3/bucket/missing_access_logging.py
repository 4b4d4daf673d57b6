"""S3-05: every S3 bucket writes server access logs (log buckets excepted)."""

from policy.props import get
from policy.rules._helpers import S3_BUCKET, s3_companions, s3_log_targets
from policy.rules.base import Violation, stack_rule

LOGGING = "aws:s3/bucketLogging:BucketLogging"


@stack_rule(
    id="S3-05",
    title="Every S3 bucket writes server access logs (log buckets excepted)",
    severity="medium",
    category="security",
    types=(S3_BUCKET, LOGGING),
    remediation="Declare aws.s3.BucketLogging(bucket=<bucket>.id, targetBucket=<log bucket>.id, targetPrefix=...).",
    references=("CKV_AWS_18",),
)
def missing_access_logging(ctx):
    found = s3_companions(ctx, LOGGING)
    log_targets = s3_log_targets(ctx)
    for bucket in ctx.of_type(S3_BUCKET):
        if bucket.urn in log_targets:
            continue
        if not any(get(x.props, "targetBucket") for x in found.get(bucket.urn, [])):
            yield Violation(f"no {LOGGING} with a targetBucket for this bucket", bucket.urn)
