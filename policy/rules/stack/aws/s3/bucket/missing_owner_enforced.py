"""S3-06: every S3 bucket disables ACLs (BucketOwnerEnforced)."""

from policy.props import get
from policy.rules._helpers import S3_BUCKET, s3_companions
from policy.rules.base import Violation, stack_rule

OWNERSHIP = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"


@stack_rule(
    id="S3-06",
    title="Every S3 bucket disables ACLs (BucketOwnerEnforced)",
    severity="medium",
    category="security",
    types=(S3_BUCKET, OWNERSHIP),
    remediation="Declare aws.s3.BucketOwnershipControls(bucket=<bucket>.id, rule={objectOwnership: 'BucketOwnerEnforced'}).",
    references=("CKV2_AWS_65",),
)
def missing_owner_enforced(ctx):
    found = s3_companions(ctx, OWNERSHIP)
    for bucket in ctx.of_type(S3_BUCKET):
        values = [get(o.props, "rule.objectOwnership") for o in found.get(bucket.urn, [])]
        if not values:
            yield Violation(f"no {OWNERSHIP} for this bucket", bucket.urn)
        elif "BucketOwnerEnforced" not in values:
            yield Violation(f"rule.objectOwnership is {values[0]!r}; expected 'BucketOwnerEnforced'", bucket.urn)
