"""COST-03: GKE GPU node pools have an autoscaling maximum within the stack's pool bounds."""

from policy.props import as_list, get, number
from policy.rules._helpers import GKE_NODE_POOL, config_pool, is_gpu_capacity
from policy.rules.base import resource_rule


@resource_rule(
    id="COST-03",
    title="GKE GPU node pools have an autoscaling maximum within the stack's pool bounds",
    severity="high",
    category="cost",
    types=(GKE_NODE_POOL,),
    remediation="Set autoscaling.totalMaxNodeCount to the pool's nodes.max (maxNodeCount counts per zone).",
    references=("custom",),
)
def configure_autoscaling_bounds(resource, ctx):
    props = resource.props
    autoscaling = get(props, "autoscaling")
    if autoscaling is None:
        count = number(get(props, "nodeCount"))
        if count is None and is_gpu_capacity(resource):
            yield "neither autoscaling nor nodeCount is set; expected autoscaling.totalMaxNodeCount"
        found = config_pool(resource, ctx)
        if count is not None and found:
            zones = len(as_list(get(props, "nodeLocations"))) or 1  # nodeCount is per zone
            allowed = int(get(found[1], "nodes.max") or 0)
            if count * zones > allowed:
                yield f"nodeCount {count:g} x {zones} zones is {count * zones:g} nodes; pool '{found[1].get('name')}' allows at most {allowed}"
        return
    total = number(get(autoscaling, "totalMaxNodeCount"))
    per_zone = number(get(autoscaling, "maxNodeCount"))
    if total is None and per_zone is None:
        yield "autoscaling has no totalMaxNodeCount or maxNodeCount (unbounded); expected a maximum"
        return
    zones = len(as_list(get(props, "nodeLocations")))
    ceiling = total if total is not None else (per_zone * zones if zones else None)
    found = config_pool(resource, ctx)
    if found and ceiling is not None:
        _, pool = found
        allowed = int(get(pool, "nodes.max") or 0)
        if ceiling > allowed:
            yield f"autoscaling allows {ceiling:g} nodes; pool '{pool.get('name')}' allows at most {allowed}"
