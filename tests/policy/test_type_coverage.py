"""Every resource type the stacks create is either read by a rule or listed, with a reason, as
carrying no security or cost risk (policy/catalog/uncovered_types.yaml). A new type fails here
until it is classified.

The Plans: dev and prod, and the test suite's variant stacks (AWS, GCP and the on-prem
LeaderWorkerSet variant), each evaluated offline once per session."""

from __future__ import annotations

import fnmatch

import pytest

from infra.plan import Plan
from policy.coverage import all_metas, class_names, covered_types, rule_class, unclassified, uncovered_types


def _variants() -> dict[str, Plan]:
    from infra.plan import evaluate_config
    from infra.stackfile import StackFile
    from tests.aws.conftest import aws_view
    from tests.gcp.conftest import ROOT, variant_values
    from tests.workloads.conftest import evaluate_variant

    gcp = StackFile("gcpvariant", ROOT / "Pulumi.gcpvariant.yaml", variant_values(), frozenset())
    return {
        "aws variant": aws_view("variant").plan,
        "gcp variant": evaluate_config(gcp, gcp.parse()),
        "lws variant": evaluate_variant(),
    }


@pytest.fixture(scope="module")
def plans(dev_plan: Plan, prod_plan: Plan) -> dict[str, Plan]:
    return {"dev": dev_plan, "prod": prod_plan, **_variants()}


def test_every_type_in_every_stack_is_covered_or_classified(plans: dict[str, Plan]) -> None:
    missing = {name: unclassified({r.type for r in plan.resources}) for name, plan in plans.items()}
    assert {k: v for k, v in missing.items() if v} == {}, (
        "classify these types: a rule that reads them, or a line in policy/catalog/uncovered_types.yaml"
    )


def test_listed_types_are_real_and_still_uncovered(plans: dict[str, Plan]) -> None:
    seen = {r.type for plan in plans.values() for r in plan.resources}
    covered = covered_types()
    for pattern, reason in uncovered_types().items():
        assert reason and "\n" not in reason and len(reason) > 20, pattern
        assert any(fnmatch.fnmatchcase(t, pattern) for t in seen), f"{pattern}: no stack creates it; drop the line"
        assert pattern not in covered, f"{pattern} is read by {covered[pattern]}: drop it from the uncovered list"


def test_unclassified_finds_a_new_type() -> None:
    new = "aws:lightsail/instance:Instance"  # a type no rule reads and nobody classified
    assert unclassified([new, "aws:eks/cluster:Cluster", "llm-fleet:aws:Target"]) == [new]


def test_every_rule_has_exactly_one_class() -> None:
    assert {m.id: rule_class(m.id) for m in all_metas() if rule_class(m.id) not in class_names()} == {}
