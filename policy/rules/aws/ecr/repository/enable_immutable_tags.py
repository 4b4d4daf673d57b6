"""ECR-02: ECR repositories have immutable tags."""

from policy.rules.base import Expect, value_rule

rule = value_rule(
    Expect("imageTagMutability", equals="IMMUTABLE", insecure="MUTABLE"),
    id="ECR-02",
    title="ECR repositories have immutable tags",
    severity="medium",
    category="security",
    types=("aws:ecr/repository:Repository",),
    remediation="Set imageTagMutability 'IMMUTABLE'.",
    references=("CKV_AWS_51",),
)
