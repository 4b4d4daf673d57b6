"""policy.capacity.traffic_share: which part of a model's peak rate each placement must carry."""

from policy.capacity import traffic_share

MODEL = {"name": "m", "placements": [{"target": "a"}, {"target": "b"}, {"target": "c"}]}


def _route(mode, endpoints, models=("m",)):
    return {"mode": mode, "models": list(models), "endpoints": endpoints}


def test_weighted_route_gives_each_target_its_weight_share():
    routing = [_route("weighted", [{"target": "a", "weight": 70}, {"target": "b", "weight": 30}])]
    assert traffic_share(routing, MODEL, {"target": "a"}) == 0.7
    assert traffic_share(routing, MODEL, {"target": "b"}) == 0.3
    assert traffic_share(routing, MODEL, {"target": "c"}) == 0.0  # no route sends it anything


def test_failover_route_makes_each_endpoint_carry_everything():
    routing = [_route("failover", [{"target": "a", "role": "primary"}, {"target": "b", "role": "secondary"}])]
    assert traffic_share(routing, MODEL, {"target": "a"}) == 1.0
    assert traffic_share(routing, MODEL, {"target": "b"}) == 1.0


def test_unrouted_model_splits_evenly_and_other_models_routes_do_not_count():
    routing = [_route("failover", [{"target": "a"}, {"target": "b"}], models=("other",))]
    assert traffic_share(routing, MODEL, {"target": "c"}) == 1 / 3
