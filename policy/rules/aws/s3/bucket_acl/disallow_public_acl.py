"""S3-08: S3 bucket ACLs grant nothing to everyone or to every AWS account."""

from policy.props import as_list, get
from policy.rules.base import resource_rule

PUBLIC_CANNED = ("public-read", "public-read-write", "authenticated-read")
PUBLIC_GROUPS = (
    "http://acs.amazonaws.com/groups/global/AllUsers",
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
)


@resource_rule(
    id="S3-08",
    title="S3 bucket ACLs grant nothing to everyone or to every AWS account",
    severity="critical",
    category="security",
    types=("aws:s3/bucketAcl:BucketAcl", "aws:s3/bucket:Bucket"),
    remediation="Remove the ACL (BucketOwnerEnforced ownership disables ACLs) and grant access with a bucket policy "
    "naming principals.",
    references=("CKV_AWS_20", "CKV_AWS_57"),
)
def disallow_public_acl(resource, ctx):
    acl = get(resource.props, "acl")
    if acl in PUBLIC_CANNED:
        yield f"acl is {acl!r}; expected 'private' (or no ACL)"
    for grant in as_list(get(resource.props, "accessControlPolicy.grants")):
        uri = get(grant, "grantee.uri")
        if uri in PUBLIC_GROUPS:
            yield f"accessControlPolicy grants {get(grant, 'permission')} to {uri.rsplit('/', 1)[-1]}; expected none"
