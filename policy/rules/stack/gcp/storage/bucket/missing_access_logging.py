"""GCS-05: every GCS bucket writes access logs (log buckets excepted)."""

from policy.props import get
from policy.rules._helpers import refers_to, resource_names
from policy.rules.base import Violation, stack_rule

BUCKET = "gcp:storage/bucket:Bucket"


@stack_rule(
    id="GCS-05",
    title="Every GCS bucket writes access logs (log buckets excepted)",
    severity="medium",
    category="security",
    types=(BUCKET,),
    remediation="Set logging.logBucket to a log bucket of the stack.",
    references=("CKV_GCP_62",),
)
def missing_access_logging(ctx):
    buckets = ctx.of_type(BUCKET)
    refs = [get(b.props, "logging.logBucket") for b in buckets]
    for bucket in buckets:
        if get(bucket.props, "logging.logBucket"):
            continue
        names = resource_names(bucket, "name")
        if any(refers_to(ref, names) for ref in refs):
            continue  # it is the log bucket
        yield Violation("logging.logBucket is not set; expected a log bucket", bucket.urn)
