"""COST-01: Karpenter NodePools have a hard limit; GPU pools on nvidia.com/gpu, within the stack's pool size."""

from policy.props import get, quantity
from policy.rules._helpers import KARPENTER_NODE_POOL, config_pool, is_gpu_capacity, pool_gpus_per_node
from policy.rules.base import resource_rule


@resource_rule(
    id="COST-01",
    title="Karpenter NodePools have a hard limit; GPU pools on nvidia.com/gpu, within the stack's pool size",
    severity="high",
    category="cost",
    types=(KARPENTER_NODE_POOL,),
    remediation="Set spec.limits['nvidia.com/gpu'] to the pool's nodes.max x GPUs per node (and cpu/memory limits "
    "on CPU pools): without a limit Karpenter adds nodes as long as pods are pending.",
    references=("custom",),
    doc="https://karpenter.sh/docs/concepts/nodepools/#speclimits",
)
def configure_gpu_limit(resource, ctx):
    limits = get(resource.props, "spec.limits")
    if not limits:
        yield "spec.limits is not set (unbounded capacity); expected a limit"
        return
    if not is_gpu_capacity(resource):
        return
    gpu_limit = quantity(get(limits, ("nvidia.com/gpu",)))
    if gpu_limit is None:
        yield "spec.limits['nvidia.com/gpu'] is not set on a GPU NodePool; expected the pool's GPU ceiling"
        return
    found = config_pool(resource, ctx)
    if found:
        target, pool = found
        per_node = pool_gpus_per_node(target, pool)
        max_nodes = int(get(pool, "nodes.max") or 0)
        if per_node and gpu_limit > max_nodes * per_node:
            yield (
                f"spec.limits['nvidia.com/gpu'] is {gpu_limit:g}; pool '{pool.get('name')}' allows at most "
                f"{max_nodes} nodes x {per_node} GPUs = {max_nodes * per_node}"
            )
