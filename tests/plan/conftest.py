"""The Plans the whole-Plan checks run over: dev, prod and the variant stacks the other test
areas build (tests/aws, tests/gcp, tests/workloads), each evaluated once per session."""

from __future__ import annotations

import functools

import pytest

from infra.plan import Plan, evaluate_config

STACKS = ["dev", "prod", "awsvariant", "gcpvariant", "lwsvariant"]


@functools.cache
def _variant(stack: str) -> Plan:
    if stack == "awsvariant":
        from tests.aws.conftest import aws_view

        return aws_view("variant").plan
    if stack == "gcpvariant":
        from infra.stackfile import StackFile
        from tests.gcp.conftest import ROOT, variant_values

        stack_file = StackFile("gcpvariant", ROOT / "Pulumi.gcpvariant.yaml", variant_values(), frozenset())
        return evaluate_config(stack_file, stack_file.parse())
    from tests.workloads.conftest import evaluate_variant

    return evaluate_variant()


@pytest.fixture(scope="session", params=STACKS)
def any_plan(request: pytest.FixtureRequest) -> Plan:
    """Each real stack and each variant stack in turn."""
    if request.param in ("dev", "prod"):
        return request.getfixturevalue(f"{request.param}_plan")
    return _variant(request.param)
