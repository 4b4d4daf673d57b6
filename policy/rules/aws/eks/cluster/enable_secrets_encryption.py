"""EKS-02: EKS secrets are envelope-encrypted with a customer-managed KMS key."""

from policy.rules.base import Expect, value_rule

rule = value_rule(
    Expect("encryptionConfig.resources", contains="secrets", insecure=[]),
    Expect("encryptionConfig.provider.keyArn", present=True, insecure=""),
    id="EKS-02",
    title="EKS secrets are envelope-encrypted with a customer-managed KMS key",
    severity="high",
    category="security",
    types=("aws:eks/cluster:Cluster",),
    remediation="Set encryptionConfig = {resources: ['secrets'], provider: {keyArn: <customer-managed KMS key ARN>}}.",
    references=("CIS EKS 1.7 5.3.1", "CKV_AWS_58"),
)
