"""NET-06: only the edge proxies are exposed outside the cluster (no LoadBalancer, NodePort or externalIPs)."""

from policy.props import as_list, get
from policy.rules._network import SERVICE, is_edge_service, model_server_services
from policy.rules._walk import find_keyed
from policy.rules.base import resource_rule

HELM = ("kubernetes:helm.sh/v3:Release", "kubernetes:helm.sh/v4:Chart")
INTERNAL_ANNOTATIONS = {
    "service.beta.kubernetes.io/aws-load-balancer-internal": ("true",),
    "service.beta.kubernetes.io/aws-load-balancer-scheme": ("internal",),
    "networking.gke.io/load-balancer-type": ("Internal",),
    "cloud.google.com/load-balancer-type": ("Internal",),
}
"""Annotations that make a LoadBalancer Service's load balancer internal (AWS LB controller, GKE)."""


def _internal(service) -> bool:
    annotations = get(service.props, "metadata.annotations") or {}
    return any(str(get(annotations, (key,)) or "") in values for key, values in INTERNAL_ANNOTATIONS.items())


def _exposed_service_type(path, key, value) -> bool:
    """A service section's type (grafana.service.type, ...) that exposes it outside the cluster."""
    return key == "type" and value in ("LoadBalancer", "NodePort") and "service" in path.lower()


@resource_rule(
    id="NET-06",
    title="Only the edge proxies are exposed outside the cluster (no LoadBalancer, NodePort or externalIPs)",
    severity="high",
    category="security",
    types=(SERVICE, *HELM),
    remediation="Keep every Service ClusterIP and reach it through the Gateway (TLS, API key, WAF, rate limit); only "
    "the Service in front of the Envoy Gateway proxies may be a LoadBalancer, and other Services only an internal "
    "one (never a model server's).",
    references=("CKV_K8S_150", "custom"),
    doc="https://kubernetes.io/docs/concepts/services-networking/service/#publishing-services-service-types",
)
def disallow_external_exposure(resource, ctx):
    if resource.type in HELM:
        for where, _, kind in find_keyed(get(resource.props, "values"), _exposed_service_type):
            yield f"values.{where} is {kind!r}: the chart exposes a Service outside the cluster; expected ClusterIP"
        return
    if is_edge_service(resource):
        return
    kind = str(get(resource.props, "spec.type") or "ClusterIP")
    model_server = (
        ctx.cluster_key(resource),
        str(get(resource.props, "metadata.namespace") or "default"),
        str(get(resource.props, "metadata.name")),
    ) in model_server_services(ctx)
    if kind == "LoadBalancer" and _internal(resource) and not model_server:
        pass  # an internal load balancer for a non-model Service stays inside the VPC
    elif kind in ("LoadBalancer", "NodePort"):
        yield f"spec.type is {kind!r}; expected ClusterIP behind the Gateway"
    if as_list(get(resource.props, "spec.externalIPs")):
        yield f"spec.externalIPs is {as_list(get(resource.props, 'spec.externalIPs'))}; expected none"
