"""ALB-12: load balancers append the client address to X-Forwarded-For, never pass a client's own."""

from policy.rules._load_balancers import AWS_LOAD_BALANCER_TYPES
from policy.rules.base import Expect, value_rule

rule = value_rule(
    Expect("xffHeaderProcessingMode", one_of=("append",), default="append", insecure="preserve"),
    id="ALB-12",
    title="Load balancers append the client address to X-Forwarded-For, never pass a client's own",
    severity="high",
    category="security",
    types=AWS_LOAD_BALANCER_TYPES,
    remediation="Leave xffHeaderProcessingMode unset or 'append': with 'preserve' the gateway (which trusts one hop) "
    "takes a client-written X-Forwarded-For as the client address, for rate limits and allow-lists alike.",
    references=("custom",),
    doc="https://docs.aws.amazon.com/elasticloadbalancing/latest/application/x-forwarded-headers.html",
)
