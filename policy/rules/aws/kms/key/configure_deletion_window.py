"""KMS-02: AWS KMS keys wait the full 30 days before deletion."""

from policy.rules.base import Expect, value_rule

rule = value_rule(
    Expect("deletionWindowInDays", equals=30, default=30, insecure=7),
    id="KMS-02",
    title="AWS KMS keys wait the full 30 days before deletion",
    severity="medium",
    category="reliability",
    types=("aws:kms/key:Key",),
    remediation="Set deletionWindowInDays 30 (or leave it unset: 30 is the default).",
    references=("custom",),
)
