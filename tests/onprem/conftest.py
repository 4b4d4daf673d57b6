"""Fixtures of the on-prem target tests: one on-prem target of a Plan, read as a tree.

dev ``lab`` (GPU operator preinstalled, internal CA, S3-compatible weights, 10/8 only),
prod ``dc1`` (GPU operator installed, ACME, S3-compatible weights), and the variant
``rack2`` (2-GPU nodes: a model spanning nodes, weights on a PVC; tests/workloads/conftest.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from infra.plan import Plan, PlanResource
from tests.workloads.conftest import evaluate_variant

TARGETS = {"dev": "lab", "prod": "dc1", "lwsvariant": "rack2"}


@dataclass
class OnPremView:
    stack: str
    plan: Plan
    target: str

    def __post_init__(self) -> None:
        self.resources = [r for r in self.plan.resources if self.plan.target_of(r) == self.target]
        self.config: dict[str, Any] = next(t for t in self.plan.config["targets"] if t["name"] == self.target)

    def of_type(self, typ: str) -> list[PlanResource]:
        return [r for r in self.resources if r.type == typ]

    def kind(self, kind: str, name: str | None = None) -> list[PlanResource]:
        return [
            r
            for r in self.resources
            if r.type.startswith("kubernetes:")
            and r.props.get("kind") == kind
            and (name is None or r.props["metadata"]["name"] == name)
        ]

    def one(self, kind: str, name: str | None = None) -> PlanResource:
        found = self.kind(kind, name)
        assert len(found) == 1, f"{self.target}: expected one {kind} {name or ''}, found {[r.name for r in found]}"
        return found[0]

    def releases(self) -> dict[str, PlanResource]:
        return {r.props["name"]: r for r in self.of_type("kubernetes:helm.sh/v3:Release")}


@pytest.fixture(scope="session")
def variant_plan() -> Plan:
    return evaluate_variant()


@pytest.fixture(scope="session")
def onprem_plans(dev_plan: Plan, prod_plan: Plan, variant_plan: Plan) -> dict[str, Plan]:
    return {"dev": dev_plan, "prod": prod_plan, "lwsvariant": variant_plan}


@pytest.fixture(scope="session", params=sorted(TARGETS), ids=lambda s: f"{s}:{TARGETS[s]}")
def onprem(request: pytest.FixtureRequest, onprem_plans: dict[str, Plan]) -> OnPremView:
    return OnPremView(request.param, onprem_plans[request.param], TARGETS[request.param])


@pytest.fixture(scope="session")
def lab(dev_plan: Plan) -> OnPremView:
    return OnPremView("dev", dev_plan, "lab")


@pytest.fixture(scope="session")
def dc1(prod_plan: Plan) -> OnPremView:
    return OnPremView("prod", prod_plan, "dc1")


@pytest.fixture(scope="session")
def rack2(variant_plan: Plan) -> OnPremView:
    return OnPremView("lwsvariant", variant_plan, "rack2")
