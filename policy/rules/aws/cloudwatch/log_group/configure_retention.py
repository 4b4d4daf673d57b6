"""EKS-05: CloudWatch log groups keep logs for a set period (at least 30 days)."""

from policy.rules.base import Expect, value_rule

rule = value_rule(
    # retentionInDays 0 or unset means "never expire": unbounded cost and no lifecycle.
    Expect("retentionInDays", at_least=30, insecure=0),
    id="EKS-05",
    title="CloudWatch log groups keep logs for a set period (at least 30 days)",
    severity="low",
    category="security",
    types=("aws:cloudwatch/logGroup:LogGroup",),
    remediation="Set retentionInDays (30 or more; 365 where audit rules ask for a year).",
    references=("CKV_AWS_66", "CKV_AWS_338"),
)
