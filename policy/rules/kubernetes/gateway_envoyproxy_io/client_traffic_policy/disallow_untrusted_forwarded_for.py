"""EDGE-05: gateways trust no more X-Forwarded-For hops than there are proxies in front of them."""

from policy.props import as_list, fmt, get, number
from policy.rules._edge import covers_an_address_family
from policy.rules.base import resource_rule

PROXIES_IN_FRONT = {"aws": 1, "gcp": 1, "onprem": 0}
"""Proxies that append to X-Forwarded-For before the gateway: the cloud load balancer (ALB, GCP
external Application LB); none on-prem, where clients reach the gateway's own address."""


@resource_rule(
    id="EDGE-05",
    title="Gateways trust no more X-Forwarded-For hops than there are proxies in front of them",
    severity="high",
    category="security",
    types=("kubernetes:gateway.envoyproxy.io/v1alpha1:ClientTrafficPolicy",),
    remediation="Set clientIPDetection.xForwardedFor.numTrustedHops to 1 behind a cloud load balancer and leave it "
    "unset (0) on-prem; never trust X-Forwarded-For from every address (trustedCIDRs 0.0.0.0/0). A higher count "
    "lets clients choose the IP that rate limits and allow-lists see.",
    references=("custom",),
    doc="https://gateway.envoyproxy.io/docs/tasks/traffic/client-traffic-policy/",
)
def disallow_untrusted_forwarded_for(resource, ctx):
    forwarded = get(resource.props, "spec.clientIPDetection.xForwardedFor")
    if forwarded is None:
        return
    kind = ctx.target_kind_of(resource)
    allowed = PROXIES_IN_FRONT.get(str(kind), 1)
    hops = number(get(forwarded, "numTrustedHops"))
    if hops is not None and hops > allowed:
        yield (
            f"spec.clientIPDetection.xForwardedFor.numTrustedHops is {fmt(hops)}; expected at most {allowed} "
            f"({kind or 'unknown'} target: {allowed} proxies in front)"
        )
    cidrs = [str(c) for c in as_list(get(forwarded, "trustedCIDRs"))]
    if cidrs and covers_an_address_family(cidrs):
        yield f"spec.clientIPDetection.xForwardedFor.trustedCIDRs {cidrs} trust every address; expected the LB's ranges"
