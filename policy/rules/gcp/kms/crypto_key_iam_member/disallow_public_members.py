"""KMS-05: no Cloud KMS IAM grant names allUsers or allAuthenticatedUsers."""

from policy.props import iam_members
from policy.rules.base import resource_rule


@resource_rule(
    id="KMS-05",
    title="No Cloud KMS IAM grant names allUsers or allAuthenticatedUsers",
    severity="critical",
    category="security",
    types=(
        "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember",
        "gcp:kms/cryptoKeyIAMBinding:CryptoKeyIAMBinding",
        "gcp:kms/keyRingIAMMember:KeyRingIAMMember",
        "gcp:kms/keyRingIAMBinding:KeyRingIAMBinding",
    ),
    remediation="Grant key roles to service agents and service accounts only.",
    references=("CKV_GCP_112",),
)
def disallow_public_members(resource, ctx):
    for member in iam_members(resource.props):
        if member in ("allUsers", "allAuthenticatedUsers"):
            yield f"member {member!r} makes the key public; expected specific principals"
