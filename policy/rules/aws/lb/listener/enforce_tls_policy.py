"""ALB-02: HTTPS listeners use a TLS 1.2+ security policy."""

import re

from policy.props import get
from policy.rules.base import resource_rule

# ELB security policies that offer TLS 1.2 and 1.3 only (FS: forward secrecy; PQ: post-quantum).
TLS12_PLUS = re.compile(r"^ELBSecurityPolicy-(TLS13-1-[23]|TLS-1-2|FS-1-2)(-[A-Za-z0-9]+)*-\d{4}-\d{2}$")


@resource_rule(
    id="ALB-02",
    title="HTTPS listeners use a TLS 1.2+ security policy",
    severity="high",
    category="security",
    types=("aws:lb/listener:Listener", "aws:alb/listener:Listener"),  # aws.alb.Listener is the same resource
    remediation="Set sslPolicy 'ELBSecurityPolicy-TLS13-1-2-2021-06' (or another TLS13-1-2/TLS13-1-3 policy).",
    references=("CKV_AWS_103",),
)
def enforce_tls_policy(resource, ctx):
    if get(resource.props, "protocol") not in ("HTTPS", "TLS"):
        return
    policy = get(resource.props, "sslPolicy")
    if not policy:
        yield "sslPolicy is not set (the default allows TLS 1.0); expected 'ELBSecurityPolicy-TLS13-1-2-2021-06'"
    elif not TLS12_PLUS.match(str(policy)):
        yield f"sslPolicy is {policy!r}; expected a TLS 1.2+ policy such as 'ELBSecurityPolicy-TLS13-1-2-2021-06'"
