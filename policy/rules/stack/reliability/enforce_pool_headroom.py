"""REL-07: each GPU pool's maximum holds the minimum replicas of every placement on it."""

import math

from policy.capacity import placement_plan, replica_bounds
from policy.rules._helpers import pool_gpus_per_node
from policy.rules.base import Violation, stack_rule
from serving.errors import LlmFleetError


@stack_rule(
    id="REL-07",
    title="Each GPU pool's maximum holds the minimum replicas of every placement on it",
    severity="high",
    category="reliability",
    types=(),
    remediation="Raise gpuPools[].nodes.max (and its GPU limit), lower placements[].replicas.min, or move a "
    "placement to another pool; the minimum must be schedulable or the SLO is broken from the first deploy.",
    references=("custom",),
)
def enforce_pool_headroom(ctx):
    settings = ctx.settings
    # (target, pool) -> [(who, whole nodes for groups, GPUs for servers within a node)]
    needed: dict[tuple[str, str], list[tuple[str, int, int]]] = {}
    for model, placement in settings.placements():
        target = settings.target(placement.get("target"))
        pool = next((p for p in settings.pools(target or {}) if p.get("name") == placement.get("pool")), None)
        if target is None or pool is None:
            continue  # REL-01 reports it
        per_node = pool_gpus_per_node(target, pool)
        try:
            plan = placement_plan(model, placement, target, pool)
        except LlmFleetError:
            continue  # REL-01 reports it
        if plan is None or not per_node or not plan.fits:
            continue
        minimum, _ = replica_bounds(placement)
        # A LeaderWorkerSet group takes whole nodes; smaller servers share nodes.
        usage = (minimum * math.ceil(plan.gpus / per_node), 0) if plan.gpus > per_node else (0, minimum * plan.gpus)
        key = (str(placement.get("target")), str(pool.get("name")))
        needed.setdefault(key, []).append((f"{model.get('name')} ({minimum} x {plan.gpus} GPU)", *usage))
    for (target_name, pool_name), users in sorted(needed.items()):
        target = settings.target(target_name) or {}
        pool = next(p for p in settings.pools(target) if p.get("name") == pool_name)
        per_node = pool_gpus_per_node(target, pool) or 1
        max_nodes = int((pool.get("nodes") or {}).get("max") or 0)
        # A lower bound (bin-packing loss ignored): above the maximum, the minimum cannot schedule.
        total = sum(nodes for _, nodes, _ in users) + math.ceil(sum(gpus for _, _, gpus in users) / per_node)
        if total > max_nodes:
            who = ", ".join(name for name, _, _ in users)
            yield Violation(
                f"pool {target_name}/{pool_name}: the minimum replicas of {who} need at least {total} nodes "
                f"but nodes.max is {max_nodes}"
            )
