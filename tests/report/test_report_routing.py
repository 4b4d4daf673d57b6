"""The fleet report shows each placement's routing strategy (models[].routing)."""

from __future__ import annotations

from infra.plan import Plan
from infra.report.data import gather, stack_config
from tests.report.conftest import TODAY, clone, fleet_map, require_dot
from tests.report.test_page import visible_text


def test_every_placement_shows_its_routing_strategy(prod_plan: Plan, prod_html: str) -> None:
    require_dot()
    data = gather(prod_plan, TODAY)
    config = stack_config(prod_plan)
    expected = {(p.target, m.name): m.routing for m, p in config.placements()}
    assert {(p.target, p.model): p.routing for p in data.placements} == expected
    assert set(expected.values()) == {"inference-aware"}
    svg = visible_text(fleet_map(prod_html))
    assert svg.count("· inference-aware") >= len(expected)


def test_an_opted_out_model_shows_round_robin(prod_plan: Plan) -> None:
    plan = clone(prod_plan)
    plan.config["models"][0]["routing"] = "round-robin"
    data = gather(plan, TODAY)
    model = plan.config["models"][0]["name"]
    assert {p.routing for p in data.placements if p.model == model} == {"round-robin"}
    assert {p.routing for p in data.placements if p.model != model} == {"inference-aware"}
