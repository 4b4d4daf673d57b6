"""GCS-04: GCS buckets have versioning enabled."""

from policy.rules.base import Expect, value_rule

rule = value_rule(
    Expect("versioning.enabled", equals=True, insecure=False),
    id="GCS-04",
    title="GCS buckets have versioning enabled",
    severity="medium",
    category="security",
    types=("gcp:storage/bucket:Bucket",),
    remediation="Set versioning.enabled true.",
    references=("CKV_GCP_78",),
)
