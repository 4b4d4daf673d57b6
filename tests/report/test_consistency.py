"""The report agrees with the cost model and the planner: pool minimums on the map are the
floor the cost model prices, FP8 weights/KV cache are shown, on-prem capacity is owned, and
every cost category can be read however much GPU nodes dominate."""

from __future__ import annotations

import html as htmllib

from infra.plan import Plan
from infra.report import build_report
from infra.report.charts import money
from infra.report.data import CostView, gather
from policy.cost import estimate_cost
from tests.report.conftest import TODAY, clone, fleet_map, require_dot


def map_text(page: str) -> str:
    return htmllib.unescape(fleet_map(page))


def test_pool_minimums_on_the_map_are_the_cost_floor(stack_report: tuple[Plan, str]) -> None:
    plan, page = stack_report
    floors = estimate_cost(plan.to_json()).nodes_by_pool
    targets = gather(plan, TODAY).targets
    pools = [(t, p) for t in targets for p in t.pools]
    assert pools
    text = map_text(page)
    for target, pool in pools:
        assert pool.min_nodes == floors[f"{target.name}/{pool.name}"].floor
        assert f"nodes {pool.min_nodes}..{pool.max_nodes}" in text


def test_placements_needing_more_nodes_than_nodes_min_raise_the_map_minimum(prod_plan: Plan) -> None:
    require_dot()
    plan = clone(prod_plan)
    placement = next(p for m in plan.config["models"] for p in m["placements"])
    target = next(t for t in plan.config["targets"] if t["name"] == placement["target"])
    pool = next(p for p in target["gpuPools"] if p["name"] == placement["pool"])
    placement["replicas"]["min"] = max(placement["replicas"]["min"], 1)
    pool["nodes"]["min"] = 0  # the placement still needs at least one node
    floor = estimate_cost(plan.to_json()).nodes_by_pool[f"{target['name']}/{pool['name']}"].floor
    assert floor >= 1
    view = next(
        p for t in gather(plan, TODAY).targets if t.name == target["name"] for p in t.pools if p.name == pool["name"]
    )
    assert view.min_nodes == floor
    text = map_text(build_report(plan, today=TODAY))
    assert f"nodes {floor:.0f}..{pool['nodes']['max']}" in text
    assert f"nodes 0..{pool['nodes']['max']}" not in text


def test_on_prem_pools_are_owned_not_on_demand(dev_plan: Plan, dev_html: str) -> None:
    onprem = [t for t in gather(dev_plan, TODAY).targets if t.kind == "onprem"]
    assert onprem and all(p.capacity_type == "owned" for t in onprem for p in t.pools)
    text = map_text(dev_html)
    for target in onprem:
        for pool in target.pools:
            assert f"nodes {pool.min_nodes}..{pool.max_nodes} · owned" in text
            assert f"nodes {pool.min_nodes}..{pool.max_nodes} · on-demand" not in text
    clouds = [p for t in gather(dev_plan, TODAY).targets if t.kind != "onprem" for p in t.pools]
    assert all(p.capacity_type in ("spot", "on-demand") for p in clouds)


def test_fp8_weights_and_kv_cache_are_shown(prod_plan: Plan, prod_html: str) -> None:
    capacity = gather(prod_plan, TODAY).capacity
    assert isinstance(capacity, tuple) and capacity
    fp8 = [v for v in capacity if v.weight_dtype == "fp8" and v.kv_cache_dtype == "fp8"]
    assert fp8, "prod quantizes one model to FP8 with an FP8 KV cache"
    text = htmllib.unescape(prod_html)
    for view in capacity:
        assert (
            f"{view.target} · {view.gpu} · TP {view.tp} · weights {view.weight_dtype} · KV {view.kv_cache_dtype}"
            in text
        )
    assert any(v.weight_dtype != "fp8" for v in capacity), "unquantized models are shown as such"
    view = fp8[0]
    assert f"{view.target}/{view.model} on {view.gpu}: weights (fp8) {view.weights_gib:.1f} GiB, KV cache (fp8)" in text


def test_every_cost_category_has_its_figures_and_share_in_a_table(prod_plan: Plan, prod_html: str) -> None:
    cost = gather(prod_plan, TODAY).cost
    assert isinstance(cost, CostView) and len(cost.by_category) > 2
    text = htmllib.unescape(prod_html)
    total = sum(r.expected for r in cost.by_category.values())
    smallest = min(cost.by_category.items(), key=lambda kv: kv[1].expected)
    largest = max(cost.by_category.items(), key=lambda kv: kv[1].expected)
    assert largest[1].expected > 10 * smallest[1].expected, "the case the table is for: one category dominates"
    for name, r in cost.by_category.items():
        row = (
            f"<td>{name}</td><td class=num>{money(r.floor)}</td><td class=num>{money(r.expected)}</td>"
            f"<td class=num>{money(r.ceiling)}</td><td class=num>{100 * r.expected / total:.1f}%</td>"
        )
        assert row in text, row
