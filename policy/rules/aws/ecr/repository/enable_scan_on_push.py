"""ECR-01: ECR repositories scan images on push."""

from policy.rules.base import Expect, value_rule

rule = value_rule(
    Expect("imageScanningConfiguration.scanOnPush", equals=True, insecure=False),
    id="ECR-01",
    title="ECR repositories scan images on push",
    severity="medium",
    category="security",
    types=("aws:ecr/repository:Repository",),
    remediation="Set imageScanningConfiguration.scanOnPush true.",
    references=("CKV_AWS_163",),
)
