"""EDGE-04: on-prem gateways run WAF rules (OWASP CRS) on inference traffic."""

import json

from policy.props import get, plain
from policy.rules._helpers import EG, GATEWAY, edge_coverage
from policy.rules.base import Violation, stack_rule


def _waf(policy) -> bool:
    wasm = get(policy.props, "spec.wasm")
    return bool(wasm) and "coraza" in json.dumps(plain(wasm)).lower()


@stack_rule(
    id="EDGE-04",
    title="On-prem gateways run WAF rules (OWASP CRS) on inference traffic",
    severity="high",
    category="security",
    types=(GATEWAY, EG + "EnvoyExtensionPolicy"),
    remediation="Keep edge.waf true: an EnvoyExtensionPolicy with the Coraza WASM filter and the OWASP Core Rule Set, "
    "targeting the Gateway.",
    references=("custom",),
)
def missing_waf(ctx):
    for target in ctx.settings.targets:
        if target.get("kind") == "onprem" and get(target, "edge.waf") is False:
            yield Violation(f"targets.{target.get('name')}.edge.waf is false; expected true")
    for route, where in edge_coverage(ctx, "EnvoyExtensionPolicy", _waf):
        if ctx.target_kind_of(route) == "onprem":
            yield Violation(f"{where} has no Coraza/OWASP CRS EnvoyExtensionPolicy", route.urn)
