"""EDGE-02: every inference route of a gateway requires client authentication."""

from policy.props import get
from policy.rules._helpers import EG, GATEWAY, edge_coverage
from policy.rules.base import Violation, stack_rule

AUTH_KINDS = ("apiKeyAuth", "jwt", "oidc", "extAuth", "basicAuth")


def _authenticates(policy) -> bool:
    return any(get(policy.props, ("spec", kind)) for kind in AUTH_KINDS)


@stack_rule(
    id="EDGE-02",
    title="Every inference route of a gateway requires client authentication",
    severity="critical",
    category="security",
    types=(GATEWAY, EG + "SecurityPolicy"),
    remediation="Attach an Envoy Gateway SecurityPolicy with apiKeyAuth (or jwt/oidc/extAuth) to each API HTTPRoute "
    "or to the Gateway.",
    references=("custom",),
)
def missing_authentication(ctx):
    for route, where in edge_coverage(ctx, "SecurityPolicy", _authenticates):
        yield Violation(f"{where} has no SecurityPolicy with {'/'.join(AUTH_KINDS)}", route.urn)
