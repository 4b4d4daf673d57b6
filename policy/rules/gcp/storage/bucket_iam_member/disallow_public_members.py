"""GCS-06: no GCS bucket IAM grant names allUsers or allAuthenticatedUsers."""

from policy.props import iam_members
from policy.rules.base import resource_rule


@resource_rule(
    id="GCS-06",
    title="No GCS bucket IAM grant names allUsers or allAuthenticatedUsers",
    severity="critical",
    category="security",
    types=("gcp:storage/bucketIAMMember:BucketIAMMember", "gcp:storage/bucketIAMBinding:BucketIAMBinding"),
    remediation="Grant roles to specific service accounts (Workload Identity principals) only.",
    references=("CKV_GCP_28",),
)
def disallow_public_members(resource, ctx):
    for member in iam_members(resource.props):
        if member in ("allUsers", "allAuthenticatedUsers"):
            yield f"member {member!r} makes the bucket public; expected specific principals"
