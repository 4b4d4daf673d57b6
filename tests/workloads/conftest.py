"""Fixtures of the serving-layer tests: the dev and prod Plans (tests/conftest.py) and a
variant stack that takes the branches both real stacks leave out.

``lwsvariant``: one on-prem target ``rack2`` whose H100 nodes carry 2 GPUs each, so
llama-70b at tensorParallel 4 spans two nodes (a LeaderWorkerSet); weights on a PVC; a
restricted client allow-list; the source token planted as a secret value (it must never
reach the Plan).

``PlacementView`` reads one ModelPlacement's own objects out of a Plan.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from infra import naming
from infra.plan import Plan, PlanResource, evaluate_config
from infra.stackfile import StackFile, load_stack_file
from infra.workloads.endpoint_picker import COMPONENT as PICKER

ROOT = Path(__file__).resolve().parents[2]
PLACEMENT_TYPE = "llm-fleet:workloads:ModelPlacement"
PLANTED_TOKEN = "hf_PlantedTokenValueThatMustNeverAppear0"
PLANTED_KUBECONFIG = "apiVersion: v1\nkind: Config\n# planted-kubeconfig-marker\n"
VARIANT_TARGET = "rack2"
VARIANT_CIDRS = ["10.0.0.0/8", "192.168.0.0/16"]


def variant_values() -> dict[str, Any]:
    values = copy.deepcopy(load_stack_file("prod", ROOT).values)
    onprem = copy.deepcopy(next(t for t in values["targets"] if t["name"] == "dc1"))
    onprem["name"] = VARIANT_TARGET
    onprem["gpuPools"][0].update(gpusPerNode=2, nodes={"min": 2, "max": 4})
    onprem["weights"] = {"kind": "pvc", "storageClass": "cephfs", "sizeGib": 2000}
    onprem["edge"].update(domain="llm-rack2.example.com", allowedCidrs=VARIANT_CIDRS)
    model = copy.deepcopy(next(m for m in values["models"] if m["name"] == "llama-70b"))
    model["placements"] = [
        {"target": VARIANT_TARGET, "pool": "h100", "tensorParallel": 4, "replicas": {"min": 1, "max": 2}}
    ]
    model["source"]["token"] = {"config": "hfToken"}
    clients = [{**c, "models": ["llama-70b"]} for c in values.get("clients", []) if "llama-70b" in c["models"]]
    values.update(environment="staging", targets=[onprem], models=[model], routing=[], clients=clients)
    return values


def variant_stack_file() -> StackFile:
    return StackFile(
        "lwsvariant", ROOT / "Pulumi.lwsvariant.yaml", variant_values(), frozenset({"dc1Kubeconfig", "hfToken"})
    )


@functools.cache
def evaluate_variant() -> Plan:
    """The variant's Plan, once per test process (tests/onprem shares it)."""
    stack_file = variant_stack_file()
    return evaluate_config(
        stack_file,
        stack_file.parse(),
        secret_values={"hfToken": PLANTED_TOKEN, "dc1Kubeconfig": PLANTED_KUBECONFIG},
    )


@pytest.fixture(scope="session")
def variant_plan() -> Plan:
    return evaluate_variant()


@pytest.fixture(scope="session")
def plans(dev_plan: Plan, prod_plan: Plan, variant_plan: Plan) -> dict[str, Plan]:
    return {"dev": dev_plan, "prod": prod_plan, "lwsvariant": variant_plan}


def placement_ids() -> list[tuple[str, str]]:
    """(stack, placement component name) of every placement of dev, prod and the variant."""
    out = []
    for stack in ("dev", "prod"):
        config = load_stack_file(stack, ROOT).parse()
        out += [(stack, naming.placement_name(p.target, m.name)) for m, p in config.placements()]
    config = variant_stack_file().parse()
    out += [("lwsvariant", naming.placement_name(p.target, m.name)) for m, p in config.placements()]
    return out


@dataclass
class PlacementView:
    """One ModelPlacement's own objects (its direct children) in a Plan."""

    stack: str
    plan: Plan
    name: str

    def __post_init__(self) -> None:
        self.component = next(r for r in self.plan.of_type(PLACEMENT_TYPE) if r.name == self.name)
        self.children = [r for r in self.plan.resources if r.parent == self.component.urn]
        self.target = self.plan.target_of(self.component)
        self.config: dict[str, Any] = self.plan.config
        self.model_name = self.name.removeprefix(f"{self.target}-")
        self.model: dict[str, Any] = next(m for m in self.config["models"] if m["name"] == self.model_name)
        self.placement: dict[str, Any] = next(p for p in self.model["placements"] if p["target"] == self.target)
        self.target_config: dict[str, Any] = next(t for t in self.config["targets"] if t["name"] == self.target)

    def of_kind(self, kind: str) -> list[PlanResource]:
        """The placement's own objects of ``kind`` (its endpoint picker's: ``picker_objects``)."""
        return self.picker_objects(kind, picker=False)

    def picker_objects(self, kind: str, *, picker: bool = True) -> list[PlanResource]:
        """Objects of ``kind`` that belong (``picker``) or not to the endpoint picker (inference-aware routing)."""
        return [
            r
            for r in self.children
            if r.type.startswith("kubernetes:")
            and r.props.get("kind") == kind
            and (((r.props.get("metadata") or {}).get("labels") or {}).get("app.kubernetes.io/component") == PICKER)
            == picker
        ]

    def one(self, kind: str, name: str | None = None) -> PlanResource:
        found = [r for r in self.of_kind(kind) if name is None or r.props["metadata"]["name"] == name]
        assert len(found) == 1, f"{self.name}: expected one {kind} {name or ''}, found {[r.name for r in found]}"
        return found[0]

    @property
    def namespace(self) -> str:
        return naming.namespace(self.model_name)

    @property
    def workload(self) -> PlanResource:
        found = self.of_kind("Deployment") + self.of_kind("LeaderWorkerSet")
        assert len(found) == 1, f"{self.name}: expected one server workload, found {[r.name for r in found]}"
        return found[0]

    @property
    def is_group(self) -> bool:
        return self.workload.props["kind"] == "LeaderWorkerSet"

    def pod_templates(self) -> dict[str, dict[str, Any]]:
        """Role -> pod template of the servers (``server``, or ``leader`` and ``worker``)."""
        spec = self.workload.props["spec"]
        if self.is_group:
            group = spec["leaderWorkerTemplate"]
            return {"leader": group["leaderTemplate"], "worker": group["workerTemplate"]}
        return {"server": spec["template"]}

    def serving_containers(self) -> Iterator[tuple[str, dict[str, Any]]]:
        for role, template in self.pod_templates().items():
            for container in template["spec"]["containers"]:
                yield role, container

    def all_containers(self) -> Iterator[tuple[str, dict[str, Any], dict[str, Any]]]:
        """(where, pod spec, container) of every container of servers and stager, init containers too."""
        specs = {role: t["spec"] for role, t in self.pod_templates().items()}
        specs["stager"] = self.one("Job").props["spec"]["template"]["spec"]
        for role, spec in specs.items():
            for container in spec.get("initContainers", []) + spec["containers"]:
                yield role, spec, container


@pytest.fixture(scope="session", params=placement_ids(), ids=lambda p: f"{p[0]}:{p[1]}")
def view(request: pytest.FixtureRequest, plans: dict[str, Plan]) -> PlacementView:
    stack, name = request.param
    return PlacementView(stack, plans[stack], name)
