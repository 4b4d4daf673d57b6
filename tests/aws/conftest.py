"""Fixtures of the AWS target tests: one AWS target of a Plan, and the component that built it.

``dev`` and ``prod`` are the real stacks (targets ``aws-dev`` and ``aws-use1``); ``variant``
is a staging stack whose AWS target takes the other branch of what both real stacks fix
one way: a public API endpoint restricted to CIDRs, an admin role, managed Prometheus, a
promoted image digest on a dev-shaped target, a zone-pinned pool, restricted edge CIDRs, a
/20 VPC over two zones.

Each stack is evaluated once per session, with ``infra.program.build_fleet`` wrapped so the
tests can also read the AwsTargetComponent (its ClusterContext) that built the target.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import infra.program as program
from infra.aws.target import AwsTargetComponent
from infra.plan import Plan, PlanResource, evaluate_config
from infra.plan import mocks as plan_mocks
from infra.stackfile import StackFile, load_stack_file

ROOT = Path(__file__).resolve().parents[2]
TARGETS = {"dev": "aws-dev", "prod": "aws-use1", "variant": "aws-stg"}
VARIANT_ADMIN = "arn:aws:iam::210987654321:role/cluster-admins"
VARIANT_DIGEST = "sha256:" + "ab" * 32


@dataclass
class AwsView:
    """The resources of one AWS target in a Plan, and the component that declared them."""

    stack: str
    plan: Plan
    target: str
    component: AwsTargetComponent

    def __post_init__(self) -> None:
        self.resources = [r for r in self.plan.resources if self.plan.target_of(r) == self.target]
        self.config: dict[str, Any] = next(t for t in self.plan.config["targets"] if t["name"] == self.target)

    @property
    def environment(self) -> str:
        return self.plan.config["environment"]

    def of_type(self, typ: str) -> list[PlanResource]:
        return [r for r in self.resources if r.type == typ]

    def one(self, typ: str, name: str | None = None) -> PlanResource:
        found = [r for r in self.of_type(typ) if name is None or r.name == name]
        assert len(found) == 1, f"expected one {typ} {name or ''}, found {[r.name for r in found]}"
        return found[0]

    def named(self, suffix: str, typ: str | None = None) -> PlanResource:
        """The resource named ``<target>-<suffix>`` (of ``typ``, when names repeat across types)."""
        name = f"{self.target}-{suffix}"
        found = [r for r in self.resources if r.name == name and (typ is None or r.type == typ)]
        assert len(found) == 1, f"expected one resource named {name}, found {[r.type for r in found]}"
        return found[0]

    def id_of(self, resource: PlanResource) -> str:
        """The id the mock runtime gave a resource (what other resources' inputs refer to)."""
        return f"{resource.name}-{plan_mocks.stable_hex(resource.type, resource.name, length=8)}"

    def output(self, resource: PlanResource, key: str) -> Any:
        """An output the mock runtime computed for a resource (its ARN, URL, ...)."""
        region = self.config["region"]
        fn = plan_mocks.OUTPUTS.get(resource.type)
        extra = fn(resource.name, resource.props, region) if fn else {}
        if key == "arn" and key not in extra:
            return plan_mocks._aws_arn(resource.type, resource.name, region)
        return extra[key]

    def key_arn(self, purpose: str) -> str:
        return self.output(self.named(f"keys-{purpose}", "aws:kms/key:Key"), "arn")


def policy(resource: PlanResource, prop: str = "policy") -> dict[str, Any]:
    """A JSON policy document prop, parsed."""
    return json.loads(resource.props[prop])


def resolved(output: Any) -> Any:
    """The value of an Output once the offline run finished (its future is done by then)."""
    return output._data.result().value


def variant_values() -> dict[str, Any]:
    values = copy.deepcopy(load_stack_file("dev", ROOT).values)
    aws = next(t for t in values["targets"] if t["kind"] == "aws")
    aws.update(
        name=TARGETS["variant"],
        availabilityZones=2,
        vpcCidr="10.50.0.0/20",
        endpointPublicAccessCidrs=["203.0.113.0/24"],
        adminRoleArns=[VARIANT_ADMIN],
        monitoring={"stack": "managed", "retentionDays": 30},
        edge={
            "domain": "llm-stg.example.com",
            "dnsZone": "example.com",
            "rateLimitPerMinute": 90,
            "allowedCidrs": ["198.51.100.0/24", "192.0.2.0/24"],
        },
        gpuPools=[
            {
                "name": "l4",
                "instanceTypes": ["g6.xlarge"],
                "capacityType": "on-demand",
                "nodes": {"min": 1, "max": 3},
                "zones": ["us-east-1a"],
                "diskGib": 150,
            }
        ],
    )
    model = copy.deepcopy(values["models"][0])
    model["placements"] = [{"target": TARGETS["variant"], "pool": "l4", "replicas": {"min": 1, "max": 3}}]
    model["source"].pop("token", None)
    values.update(
        environment="staging",
        image={"tag": "0.32.0-llmfleet.1", "digest": VARIANT_DIGEST},
        targets=[aws],
        models=[model],
        routing=[],
        budget={"monthlyUsd": 4000, "alertThresholdsPercent": [90, 50], "notifyEmails": ["finops@example.com"]},
        policy={},
        clients=[{**c, "models": [model["name"]]} for c in values.get("clients", []) if model["name"] in c["models"]],
    )
    return values


def _evaluate_capturing(evaluate: Callable[[], Plan]) -> tuple[Plan, dict[str, Any]]:
    captured: dict[str, Any] = {}
    original = program.build_fleet

    def build_and_capture(config: Any) -> dict[str, Any]:
        result = original(config)
        captured.update(result["targets"])
        return result

    program.build_fleet = build_and_capture
    try:
        plan = evaluate()
    finally:
        program.build_fleet = original
    return plan, captured


def _stack_file(stack: str) -> StackFile:
    if stack == "variant":
        return StackFile("awsvariant", ROOT / "Pulumi.awsvariant.yaml", variant_values(), frozenset())
    return load_stack_file(stack, ROOT)


_VIEWS: dict[str, AwsView] = {}


def aws_view(stack: str) -> AwsView:
    """The AWS target of ``stack``, evaluated once per test session."""
    if stack not in _VIEWS:
        stack_file = _stack_file(stack)
        plan, targets = _evaluate_capturing(lambda: evaluate_config(stack_file, stack_file.parse()))
        _VIEWS[stack] = AwsView(stack, plan, TARGETS[stack], targets[TARGETS[stack]])
    return _VIEWS[stack]


@pytest.fixture(scope="session", params=["dev", "prod"])
def aws(request: pytest.FixtureRequest) -> AwsView:
    """The AWS target of each real stack in turn."""
    return aws_view(request.param)


@pytest.fixture(scope="session")
def dev_aws() -> AwsView:
    return aws_view("dev")


@pytest.fixture(scope="session")
def prod_aws() -> AwsView:
    return aws_view("prod")


@pytest.fixture(scope="session")
def variant_aws() -> AwsView:
    return aws_view("variant")


@pytest.fixture(scope="session", params=["dev", "prod", "variant"])
def any_aws(request: pytest.FixtureRequest) -> AwsView:
    """Every AWS target the tests build (the real ones and the variant)."""
    return aws_view(request.param)
