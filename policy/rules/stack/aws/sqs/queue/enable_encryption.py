"""KMS-07: SQS queues are encrypted at rest."""

from policy.props import get
from policy.rules.base import Violation, stack_rule

QUEUE = "aws:sqs/queue:Queue"


@stack_rule(
    id="KMS-07",
    title="SQS queues are encrypted at rest",
    severity="medium",
    category="security",
    types=(QUEUE,),
    remediation="Set sqsManagedSseEnabled true, or kmsMasterKeyId to a customer-managed KMS key, on every "
    "aws.sqs.Queue.",
    references=("CKV_AWS_27",),
)
def enable_encryption(ctx):
    # A stack rule so that a queue of any origin is judged even though the rule fixtures' baseline has none.
    for queue in ctx.of_type(QUEUE):
        if get(queue.props, "kmsMasterKeyId"):
            continue
        if get(queue.props, "sqsManagedSseEnabled") in (False, "false"):
            yield Violation("sqsManagedSseEnabled is false and no kmsMasterKeyId is set; expected SSE", queue.urn)
