"""KMS-01: AWS KMS keys rotate automatically."""

from policy.rules.base import Expect, value_rule

rule = value_rule(
    Expect("enableKeyRotation", equals=True, insecure=False),
    id="KMS-01",
    title="AWS KMS keys rotate automatically",
    severity="medium",
    category="security",
    types=("aws:kms/key:Key",),
    remediation="Set enableKeyRotation true (rotationPeriodInDays 90-2560, default 365).",
    references=("CKV_AWS_7",),
)
