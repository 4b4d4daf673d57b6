"""Fixtures of the GCP target tests: views of one GCP target in a Plan, and its ClusterContext.

``prod_plan`` (tests/conftest.py) is the real prod stack; ``variant_plan`` is a second GCP
stack that takes the other branch of every setting prod fixes one way (private endpoint,
spot pool without zones, restricted edge CIDRs, in-cluster metrics, image built here).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import infra.program as program
from infra.plan import Plan, PlanResource, evaluate_config, evaluate_stack
from infra.stackfile import StackFile, load_stack_file
from infra.workloads.context import ClusterContext

ROOT = Path(__file__).resolve().parents[2]
PROD_TARGET = "gcp-usc1"
VARIANT_TARGET = "gcp-dev"


@dataclass
class GcpView:
    """The resources of one GCP target in a Plan."""

    plan: Plan
    target: str

    def __post_init__(self) -> None:
        self.resources = [r for r in self.plan.resources if self.plan.target_of(r) == self.target]
        self.config = next(t for t in self.plan.config["targets"] if t["name"] == self.target)

    def of_type(self, typ: str) -> list[PlanResource]:
        return [r for r in self.resources if r.type == typ]

    def one(self, typ: str, name: str | None = None) -> PlanResource:
        found = [r for r in self.of_type(typ) if name is None or r.name == name]
        assert len(found) == 1, f"expected one {typ} {name or ''}, found {[r.name for r in found]}"
        return found[0]

    def named(self, name: str) -> PlanResource:
        found = [r for r in self.resources if r.name == name]
        assert len(found) == 1, f"expected one resource named {name}, found {len(found)}"
        return found[0]


def resolved(output: Any) -> Any:
    """The value of an Output after the offline run finished (its data task is done by then)."""
    return output._data.result().value


def variant_values() -> dict[str, Any]:
    """A dev-like GCP stack: the prod GCP target with every branch flipped."""
    values = copy.deepcopy(load_stack_file("prod", ROOT).values)
    gcp = next(t for t in values["targets"] if t["kind"] == "gcp")
    gcp.update(
        name=VARIANT_TARGET,
        masterAuthorizedCidrs=[],
        releaseChannel="RAPID",
        monitoring={"stack": "in-cluster"},
        edge={
            "domain": "llm-gcp-dev.example.com",
            "rateLimitPerMinute": 300,
            "allowedCidrs": ["10.0.0.0/8", "192.168.0.0/16"],
        },
        gpuPools=[
            {
                "name": "l4-spot",
                "instanceTypes": ["g2-standard-24"],
                "capacityType": "spot",
                "nodes": {"min": 0, "max": 3},
            }
        ],
    )
    model = copy.deepcopy(next(m for m in values["models"] if m["name"] == "llama-8b"))
    model["placements"] = [{"target": VARIANT_TARGET, "pool": "l4-spot", "replicas": {"min": 0, "max": 2}}]
    model["source"].pop("token", None)
    values.update(
        environment="dev",
        costCenter="LLM Dev/Team",
        image={"tag": "0.32.0-llmfleet.1", "build": True},
        targets=[gcp],
        models=[model],
        routing=[],
        policy={},
        # clients of the models kept (llama-8b)
        clients=[{**c, "models": ["llama-8b"]} for c in values.get("clients", []) if "llama-8b" in c["models"]],
    )
    return values


@pytest.fixture(scope="session")
def variant_plan() -> Plan:
    stack_file = StackFile("gcpvariant", ROOT / "Pulumi.gcpvariant.yaml", variant_values(), frozenset())
    return evaluate_config(stack_file, stack_file.parse())


@pytest.fixture(scope="session")
def prod_gcp(prod_plan: Plan) -> GcpView:
    return GcpView(prod_plan, PROD_TARGET)


@pytest.fixture(scope="session")
def variant_gcp(variant_plan: Plan) -> GcpView:
    return GcpView(variant_plan, VARIANT_TARGET)


def _capture_contexts(evaluate: Any) -> dict[str, ClusterContext]:
    captured: dict[str, ClusterContext] = {}
    original = program.build_fleet

    def build_and_capture(config: Any) -> dict[str, Any]:
        result = original(config)
        captured.update({name: t.context for name, t in result["targets"].items()})
        return result

    program.build_fleet = build_and_capture
    try:
        evaluate()
    finally:
        program.build_fleet = original
    return captured


@pytest.fixture(scope="session")
def prod_context() -> Iterator[ClusterContext]:
    yield _capture_contexts(lambda: evaluate_stack("prod", ROOT))[PROD_TARGET]


@pytest.fixture(scope="session")
def variant_context() -> ClusterContext:
    stack_file = StackFile("gcpvariant", ROOT / "Pulumi.gcpvariant.yaml", variant_values(), frozenset())
    return _capture_contexts(lambda: evaluate_config(stack_file, stack_file.parse()))[VARIANT_TARGET]
