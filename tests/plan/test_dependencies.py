"""Each Plan resource records the URNs its registration says it depends on.

A small program runs through the same runner and recording monitor as ``llmfleet plan``:
what lands in ``dependencies`` is what the SDK put in the RegisterResource request
(``dependencies`` and ``propertyDependencies``), which is what a real engine receives.
"""

from __future__ import annotations

from pathlib import Path
from unittest import mock

import pulumi
import pulumi_kubernetes as k8s
import pytest

import infra.program as program
from infra.plan import Plan, PlanResource, evaluate_config
from infra.stackfile import load_stack_file

ROOT = Path(__file__).resolve().parents[2]


class Bundle(pulumi.ComponentResource):
    """A local component with two custom children and one nested component."""

    def __init__(self, name: str) -> None:
        super().__init__("test:index:Bundle", name)
        child = pulumi.ResourceOptions(parent=self)
        self.first = k8s.core.v1.Namespace(f"{name}-first", metadata={"name": "first"}, opts=child)
        self.second = k8s.core.v1.Namespace(f"{name}-second", metadata={"name": "second"}, opts=child)
        inner = pulumi.ComponentResource("test:index:Inner", f"{name}-inner", None, child)
        self.third = k8s.core.v1.Namespace(
            f"{name}-third", metadata={"name": "third"}, opts=pulumi.ResourceOptions(parent=inner)
        )
        self.register_outputs({})


def small_program() -> None:
    base = k8s.core.v1.Namespace("base", metadata={"name": "base"})
    other = k8s.core.v1.Namespace("other", metadata={"name": "other"})
    bundle = Bundle("bundle")
    # From an input: the namespace name is an Output of `base`.
    k8s.core.v1.ConfigMap("from-input", metadata={"name": "cm", "namespace": base.metadata.name})
    # Explicit only.
    k8s.core.v1.ConfigMap(
        "explicit", metadata={"name": "cm", "namespace": "base"}, opts=pulumi.ResourceOptions(depends_on=[other])
    )
    # On a component: the SDK sends its custom descendants instead.
    k8s.core.v1.ConfigMap(
        "on-component", metadata={"name": "cm", "namespace": "base"}, opts=pulumi.ResourceOptions(depends_on=[bundle])
    )
    # Both at once, plus a plain value that carries no dependency.
    k8s.core.v1.ConfigMap(
        "both",
        metadata={"name": "cm", "namespace": other.metadata.name},
        data={"key": "value"},
        opts=pulumi.ResourceOptions(depends_on=[base]),
    )
    k8s.core.v1.ConfigMap("none", metadata={"name": "cm", "namespace": "base"})


@pytest.fixture(scope="module")
def small_plan() -> Plan:
    stack_file = load_stack_file("dev", ROOT)
    with mock.patch.object(program, "main", small_program):
        return evaluate_config(stack_file, stack_file.parse())


def named(plan: Plan, name: str) -> PlanResource:
    [found] = [r for r in plan.resources if r.name == name]
    return found


def urns(plan: Plan, *names: str) -> list[str]:
    return sorted(named(plan, n).urn for n in names)


def test_an_output_input_records_the_resource_behind_it(small_plan: Plan) -> None:
    assert named(small_plan, "from-input").dependencies == urns(small_plan, "base")


def test_explicit_depends_on_is_recorded(small_plan: Plan) -> None:
    assert named(small_plan, "explicit").dependencies == urns(small_plan, "other")


def test_a_component_dependency_arrives_as_its_custom_descendants(small_plan: Plan) -> None:
    recorded = named(small_plan, "on-component").dependencies
    assert recorded == urns(small_plan, "bundle-first", "bundle-second", "bundle-third")
    # The components themselves are not in what the engine receives.
    assert named(small_plan, "bundle").urn not in recorded


def test_explicit_and_input_dependencies_are_merged_and_sorted(small_plan: Plan) -> None:
    assert named(small_plan, "both").dependencies == urns(small_plan, "base", "other")
    assert named(small_plan, "none").dependencies == []
    for resource in small_plan.resources:
        assert resource.dependencies == sorted(set(resource.dependencies))


def test_dependencies_are_in_the_plan_json_and_old_plans_still_load(small_plan: Plan) -> None:
    data = small_plan.to_json()
    both = next(r for r in data["resources"] if r["name"] == "both")
    assert both["dependencies"] == urns(small_plan, "base", "other")
    # A Plan written before the field existed reads as "no dependencies recorded".
    for resource in data["resources"]:
        del resource["dependencies"]
    assert all(r.dependencies == [] for r in Plan.from_json(data).resources)


def test_readers_ignore_unknown_keys(small_plan: Plan) -> None:
    data = small_plan.to_json()
    data["futureTopLevel"] = 1
    for resource in data["resources"]:
        resource["futureField"] = {"x": 1}
    assert Plan.from_json(data).dumps() == small_plan.dumps()


def test_the_real_program_records_edges(dev_plan: Plan) -> None:
    """The dev Plan's edges point at resources of the same Plan, and the Helm release of
    KEDA depends on its Namespace through an explicit depends_on."""
    index = dev_plan.by_urn()
    assert sum(len(r.dependencies) for r in dev_plan.resources) > len(dev_plan.resources)
    for resource in dev_plan.resources:
        for dependency in resource.dependencies:
            assert dependency in index, (resource.urn, dependency)
    keda = next(r for r in dev_plan.of_type("kubernetes:helm.sh/v3:Release") if r.name == "lab-ops-keda")
    namespace = next(r for r in dev_plan.of_type("kubernetes:core/v1:Namespace") if r.name == "lab-ops-keda-ns")
    assert namespace.urn in keda.dependencies
