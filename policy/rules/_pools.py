"""What the InferencePool rules (ROUTE-*) share: pools, their pickers and the pods around them."""

from __future__ import annotations

from policy.props import as_list, get, selector_matches
from policy.rules._helpers import is_workload, workload_pods

POOL = "kubernetes:inference.networking.k8s.io/v1:InferencePool"
SERVICE = "kubernetes:core/v1:Service"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
HTTP_ROUTE = "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute"
AI_ROUTE = "kubernetes:aigateway.envoyproxy.io/v1beta1:AIGatewayRoute"
LWS = "kubernetes:leaderworkerset.x-k8s.io/v1:LeaderWorkerSet"


def where(resource) -> str:
    return f"{get(resource.props, 'metadata.namespace')}/{get(resource.props, 'metadata.name')}"


def place(ctx, resource) -> tuple[str, str]:
    """(cluster, namespace) of a namespaced object."""
    return ctx.cluster_key(resource), str(get(resource.props, "metadata.namespace"))


def in_place(ctx, type_: str, key: tuple[str, str]) -> list:
    return [r for r in ctx.of_type(type_) if place(ctx, r) == key]


def pod_templates(resource) -> list[tuple[str, dict, dict]]:
    """(path, labels, pod spec) of every pod template of a workload."""
    out = []
    for path, spec in workload_pods(resource):
        template_path = path.rsplit(".spec", 1)[0] if path.endswith(".spec") else path
        labels = get(resource.props, f"{template_path}.metadata.labels".lstrip(".")) or {}
        out.append((path, dict(labels), spec))
    return out


def workloads_in(ctx, key: tuple[str, str]) -> list:
    return [r for type_ in list(ctx.types) for r in ctx.of_type(type_) if is_workload(r) and place(ctx, r) == key]


def picker_deployments(ctx, pool) -> list:
    """Deployments whose pods back the Service the pool's endpointPickerRef names."""
    key = place(ctx, pool)
    name = get(pool.props, "spec.endpointPickerRef.name")
    services = [s for s in in_place(ctx, SERVICE, key) if get(s.props, "metadata.name") == name]
    if not services:
        return []
    selector = {"matchLabels": get(services[0].props, "spec.selector") or {}}
    if not selector["matchLabels"]:
        return []
    return [
        d
        for d in in_place(ctx, DEPLOYMENT, key)
        if selector_matches(selector, get(d.props, "spec.template.metadata.labels") or {})
    ]


def target_ports(pool) -> set[int]:
    return {int(get(p, "number") or 0) for p in as_list(get(pool.props, "spec.targetPorts"))}


def container_ports(spec: dict) -> set[int]:
    return {
        int(get(p, "containerPort") or 0) for c in as_list(get(spec, "containers")) for p in as_list(get(c, "ports"))
    }
