"""EKS-18: node launch templates encrypt every EBS volume with a customer-managed key."""

from policy.props import as_list, get
from policy.rules.base import resource_rule


@resource_rule(
    id="EKS-18",
    title="Node launch templates encrypt every EBS volume with a customer-managed key",
    severity="medium",
    category="security",
    types=("aws:ec2/launchTemplate:LaunchTemplate",),
    remediation="Give each blockDeviceMappings[].ebs encrypted: true and kmsKeyId (a customer-managed key).",
    references=("CKV_AWS_8", "CKV_AWS_189"),
)
def enable_volume_encryption(resource, ctx):
    for index, mapping in enumerate(as_list(get(resource.props, "blockDeviceMappings"))):
        ebs = get(mapping, "ebs")
        if not ebs:
            continue
        encrypted = get(ebs, "encrypted")
        if encrypted not in (True, "true"):
            yield f"blockDeviceMappings[{index}].ebs.encrypted is {'not set' if encrypted is None else repr(encrypted)}; expected true"
        elif not get(ebs, "kmsKeyId"):
            yield f"blockDeviceMappings[{index}].ebs.kmsKeyId is not set; expected a customer-managed KMS key"
