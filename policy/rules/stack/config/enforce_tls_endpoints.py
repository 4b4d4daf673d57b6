"""SUPPLY-09: endpoints in the stack configuration use TLS (weights, registries, webhooks)."""

import re

from policy.rules._credentials import redacted
from policy.rules._helpers import walk_strings
from policy.rules.base import Violation, stack_rule

PLAIN_HTTP = re.compile(r"^http://(?!(localhost|127\.0\.0\.1|\[::1\])(:\d+)?(/|$))", re.IGNORECASE)
"""A plain-HTTP URL to anything but the local host."""


@stack_rule(
    id="SUPPLY-09",
    title="Endpoints in the stack configuration use TLS (weights, registries, webhooks)",
    severity="high",
    category="security",
    types=(),
    remediation="Use https:// endpoints: over plain HTTP the weights store's credentials (and the weights) cross the "
    "network in clear text and can be altered.",
    references=("custom",),
)
def enforce_tls_endpoints(ctx):
    for path, value in walk_strings(dict(ctx.settings.raw)):
        if PLAIN_HTTP.match(value.strip()):
            yield Violation(f"config {path} is {redacted(value)!r} (plain HTTP); expected an https:// endpoint")
