"""EKS-21: EC2 instances require IMDSv2, get no public IP and encrypt their root volume."""

from policy.props import get
from policy.rules.base import Violation, stack_rule

INSTANCE = "aws:ec2/instance:Instance"


def _problems(props) -> list[str]:
    out = []
    if get(props, "metadataOptions.httpTokens") != "required":
        out.append(f"metadataOptions.httpTokens is {get(props, 'metadataOptions.httpTokens')!r}; expected 'required'")
    if get(props, "associatePublicIpAddress") in (True, "true"):
        out.append("associatePublicIpAddress is true; expected false")
    if get(props, "rootBlockDevice.encrypted") not in (True, "true"):
        out.append(f"rootBlockDevice.encrypted is {get(props, 'rootBlockDevice.encrypted')!r}; expected true")
    return out


@stack_rule(
    id="EKS-21",
    title="EC2 instances require IMDSv2, get no public IP and encrypt their root volume",
    severity="high",
    category="security",
    types=(INSTANCE,),
    remediation="On every aws.ec2.Instance set metadataOptions.httpTokens 'required', associatePublicIpAddress "
    "false (reach it through SSM Session Manager) and rootBlockDevice.encrypted true.",
    references=("CKV_AWS_79", "CKV_AWS_88", "CKV_AWS_8"),
)
def configure_hardening(ctx):
    for instance in ctx.of_type(INSTANCE):
        for message in _problems(instance.props):
            yield Violation(message, instance.urn)
