"""WAF-06: WAF logs redact the headers that carry API keys."""

from policy.props import as_list, get
from policy.rules.base import resource_rule

CREDENTIAL_HEADERS = ("authorization", "x-api-key")
"""Where clients send their API key (the gateway's SecurityPolicy reads either)."""


@resource_rule(
    id="WAF-06",
    title="WAF logs redact the headers that carry API keys",
    severity="high",
    category="security",
    types=("aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration",),
    remediation="List redactedFields [{singleHeader: {name: 'authorization'}}, {singleHeader: {name: 'x-api-key'}}] "
    "so API keys never reach the log group.",
    references=("custom",),
    doc="https://docs.aws.amazon.com/waf/latest/developerguide/logging-management.html",
)
def enforce_redacted_credentials(resource, ctx):
    redacted = {str(get(f, "singleHeader.name") or "").lower() for f in as_list(get(resource.props, "redactedFields"))}
    missing = [h for h in CREDENTIAL_HEADERS if h not in redacted]
    if missing:
        yield f"redactedFields does not redact {missing}; expected every API-key header redacted"
