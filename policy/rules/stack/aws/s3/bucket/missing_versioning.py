"""S3-03: every S3 bucket has versioning enabled."""

from policy.props import get
from policy.rules._helpers import S3_BUCKET, s3_companions
from policy.rules.base import Violation, stack_rule

VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"


@stack_rule(
    id="S3-03",
    title="Every S3 bucket has versioning enabled",
    severity="medium",
    category="security",
    types=(S3_BUCKET, VERSIONING),
    remediation="Declare aws.s3.BucketVersioning(bucket=<bucket>.id, versioningConfiguration={status: 'Enabled'}).",
    references=("CKV_AWS_21",),
)
def missing_versioning(ctx):
    found = s3_companions(ctx, VERSIONING)
    for bucket in ctx.of_type(S3_BUCKET):
        statuses = [get(v.props, "versioningConfiguration.status") for v in found.get(bucket.urn, [])]
        if not statuses:
            yield Violation(f"no {VERSIONING} for this bucket", bucket.urn)
        elif "Enabled" not in statuses:
            yield Violation(f"versioningConfiguration.status is {statuses[0]!r}; expected 'Enabled'", bucket.urn)
