"""EKS-20: EBS volumes are encrypted."""

from policy.props import get
from policy.rules.base import Violation, stack_rule

VOLUME = "aws:ebs/volume:Volume"


@stack_rule(
    id="EKS-20",
    title="EBS volumes are encrypted",
    severity="high",
    category="security",
    types=(VOLUME,),
    remediation="Set encrypted true (and kmsKeyId to the stack's EBS key) on every aws.ebs.Volume.",
    references=("CKV_AWS_3", "CKV_AWS_189"),
)
def enable_encryption(ctx):
    # Unset means the account's default-encryption setting decides, which the stack does not control.
    for volume in ctx.of_type(VOLUME):
        if get(volume.props, "encrypted") not in (True, "true"):
            yield Violation(f"encrypted is {get(volume.props, 'encrypted')!r}; expected true", volume.urn)
