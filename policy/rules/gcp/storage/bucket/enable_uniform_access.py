"""GCS-02: GCS buckets use uniform bucket-level access (no object ACLs)."""

from policy.rules.base import Expect, value_rule

rule = value_rule(
    Expect("uniformBucketLevelAccess", equals=True, insecure=False),
    id="GCS-02",
    title="GCS buckets use uniform bucket-level access (no object ACLs)",
    severity="high",
    category="security",
    types=("gcp:storage/bucket:Bucket",),
    remediation="Set uniformBucketLevelAccess true.",
    references=("CKV_GCP_29",),
)
