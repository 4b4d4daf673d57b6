"""CLIENT-03: every API client of a prod stack has request and token quotas."""

from policy.props import get
from policy.rules._clients import clients
from policy.rules.base import Violation, stack_rule

QUOTAS = ("requestsPerMinute", "tokensPerMinute", "tokensPerMonth")


@stack_rule(
    id="CLIENT-03",
    title="Every API client of a prod stack has request and token quotas",
    severity="medium",
    category="cost",
    types=(),
    remediation="Set requestsPerMinute, tokensPerMinute and tokensPerMonth on each entry of `llm-fleet:clients`.",
    references=("custom",),
)
def missing_client_quotas(ctx):
    if ctx.settings.environment != "prod":
        return
    for ci, client in enumerate(clients(ctx)):
        missing = [q for q in QUOTAS if not get(client, q)]
        if missing:
            yield Violation(f"config clients[{ci}] ({get(client, 'name')}): no {', '.join(missing)}")
