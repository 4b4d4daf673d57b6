"""REL-01: every model placement fits its GPUs at its max model length (capacity planner)."""

from policy.capacity import placement_plan
from policy.rules._helpers import pool_gpus_per_node
from policy.rules.base import Violation, stack_rule
from serving.errors import LlmFleetError


@stack_rule(
    id="REL-01",
    title="Every model placement fits its GPUs at its max model length (capacity planner)",
    severity="high",
    category="reliability",
    types=(),
    remediation="Raise tensorParallel, pick a pool with larger GPUs, use fp8 KV cache, or lower maxModelLen; "
    "`llmfleet capacity --model M --gpu G --max-model-len L` shows what fits.",
    references=("custom",),
)
def enforce_capacity_fit(ctx):
    settings = ctx.settings
    for model, placement in settings.placements():
        where = f"models.{model.get('name')} on {placement.get('target')}/{placement.get('pool')}"
        target = settings.target(placement.get("target"))
        pool = next((p for p in settings.pools(target or {}) if p.get("name") == placement.get("pool")), None)
        if target is None or pool is None:
            yield Violation(f"{where}: the target or pool does not exist")
            continue
        try:
            plan = placement_plan(model, placement, target, pool)
        except LlmFleetError as exc:
            yield Violation(f"{where}: {exc}")
            continue
        if plan is None:
            yield Violation(f"{where}: the pool's GPU type is unknown (instance types {pool.get('instanceTypes')})")
            continue
        if not plan.fits:
            yield Violation(f"{where}: does not fit: {'; '.join(plan.problems)}")
        elif plan.max_concurrency < 1:
            yield Violation(
                f"{where}: the KV cache holds {plan.max_concurrency:.2f} sequences of {plan.max_model_len} tokens"
            )
        per_node = pool_gpus_per_node(target, pool)
        if per_node and plan.gpus > per_node:
            # Wider than a node: a LeaderWorkerSet group of whole nodes (infra/workloads/sizing.py).
            nodes = plan.gpus // per_node
            max_nodes = int((pool.get("nodes") or {}).get("max") or 0)
            if plan.gpus % per_node:
                yield Violation(
                    f"{where}: one server needs {plan.gpus} GPUs (tp={plan.tp}), which do not split evenly over "
                    f"nodes of {per_node}"
                )
            elif nodes > max_nodes:
                yield Violation(
                    f"{where}: one server spans {nodes} nodes of {per_node} GPUs but the pool has at most {max_nodes}"
                )
