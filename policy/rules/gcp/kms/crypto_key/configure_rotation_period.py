"""KMS-04: Cloud KMS keys rotate at least every 90 days."""

import re

from policy.props import get
from policy.rules.base import resource_rule

MAX_SECONDS = 90 * 24 * 3600


@resource_rule(
    id="KMS-04",
    title="Cloud KMS keys rotate at least every 90 days",
    severity="medium",
    category="security",
    types=("gcp:kms/cryptoKey:CryptoKey",),
    remediation="Set rotationPeriod '7776000s' (90 days) or shorter.",
    references=("CKV_GCP_43",),
)
def configure_rotation_period(resource, ctx):
    value = get(resource.props, "rotationPeriod")
    match = re.fullmatch(r"([0-9.]+)s", str(value or ""))
    if not match:
        yield f"rotationPeriod is {'not set' if value is None else repr(value)}; expected at most '7776000s'"
    elif float(match.group(1)) > MAX_SECONDS:
        yield f"rotationPeriod is {value!r}; expected at most '7776000s'"
