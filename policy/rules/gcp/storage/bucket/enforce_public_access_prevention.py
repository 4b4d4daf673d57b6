"""GCS-01: GCS buckets enforce public access prevention."""

from policy.rules.base import Expect, value_rule

rule = value_rule(
    Expect("publicAccessPrevention", equals="enforced", insecure="inherited"),
    id="GCS-01",
    title="GCS buckets enforce public access prevention",
    severity="critical",
    category="security",
    types=("gcp:storage/bucket:Bucket",),
    remediation="Set publicAccessPrevention 'enforced'.",
    references=("CKV_GCP_114",),
)
