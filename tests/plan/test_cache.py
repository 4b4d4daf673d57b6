"""The evaluation cache: a Plan is reused only for byte-identical inputs, never served for
different ones, and nothing secret is written to it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

import infra.plan.runner
from infra import plan_cache
from infra.cli import app

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the project's stack files to change at will."""
    project = tmp_path / "project"
    project.mkdir()
    for name in ("Pulumi.yaml", "Pulumi.dev.yaml", "Pulumi.prod.yaml"):
        shutil.copy(ROOT / name, project / name)
    return project


@pytest.fixture
def evaluations(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Counts real evaluations of the program (the cache decides whether one happens)."""
    calls: list[str] = []
    real = infra.plan.runner.evaluate_config

    def counting(stack_file, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(stack_file.stack)
        return real(stack_file, *args, **kwargs)

    monkeypatch.setattr(infra.plan.runner, "evaluate_config", counting)
    return calls


def plan_json(project: Path, out: Path, *extra: str) -> dict:
    result = runner.invoke(app, ["plan", "dev", "-C", str(project), "--out", str(out), *extra])
    assert result.exit_code in (0, 1), result.output
    return json.loads(out.read_text())


def key(project: Path) -> str:
    path = project / "Pulumi.dev.yaml"
    return plan_cache.plan_key("dev", path, {"LLMFLEET_LAB_KUBECONFIG"})


def test_an_unchanged_stack_is_evaluated_once_and_the_reused_plan_is_identical(
    project: Path, tmp_path: Path, evaluations: list[str], private_plan_cache: Path
) -> None:
    first = plan_json(project, tmp_path / "first.json")
    second = plan_json(project, tmp_path / "second.json")
    assert evaluations == ["dev"]
    assert second == first
    assert (tmp_path / "first.json").read_bytes() == (tmp_path / "second.json").read_bytes()
    # Every stack command reads the same cache.
    for argv in (["policy", "dev"], ["cost", "dev"], ["report", "dev", "--out", str(tmp_path / "r.html")]):
        result = runner.invoke(app, [*argv, "-C", str(project)])
        assert result.exit_code in (0, 1), result.output
    assert evaluations == ["dev"]
    assert [p.name for p in private_plan_cache.iterdir()] == [f"{key(project)}.json"], "one file, no temp files"


def test_one_changed_byte_of_the_stack_file_is_a_miss(project: Path, tmp_path: Path, evaluations: list[str]) -> None:
    plan_json(project, tmp_path / "a.json")
    path = project / "Pulumi.dev.yaml"
    text = path.read_text()
    assert "llm-fleet:owner: ml-platform" in text
    path.write_text(text.replace("llm-fleet:owner: ml-platform", "llm-fleet:owner:  ml-platform", 1))
    plan_json(project, tmp_path / "b.json")
    assert evaluations == ["dev", "dev"]


def test_no_cache_forces_a_fresh_evaluation(project: Path, tmp_path: Path, evaluations: list[str]) -> None:
    plan_json(project, tmp_path / "a.json")
    plan_json(project, tmp_path / "b.json", "--no-cache")
    assert evaluations == ["dev", "dev"]


def test_a_key_is_a_function_of_every_input(project: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """One changed byte of the stack, Pulumi.yaml, a program file or an environment variable
    the program reads gives another key; unrelated variables do not."""
    base = key(project)
    assert key(project) == base, "the key is stable"

    monkeypatch.setenv("HOME_UNRELATED_SETTING", "x")
    assert key(project) == base

    for name in ("LLMFLEET_PLAN_TIMEOUT", "PULUMI_CONFIG", "AWS_REGION", "LLMFLEET_LAB_KUBECONFIG"):
        with monkeypatch.context() as env:
            env.setenv(name, "1")
            assert key(project) != base, name

    pulumi_yaml = project / "Pulumi.yaml"
    original = pulumi_yaml.read_bytes()
    pulumi_yaml.write_bytes(original + b"\n")
    assert key(project) != base
    pulumi_yaml.write_bytes(original)
    assert key(project) == base

    code = tmp_path / "code"
    for package in plan_cache.PACKAGES:
        shutil.copytree(ROOT / package, code / package, ignore=shutil.ignore_patterns("__pycache__"))
    for name in plan_cache.CODE_FILES:
        (code / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / name, code / name)
    monkeypatch.setattr(plan_cache, "CODE_ROOT", code)
    copied = key(project)
    program = code / "infra" / "program.py"
    program.write_bytes(program.read_bytes().replace(b"Kept thin", b"Kept Thin", 1))
    assert key(project) != copied
    data = code / "serving" / "errors.py"
    data.write_bytes(data.read_bytes() + b"#")
    changed = key(project)
    requirements = code / "requirements" / "main.txt"
    requirements.write_bytes(requirements.read_bytes() + b"\n")
    assert key(project) != changed


def test_a_changed_program_file_is_a_miss_through_the_cli(
    project: Path, tmp_path: Path, evaluations: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    plan_json(project, tmp_path / "a.json")
    code = tmp_path / "code"
    for package in plan_cache.PACKAGES:
        shutil.copytree(ROOT / package, code / package, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(plan_cache, "CODE_ROOT", code)  # the same sources, another root: a miss
    plan_json(project, tmp_path / "b.json")
    assert evaluations == ["dev", "dev"]
    plan_json(project, tmp_path / "c.json")
    assert evaluations == ["dev", "dev"]
    (code / "policy" / "__init__.py").write_text("# one more byte\n", encoding="utf-8")
    plan_json(project, tmp_path / "d.json")
    assert evaluations == ["dev", "dev", "dev"]


def test_secret_environment_values_never_reach_the_cache(
    project: Path, tmp_path: Path, evaluations: list[str], monkeypatch: pytest.MonkeyPatch, private_plan_cache: Path
) -> None:
    secret = "kubeconfig-token-5d41402abc4b2a76b9719d911017c592"
    monkeypatch.setenv("LLMFLEET_LAB_KUBECONFIG", secret)  # read by dev's {env: ...} reference
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", secret + "-aws")
    plan_json(project, tmp_path / "a.json")
    stored = b"".join(p.read_bytes() for p in private_plan_cache.iterdir())
    assert stored and secret.encode() not in stored
    monkeypatch.setenv("LLMFLEET_LAB_KUBECONFIG", secret + "-rotated")
    plan_json(project, tmp_path / "b.json")
    assert evaluations == ["dev", "dev"], "a changed secret is another key"


def test_a_damaged_entry_is_a_miss_and_is_replaced(
    project: Path, tmp_path: Path, evaluations: list[str], private_plan_cache: Path
) -> None:
    first = plan_json(project, tmp_path / "a.json")
    entry = private_plan_cache / f"{key(project)}.json"
    for damage in (b"", b"{not json", json.dumps({"format": plan_cache.FORMAT, "key": "other"}).encode()):
        entry.write_bytes(damage)
        assert plan_json(project, tmp_path / "b.json") == first
    assert evaluations == ["dev"] * 4
    assert plan_json(project, tmp_path / "c.json") == first
    assert evaluations == ["dev"] * 4


def test_an_unwritable_cache_only_costs_time(
    project: Path, tmp_path: Path, evaluations: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    monkeypatch.setenv(plan_cache.CACHE_DIR_ENV, str(blocker / "cache"))
    plan_json(project, tmp_path / "a.json")
    plan_json(project, tmp_path / "b.json")
    assert evaluations == ["dev", "dev"]


def test_old_entries_are_pruned(monkeypatch: pytest.MonkeyPatch, private_plan_cache: Path, dev_plan) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(plan_cache, "KEEP", 3)
    for i in range(5):
        plan_cache.store(f"{i:064x}", dev_plan)
    assert len(list(private_plan_cache.glob("*.json"))) == 3
    assert plan_cache.load(f"{4:064x}") is not None
