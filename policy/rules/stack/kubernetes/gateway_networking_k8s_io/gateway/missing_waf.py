"""EDGE-04: on-prem gateways run WAF rules (OWASP CRS) on inference traffic."""

import json
import re

from policy.props import as_list, get, is_list, is_map, plain
from policy.rules._helpers import EG, GATEWAY, edge_coverage
from policy.rules.base import Violation, stack_rule

_ENGINE = re.compile(r"^\s*SecRuleEngine\s+(\S+)", re.IGNORECASE)


def _coraza_filters(policy) -> list:
    return [w for w in as_list(get(policy.props, "spec.wasm")) if "coraza" in json.dumps(plain(w)).lower()]


def _directive_sets(wasm) -> list[list[str]]:
    """Every list of directives a Coraza filter may apply (directives_map values, or 'directives')."""
    config = get(wasm, "config")
    sets = [[str(d) for d in as_list(v)] for v in (get(config, "directives_map") or {}).values() if is_list(v)]
    if is_list(get(config, "directives")):
        sets.append([str(d) for d in as_list(get(config, "directives"))])
    return sets


def _weaknesses(wasm) -> list[str]:
    """Why a Coraza filter does not block: detection-only or off, no CRS, or failing open."""
    out = []
    sets = _directive_sets(wasm)
    if not sets:
        out.append("has no directives (Coraza's default engine does not block)")
    for directives in sets:
        engines = [m.group(1) for d in directives if (m := _ENGINE.match(d))]
        engine = engines[-1] if engines else None
        if engine is None or engine.lower() != "on":
            out.append(f"runs SecRuleEngine {engine or '(unset)'}; expected 'SecRuleEngine On' after the includes")
        if not any("@owasp_crs" in d for d in directives):
            out.append("does not include the OWASP CRS (Include @owasp_crs/*.conf)")
    if get(wasm, "failOpen") is True:
        out.append("has failOpen true (requests pass unchecked when the filter fails)")
    return sorted(set(out))


def _waf(policy) -> bool:
    filters = _coraza_filters(policy)
    return bool(filters) and any(is_map(w) and not _weaknesses(w) for w in filters)


@stack_rule(
    id="EDGE-04",
    title="On-prem gateways run WAF rules (OWASP CRS) on inference traffic",
    severity="high",
    category="security",
    types=(GATEWAY, EG + "EnvoyExtensionPolicy"),
    remediation="Keep edge.waf true: an EnvoyExtensionPolicy with the Coraza WASM filter and the OWASP Core Rule Set "
    "in blocking mode ('SecRuleEngine On', never DetectionOnly/Off; failOpen false), targeting the Gateway.",
    references=("custom",),
)
def missing_waf(ctx):
    for target in ctx.settings.targets:
        if target.get("kind") == "onprem" and get(target, "edge.waf") is False:
            yield Violation(f"targets.{target.get('name')}.edge.waf is false; expected true")
    for policy in ctx.of_type(EG + "EnvoyExtensionPolicy"):
        for wasm in _coraza_filters(policy):
            for weakness in _weaknesses(wasm):
                yield Violation(f"Coraza filter {get(wasm, 'name')!r} {weakness}", policy.urn)
    for route, where in edge_coverage(ctx, "EnvoyExtensionPolicy", _waf):
        if ctx.target_kind_of(route) == "onprem":
            yield Violation(f"{where} has no blocking Coraza/OWASP CRS EnvoyExtensionPolicy", route.urn)
