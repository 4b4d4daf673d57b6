"""NET-12: on cloud targets the gateway proxies are reached only through the cloud load balancer and its WAF."""

from policy.props import get
from policy.rules.base import resource_rule


@resource_rule(
    id="NET-12",
    title="On cloud targets the gateway proxies are reached only through the cloud load balancer and its WAF",
    severity="high",
    category="security",
    types=("kubernetes:gateway.envoyproxy.io/v1alpha1:EnvoyProxy",),
    remediation="Keep spec.provider.kubernetes.envoyService.type ClusterIP on aws and gcp targets: the ALB (AWS WAF) "
    "or the global load balancer (Cloud Armor) reaches the proxies; a LoadBalancer or NodePort Service opens a "
    "second, unfiltered way in.",
    references=("custom",),
    doc="https://gateway.envoyproxy.io/docs/api/extension_types/#kubernetesservicespec",
)
def disallow_cloud_waf_bypass(resource, ctx):
    if ctx.target_kind_of(resource) not in ("aws", "gcp"):
        return
    kind = str(get(resource.props, "spec.provider.kubernetes.envoyService.type") or "LoadBalancer")
    if kind != "ClusterIP":
        where = (
            "is not set (Envoy Gateway's default: LoadBalancer)"
            if not get(resource.props, "spec.provider.kubernetes.envoyService.type")
            else f"is {kind!r}"
        )
        yield f"spec.provider.kubernetes.envoyService.type {where}; expected 'ClusterIP' behind the cloud load balancer"
