"""ECR-03: ECR repositories are encrypted with a customer-managed KMS key."""

from policy.props import as_list, get
from policy.rules.base import resource_rule


@resource_rule(
    id="ECR-03",
    title="ECR repositories are encrypted with a customer-managed KMS key",
    severity="medium",
    category="security",
    types=("aws:ecr/repository:Repository",),
    remediation="Set encryptionConfigurations = [{encryptionType: 'KMS', kmsKey: <key ARN>}].",
    references=("CKV_AWS_136",),
)
def enable_kms_encryption(resource, ctx):
    configs = as_list(get(resource.props, "encryptionConfigurations"))
    if not any(get(c, "encryptionType") == "KMS" and get(c, "kmsKey") for c in configs):
        yield "encryptionConfigurations has no {encryptionType: 'KMS', kmsKey}; expected a customer-managed key"
