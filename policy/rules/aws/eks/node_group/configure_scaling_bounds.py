"""COST-02: EKS GPU node groups scale within the stack's pool bounds."""

from policy.props import get, number
from policy.rules._helpers import EKS_NODE_GROUP, config_pool
from policy.rules.base import resource_rule


@resource_rule(
    id="COST-02",
    title="EKS GPU node groups scale within the stack's pool bounds",
    severity="high",
    category="cost",
    types=(EKS_NODE_GROUP,),
    remediation="Set scalingConfig.maxSize to the pool's nodes.max (and minSize to nodes.min).",
    references=("custom",),
)
def configure_scaling_bounds(resource, ctx):
    max_size = number(get(resource.props, "scalingConfig.maxSize"))
    if max_size is None:
        yield "scalingConfig.maxSize is not set; expected the pool's maximum"
        return
    found = config_pool(resource, ctx)
    if found:
        _, pool = found
        allowed = int(get(pool, "nodes.max") or 0)
        if max_size > allowed:
            yield f"scalingConfig.maxSize is {max_size:g}; pool '{pool.get('name')}' allows at most {allowed} nodes"
