"""EDGE-01: on-prem Gateways terminate TLS 1.2+; plain HTTP only redirects to HTTPS."""

from policy.props import as_list, get
from policy.rules._helpers import EG, GATEWAY, listener_admits, object_name, redirect_only, routes_of
from policy.rules.base import Violation, stack_rule

TLS12_PLUS = ("1.2", "1.3")
"""Envoy Gateway's default minimum is 1.2; 'Auto', '1.0' and '1.1' accept older clients."""


@stack_rule(
    id="EDGE-01",
    title="On-prem Gateways terminate TLS 1.2+; plain HTTP only redirects to HTTPS",
    severity="high",
    category="security",
    types=(GATEWAY, "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", EG + "ClientTrafficPolicy"),
    remediation="Give the Gateway an HTTPS listener with tls.certificateRefs (cert-manager); attach to an HTTP "
    "listener only a route whose rules are RequestRedirect filters to scheme https; leave ClientTrafficPolicy "
    "tls.minVersion unset or at '1.2'/'1.3'.",
    references=("custom",),
)
def enforce_tls(ctx):
    for policy in ctx.of_type(EG + "ClientTrafficPolicy"):
        minimum = get(policy.props, "spec.tls.minVersion")
        if minimum is not None and str(minimum) not in TLS12_PLUS:
            yield Violation(f"spec.tls.minVersion is {str(minimum)!r}; expected '1.2' or '1.3'", policy.urn)
    for gateway in ctx.of_type(GATEWAY):
        if ctx.target_kind_of(gateway) != "onprem":
            continue
        listeners = as_list(get(gateway.props, "spec.listeners"))
        https = [x for x in listeners if get(x, "protocol") in ("HTTPS", "TLS")]
        if not https:
            yield Violation(f"Gateway '{object_name(gateway)}' has no HTTPS listener", gateway.urn)
        for listener in https:
            if not as_list(get(listener, "tls.certificateRefs")):
                yield Violation(f"listener {get(listener, 'name')!r} has no tls.certificateRefs", gateway.urn)
        plain = [x for x in listeners if get(x, "protocol") == "HTTP"]
        if not plain:
            continue
        for route, section in routes_of(ctx, gateway):
            on_plain = any(
                (section is None or section == get(x, "name")) and listener_admits(ctx, gateway, x, route)
                for x in plain
            )
            if on_plain and not redirect_only(route):
                yield Violation(
                    f"HTTPRoute '{object_name(route)}' serves plain HTTP on Gateway '{object_name(gateway)}'; "
                    "expected only a redirect to https",
                    route.urn,
                )
