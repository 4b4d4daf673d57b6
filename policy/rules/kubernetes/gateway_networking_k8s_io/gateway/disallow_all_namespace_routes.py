"""NET-09: Gateway listeners accept routes only from selected namespaces, never from all."""

from policy.props import as_list, get
from policy.rules.base import resource_rule


@resource_rule(
    id="NET-09",
    title="Gateway listeners accept routes only from selected namespaces, never from all",
    severity="high",
    category="security",
    types=("kubernetes:gateway.networking.k8s.io/v1:Gateway",),
    remediation="Set allowedRoutes.namespaces.from to Same or Selector (a label only model namespaces carry): with "
    "All, anyone who can create an HTTPRoute anywhere publishes a path on the public edge.",
    references=("custom",),
    doc="https://gateway-api.sigs.k8s.io/guides/multiple-ns/",
)
def disallow_all_namespace_routes(resource, ctx):
    for index, listener in enumerate(as_list(get(resource.props, "spec.listeners"))):
        source = get(listener, "allowedRoutes.namespaces.from") or "Same"
        if source == "All":
            name = get(listener, "name") or index
            yield f"listener {name!r}: allowedRoutes.namespaces.from is 'All'; expected 'Same' or 'Selector'"
        elif source == "Selector":
            selector = get(listener, "allowedRoutes.namespaces.selector") or {}
            if not get(selector, "matchLabels") and not get(selector, "matchExpressions"):
                name = get(listener, "name") or index
                yield f"listener {name!r}: allowedRoutes.namespaces.selector is empty (every namespace); expected labels"
