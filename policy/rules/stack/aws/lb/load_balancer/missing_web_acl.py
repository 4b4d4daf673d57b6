"""WAF-01: every internet-facing application load balancer has a WAFv2 web ACL."""

from policy.props import get
from policy.rules._helpers import refers_to, resource_names
from policy.rules._load_balancers import AWS_LOAD_BALANCER_TYPES, is_application, is_internal
from policy.rules.base import Violation, stack_rule

ASSOCIATION = "aws:wafv2/webAclAssociation:WebAclAssociation"


@stack_rule(
    id="WAF-01",
    title="Every internet-facing application load balancer has a WAFv2 web ACL",
    severity="high",
    category="security",
    types=(*AWS_LOAD_BALANCER_TYPES, ASSOCIATION),
    remediation="Declare aws.wafv2.WebAclAssociation(resourceArn=<alb>.arn, webAclArn=<web ACL>.arn).",
    references=("CKV2_AWS_28",),
)
def missing_web_acl(ctx):
    associations = [get(a.props, "resourceArn") for a in ctx.of_type(ASSOCIATION)]
    for lb in ctx.of_type(*AWS_LOAD_BALANCER_TYPES):
        if is_internal(lb.props) or not is_application(lb.props):
            continue
        names = resource_names(lb, "name")
        if not any(refers_to(arn, names) for arn in associations):
            yield Violation("internet-facing ALB has no aws:wafv2/webAclAssociation:WebAclAssociation", lb.urn)
