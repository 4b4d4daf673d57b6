"""AR-03: Artifact Registry repositories are encrypted with a Cloud KMS key (CMEK)."""

from policy.rules.base import Expect, value_rule

rule = value_rule(
    Expect("kmsKeyName", present=True, insecure=""),
    id="AR-03",
    title="Artifact Registry repositories are encrypted with a Cloud KMS key (CMEK)",
    severity="medium",
    category="security",
    types=("gcp:artifactregistry/repository:Repository",),
    remediation="Set kmsKeyName and grant the Artifact Registry service agent roles/cloudkms.cryptoKeyEncrypterDecrypter.",
    references=("CKV_GCP_84",),
)
