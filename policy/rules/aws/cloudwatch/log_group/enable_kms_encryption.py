"""EKS-04: CloudWatch log groups are encrypted with a customer-managed KMS key."""

from policy.rules.base import Expect, value_rule

rule = value_rule(
    Expect("kmsKeyId", present=True, insecure=""),
    id="EKS-04",
    title="CloudWatch log groups are encrypted with a customer-managed KMS key",
    severity="medium",
    category="security",
    types=("aws:cloudwatch/logGroup:LogGroup",),
    remediation="Set kmsKeyId to the ARN of a customer-managed KMS key whose policy allows logs.<region>.amazonaws.com.",
    references=("CKV_AWS_158",),
)
