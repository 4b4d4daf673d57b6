"""KMS-06: KMS keys keep the policy lockout safety check."""

from policy.props import get
from policy.rules.base import resource_rule


@resource_rule(
    id="KMS-06",
    title="KMS keys keep the policy lockout safety check",
    severity="high",
    category="security",
    types=("aws:kms/key:Key", "aws:kms/keyPolicy:KeyPolicy"),
    remediation="Remove bypassPolicyLockoutSafetyCheck: with it, a key policy that locks every principal out is "
    "accepted and the key (and everything it encrypts) becomes unmanageable.",
    references=("custom",),
    doc="https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html",
)
def disable_lockout_bypass(resource, ctx):
    if get(resource.props, "bypassPolicyLockoutSafetyCheck") in (True, "true"):
        yield "bypassPolicyLockoutSafetyCheck is true; expected false"
