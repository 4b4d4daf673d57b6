"""NET-06: only the edge proxies are exposed outside the cluster (no LoadBalancer, NodePort or externalIPs)."""

from policy.props import as_list, get
from policy.rules._network import SERVICE, is_edge_service
from policy.rules.base import resource_rule


@resource_rule(
    id="NET-06",
    title="Only the edge proxies are exposed outside the cluster (no LoadBalancer, NodePort or externalIPs)",
    severity="high",
    category="security",
    types=(SERVICE,),
    remediation="Keep every Service ClusterIP and reach it through the Gateway (TLS, API key, WAF, rate limit); only "
    "the Service in front of the Envoy Gateway proxies may be a LoadBalancer.",
    references=("CKV_K8S_150", "custom"),
    doc="https://kubernetes.io/docs/concepts/services-networking/service/#publishing-services-service-types",
)
def disallow_external_exposure(resource, ctx):
    if is_edge_service(resource):
        return
    kind = str(get(resource.props, "spec.type") or "ClusterIP")
    if kind in ("LoadBalancer", "NodePort"):
        yield f"spec.type is {kind!r}; expected ClusterIP behind the Gateway"
    if as_list(get(resource.props, "spec.externalIPs")):
        yield f"spec.externalIPs is {as_list(get(resource.props, 'spec.externalIPs'))}; expected none"
