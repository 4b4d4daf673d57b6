"""Fixtures: the operations-and-routing-only Plans of dev and prod, shared with tests/operations."""

from tests.operations.conftest import operations_plans, ops_dev, ops_prod

__all__ = ["operations_plans", "ops_dev", "ops_prod"]
