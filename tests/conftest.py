"""Shared fixtures: the offline Plans of the real stacks, evaluated once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra.plan import Plan, evaluate_stack

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def private_plan_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test gets its own, empty evaluation cache (LLMFLEET_CACHE_DIR, inherited by
    subprocesses): a Plan cached by one test, or before a test patched the program, is
    never served to another."""
    path = tmp_path_factory.mktemp("plan-cache")
    monkeypatch.setenv("LLMFLEET_CACHE_DIR", str(path))
    return path


@pytest.fixture(scope="session")
def project_dir() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def dev_plan() -> Plan:
    return evaluate_stack("dev", ROOT)


@pytest.fixture(scope="session")
def prod_plan() -> Plan:
    return evaluate_stack("prod", ROOT)


@pytest.fixture(scope="session", params=["dev", "prod"])
def stack_plan(request: pytest.FixtureRequest) -> Plan:
    """Each real stack's Plan in turn."""
    return evaluate_stack(request.param, ROOT)
