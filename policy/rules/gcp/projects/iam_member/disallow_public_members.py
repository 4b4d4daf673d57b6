"""IAM-09: no GCP IAM grant of any service names allUsers or allAuthenticatedUsers."""

from policy.props import PUBLIC_MEMBERS, as_list, get
from policy.rules._policy_documents import gcp_grants, is_gcp_iam
from policy.rules.base import resource_rule

OWN_RULES = (
    "gcp:storage/bucketIAMMember:BucketIAMMember",
    "gcp:storage/bucketIAMBinding:BucketIAMBinding",
    "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember",
    "gcp:artifactregistry/repositoryIamBinding:RepositoryIamBinding",
    "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember",
    "gcp:kms/cryptoKeyIAMBinding:CryptoKeyIAMBinding",
    "gcp:kms/keyRingIAMMember:KeyRingIAMMember",
    "gcp:kms/keyRingIAMBinding:KeyRingIAMBinding",
)
"""Types whose public members GCS-06, AR-04 and KMS-05 report."""
LEGACY_ACLS = (
    "gcp:storage/bucketAccessControl:BucketAccessControl",
    "gcp:storage/defaultObjectAccessControl:DefaultObjectAccessControl",
    "gcp:storage/objectAccessControl:ObjectAccessControl",
    "gcp:storage/bucketACL:BucketACL",
    "gcp:storage/defaultObjectACL:DefaultObjectACL",
)
"""Cloud Storage's legacy ACLs: an entity of allUsers is as public as an IAM member."""


@resource_rule(
    id="IAM-09",
    title="No GCP IAM grant of any service names allUsers or allAuthenticatedUsers",
    severity="critical",
    category="security",
    types=("gcp:projects/iAMMember:IAMMember", "gcp:*"),  # the ACL types are gcp:* too
    remediation="Grant roles to specific service accounts (Workload Identity principals) only; allAuthenticatedUsers "
    "is any Google account in the world.",
    references=("CIS GCP 2.0 1.1", "CKV_GCP_28", "CKV_GCP_99", "CKV_GCP_100"),
)
def disallow_public_members(resource, ctx):
    if resource.type in LEGACY_ACLS:
        entities = [get(resource.props, "entity")] + [
            str(e).split(":", 1)[-1]
            for key in ("roleEntities", "defaultAcl")
            for e in as_list(get(resource.props, key))
        ]
        for entity in entities:
            if entity in PUBLIC_MEMBERS:
                yield f"ACL entity {entity!r} makes the objects public; expected uniform bucket-level access and IAM"
        return
    if not is_gcp_iam(resource.type) or resource.type in OWN_RULES:
        return
    for role, member in gcp_grants(resource):
        if member in PUBLIC_MEMBERS:
            yield f"{role} is granted to {member!r}; expected specific principals"
