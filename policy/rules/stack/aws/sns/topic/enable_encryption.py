"""KMS-08: SNS topics are encrypted with a KMS key."""

from policy.props import get
from policy.rules.base import Violation, stack_rule

TOPIC = "aws:sns/topic:Topic"


@stack_rule(
    id="KMS-08",
    title="SNS topics are encrypted with a KMS key",
    severity="medium",
    category="security",
    types=(TOPIC,),
    remediation="Set kmsMasterKeyId on every aws.sns.Topic (a customer-managed key, or alias/aws/sns).",
    references=("CKV_AWS_26",),
)
def enable_encryption(ctx):
    for topic in ctx.of_type(TOPIC):
        if not get(topic.props, "kmsMasterKeyId"):
            yield Violation("kmsMasterKeyId is not set; expected a KMS key", topic.urn)
