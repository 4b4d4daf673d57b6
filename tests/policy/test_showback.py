"""Per-client showback in `llmfleet cost`: the stack's cost split by model capacity, then by the
clients' monthly token quotas (policy/showback.py)."""

from __future__ import annotations

import copy

import pytest

from policy.cost import estimate_cost


@pytest.fixture(scope="module")
def prod(prod_plan):
    return prod_plan.to_json()


def test_prod_showback_splits_the_whole_cost_by_quota(prod) -> None:
    report = estimate_cost(prod)
    data = report.to_json()
    clients = prod["config"]["clients"]
    assert set(data["byClient"]) == {c["name"] for c in clients}
    total = sum(c["monthly"]["expected"] for c in data["byClient"].values()) + data["unallocated"]["expected"]
    assert total == pytest.approx(data["monthly"]["expected"], rel=1e-6)
    # within a model, shares follow tokensPerMonth
    for model in ("llama-8b", "llama-70b"):
        allowed = [c for c in clients if model in c["models"]]
        quota = {c["name"]: c["tokensPerMonth"] for c in allowed}
        cost = {c["name"]: data["byClient"][c["name"]]["byModel"][model]["expected"] for c in allowed}
        first = allowed[0]["name"]
        for name in quota:
            assert cost[name] / cost[first] == pytest.approx(quota[name] / quota[first], rel=1e-3), (model, name)
    assert "showback per API client" in report.to_text()


def test_equal_split_without_quotas_and_unallocated_models(prod) -> None:
    plan = copy.deepcopy(prod)
    plan["config"]["clients"] = [
        {"name": "a", "owner": "x", "models": ["llama-8b"], "keys": []},
        {"name": "b", "owner": "y", "models": ["llama-8b"], "tokensPerMonth": 10, "keys": []},
    ]
    data = estimate_cost(plan).to_json()
    a, b = (data["byClient"][n]["monthly"]["expected"] for n in ("a", "b"))
    assert a == pytest.approx(b) and a > 0
    assert data["unallocated"]["expected"] > 0, "llama-70b: no client may call it"


def test_no_clients_no_showback(prod) -> None:
    plan = copy.deepcopy(prod)
    plan["config"].pop("clients")
    report = estimate_cost(plan)
    assert report.to_json()["byClient"] == {} and "showback" not in report.to_text()
