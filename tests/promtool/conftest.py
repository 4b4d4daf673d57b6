"""Fixtures: the operations-and-routing-only Plans of dev and prod (see tests/operations/harness.py)."""

from __future__ import annotations

from typing import Any

import pytest

from infra.plan import Plan
from tests.operations.harness import stack_plan


@pytest.fixture(scope="session")
def ops_dev() -> Plan:
    return stack_plan("dev")


@pytest.fixture(scope="session")
def ops_prod() -> Plan:
    return stack_plan("prod")


@pytest.fixture(scope="session")
def operations_plans(ops_dev: Plan, ops_prod: Plan) -> dict[str, Any]:
    return {"dev": ops_dev, "prod": ops_prod}
