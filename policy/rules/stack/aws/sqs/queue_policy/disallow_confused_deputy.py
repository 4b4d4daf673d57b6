"""IAM-15: resource policies that trust an AWS service say on whose behalf (aws:SourceArn or aws:SourceAccount)."""

from policy.rules._policy_documents import RESOURCE_POLICIES, documents, stack_accounts
from policy.rules.base import Violation, stack_rule

SOURCE_KEYS = frozenset(
    k.lower()
    for k in ("aws:SourceArn", "aws:SourceAccount", "aws:SourceOrgID", "aws:SourceOrgPaths", "aws:SourceOwner")
)
TYPES = (
    "aws:sqs/queuePolicy:QueuePolicy",
    "aws:sqs/queue:Queue",
    "aws:sns/topicPolicy:TopicPolicy",
    "aws:sns/topic:Topic",
    "aws:s3/bucketPolicy:BucketPolicy",
    "aws:s3/bucket:Bucket",
    "aws:cloudwatch/logResourcePolicy:LogResourcePolicy",
    "aws:secretsmanager/secretPolicy:SecretPolicy",
)
"""Resource policies a service writes into on someone's behalf (KMS key policies scope services with
kms:ViaService and encryption contexts instead)."""


def _scoped(statement, own: frozenset[str]) -> bool:
    if any(c.key.lower() in SOURCE_KEYS for c in statement.conditions if not c.operator.startswith("StringNot")):
        return True
    # A resource path that carries the stack's own account (ALB logs: .../AWSLogs/<account>/*) is scoped too.
    return (
        bool(own)
        and bool(statement.resources)
        and all(any(f"/{account}/" in r or r.endswith(f"/{account}") for account in own) for r in statement.resources)
    )


@stack_rule(
    id="IAM-15",
    title="Resource policies that trust an AWS service say on whose behalf (aws:SourceArn or aws:SourceAccount)",
    severity="high",
    category="security",
    types=TYPES,
    remediation="Add a condition naming the source: ArnEquals aws:SourceArn (the EventBridge rule, the bucket) or "
    "StringEquals aws:SourceAccount (the stack's account); otherwise any customer's resource can make the service "
    "write here (the confused deputy).",
    references=("custom",),
    doc="https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html",
)
def disallow_confused_deputy(ctx):
    own = stack_accounts(ctx)
    for resource in ctx.of_type(*TYPES):
        for path, statements in documents(resource, RESOURCE_POLICIES):
            for st in statements:
                services = st.principals("Service")
                if st.allows and services and not _scoped(st, own):
                    yield Violation(
                        f"{path}: {st.label} trusts {services[0]!r} with no aws:SourceArn or aws:SourceAccount "
                        "condition; any account's resources may make the service act here",
                        resource.urn,
                    )
