"""S3-04: every S3 bucket policy denies requests without TLS."""

from policy.props import as_list, get, policy_document, statements
from policy.rules._helpers import S3_BUCKET, s3_companions
from policy.rules.base import Violation, stack_rule

POLICY = "aws:s3/bucketPolicy:BucketPolicy"


def _denies_plain_http(doc) -> bool:
    for st in statements(doc):
        if st.get("Effect") != "Deny":
            continue
        condition = get(st, "Condition") or {}
        for op in ("Bool", "BoolIfExists"):
            value = get(condition, (op, "aws:SecureTransport"))
            if any(str(v).lower() == "false" for v in as_list(value)):
                return True
    return False


@stack_rule(
    id="S3-04",
    title="Every S3 bucket policy denies requests without TLS",
    severity="high",
    category="security",
    types=(S3_BUCKET, POLICY),
    remediation="Declare aws.s3.BucketPolicy with a statement {Effect: Deny, Principal: '*', Action: 's3:*', "
    "Resource: [bucket ARN, bucket ARN/*], Condition: {Bool: {'aws:SecureTransport': 'false'}}}.",
    references=("custom",),
)
def missing_tls_only_policy(ctx):
    found = s3_companions(ctx, POLICY)
    for bucket in ctx.of_type(S3_BUCKET):
        policies = found.get(bucket.urn, [])
        if not policies:
            yield Violation(f"no {POLICY} for this bucket", bucket.urn)
            continue
        docs = [policy_document(get(p.props, "policy")) for p in policies]
        if not any(d is not None and _denies_plain_http(d) for d in docs):
            yield Violation("the bucket policy has no Deny on aws:SecureTransport = false", bucket.urn)
