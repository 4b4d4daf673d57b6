"""S3-07: every S3 bucket aborts incomplete multipart uploads."""

from policy.props import as_list, get
from policy.rules._helpers import S3_BUCKET, s3_companions
from policy.rules.base import Violation, stack_rule

LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"


@stack_rule(
    id="S3-07",
    title="Every S3 bucket aborts incomplete multipart uploads",
    severity="low",
    category="cost",
    types=(S3_BUCKET, LIFECYCLE),
    remediation="Declare aws.s3.BucketLifecycleConfiguration with an enabled rule "
    "{abortIncompleteMultipartUpload: {daysAfterInitiation: 7}, filter: {}}.",
    references=("CKV_AWS_300",),
)
def missing_multipart_abort(ctx):
    found = s3_companions(ctx, LIFECYCLE)
    for bucket in ctx.of_type(S3_BUCKET):
        rules = [r for c in found.get(bucket.urn, []) for r in as_list(get(c.props, "rules"))]
        if not any(
            get(r, "status") == "Enabled" and get(r, "abortIncompleteMultipartUpload.daysAfterInitiation")
            for r in rules
        ):
            yield Violation(
                "no enabled lifecycle rule with abortIncompleteMultipartUpload.daysAfterInitiation", bucket.urn
            )
