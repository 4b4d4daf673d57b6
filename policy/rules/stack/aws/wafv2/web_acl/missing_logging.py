"""WAF-04: every web ACL writes logs."""

from policy.props import as_list, get
from policy.rules._helpers import refers_to, resource_names
from policy.rules.base import Violation, stack_rule

LOGGING = "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration"


def _drops_everything(config) -> bool:
    """A logging filter whose default is DROP and that keeps nothing."""
    flt = get(config.props, "loggingFilter")
    if not flt or get(flt, "defaultBehavior") != "DROP":
        return False
    return not any(get(f, "behavior") == "KEEP" for f in as_list(get(flt, "filters")))


@stack_rule(
    id="WAF-04",
    title="Every web ACL writes logs",
    severity="medium",
    category="security",
    types=("aws:wafv2/webAcl:WebAcl", LOGGING),
    remediation="Declare aws.wafv2.WebAclLoggingConfiguration(resourceArn=<web ACL>.arn, logDestinationConfigs="
    "[<log group 'aws-waf-logs-...' ARN>]) with no loggingFilter that drops every record.",
    references=("CKV2_AWS_31",),
)
def missing_logging(ctx):
    for config in ctx.of_type(LOGGING):
        if _drops_everything(config):
            yield Violation("loggingFilter drops every record (defaultBehavior DROP, no KEEP filter)", config.urn)
    configs = [
        c for c in ctx.of_type(LOGGING) if as_list(get(c.props, "logDestinationConfigs")) and not _drops_everything(c)
    ]
    for acl in ctx.of_type("aws:wafv2/webAcl:WebAcl"):
        names = resource_names(acl, "name")
        if not any(refers_to(get(c.props, "resourceArn"), names) for c in configs):
            yield Violation(f"no {LOGGING} with a log destination for this web ACL", acl.urn)
