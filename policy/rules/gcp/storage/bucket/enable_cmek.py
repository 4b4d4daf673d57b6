"""GCS-03: GCS buckets encrypt by default with a Cloud KMS key (CMEK)."""

from policy.rules.base import Expect, value_rule

rule = value_rule(
    Expect("encryption.defaultKmsKeyName", present=True, insecure=""),
    id="GCS-03",
    title="GCS buckets encrypt by default with a Cloud KMS key (CMEK)",
    severity="high",
    category="security",
    types=("gcp:storage/bucket:Bucket",),
    remediation="Set encryption.defaultKmsKeyName and grant the Cloud Storage service agent "
    "roles/cloudkms.cryptoKeyEncrypterDecrypter on the key.",
    references=("custom",),
)
