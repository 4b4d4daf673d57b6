"""Promotion runs on copies of the real stack files inside a throw-away git repository, so the
"unpromoted local edits" check talks to real git."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

import infra.promote

ROOT = Path(__file__).resolve().parents[2]
STACK_FILES = ("Pulumi.yaml", "Pulumi.dev.yaml", "Pulumi.prod.yaml")


def git(repo: Path, *args: str) -> str:
    result = subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=test", "-c", "user.email=test@example.com", *args],
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout


def commit(repo: Path, message: str = "edit") -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository holding committed copies of the project's stack files."""
    project = tmp_path / "project"
    project.mkdir()
    for name in STACK_FILES:
        shutil.copy(ROOT / name, project / name)
    git(project, "init", "-q", "-b", "main")
    commit(project, "stack files")
    return project


@dataclass
class FakeReport:
    exit_code: int
    findings: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"schemaVersion": 1, "findings": self.findings}


@dataclass
class FakePolicy:
    """Stands in for policy.engine.evaluate_plan; records every Plan JSON it is given."""

    decide: Callable[[dict[str, Any]], FakeReport] = field(default=lambda plan: FakeReport(0))
    plans: list[dict[str, Any]] = field(default_factory=list)

    def __call__(self, plan: dict[str, Any]) -> FakeReport:
        self.plans.append(plan)
        return self.decide(plan)


REAL_PLAN_JSON = infra.promote._plan_json


def config_only_plan(stack_file: Any, config: Any) -> dict[str, Any]:
    """A Plan JSON carrying the validated config and no resources: enough for FakePolicy, in no time."""
    return {
        "schemaVersion": 1,
        "stack": stack_file.stack,
        "config": config.model_dump(mode="json", by_alias=True, exclude_none=True),
        "resources": [],
    }


@pytest.fixture
def policy(monkeypatch: pytest.MonkeyPatch) -> FakePolicy:
    """A passing policy engine (tests set ``policy.decide`` to make it fail), fed a config-only
    Plan; request ``real_plan`` as well to run the real program under the mock runtime."""
    fake = FakePolicy()
    monkeypatch.setattr(infra.promote, "_policy_evaluator", lambda stack: fake)
    monkeypatch.setattr(infra.promote, "_plan_json", config_only_plan)
    return fake


@pytest.fixture
def real_plan(policy: FakePolicy, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(infra.promote, "_plan_json", REAL_PLAN_JSON)
