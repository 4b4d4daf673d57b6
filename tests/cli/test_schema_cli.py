"""`llmfleet schema --stack-file`: a schema editors attach to Pulumi.<stack>.yaml, kept current."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from infra.cli import app
from infra.schema import MODELINE, SCHEMA_FILE, stack_file_schema
from infra.yamlfile import read_yaml_file

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()


def validator() -> jsonschema.Draft7Validator:
    schema = stack_file_schema()
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


def test_the_committed_schema_is_current() -> None:
    committed = json.loads((ROOT / SCHEMA_FILE).read_text())
    assert committed == stack_file_schema(), "regenerate: make golden (llmfleet schema --stack-file --out ...)"


def test_cli_prints_and_writes_it(tmp_path: Path) -> None:
    printed = runner.invoke(app, ["schema", "--stack-file"])
    assert printed.exit_code == 0
    assert json.loads(printed.stdout) == stack_file_schema()
    out = tmp_path / "schema.json"
    written = runner.invoke(app, ["schema", "--stack-file", "--out", str(out)])
    assert written.exit_code == 0 and json.loads(out.read_text()) == stack_file_schema()


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_shipped_stacks_attach_and_pass_it(stack: str) -> None:
    path = ROOT / f"Pulumi.{stack}.yaml"
    assert path.read_text().splitlines()[0] == MODELINE
    assert (path.parent / SCHEMA_FILE).is_file(), "the modeline's path is relative to the stack file"
    assert list(validator().iter_errors(read_yaml_file(path))) == []


@pytest.mark.parametrize(
    ("mutate", "path"),
    [
        (lambda c: c.update({"llm-fleet:budgett": c.pop("llm-fleet:budget")}), ["config"]),
        (lambda c: c.update({"llm-flet:owner": c.pop("llm-fleet:owner")}), ["config"]),
        (lambda c: c.update({"llm-fleet:owner": "ML"}), ["config", "llm-fleet:owner"]),
        (lambda c: c["llm-fleet:budget"].update({"monthlyUsd": 1e30}), ["config", "llm-fleet:budget", "monthlyUsd"]),
        (lambda c: c.update({"llm-fleet:hfToken": "plain"}), ["config", "llm-fleet:hfToken"]),
    ],
    ids=["typo", "namespace-typo", "pattern", "budget-bound", "plain-secret"],
)
def test_editor_flags_what_the_cli_refuses(mutate, path: list[str]) -> None:
    document = read_yaml_file(ROOT / "Pulumi.dev.yaml")
    mutate(document["config"])
    errors = list(validator().iter_errors(document))
    assert errors and [str(p) for p in errors[0].absolute_path] == path


def test_secure_values_and_provider_settings_are_allowed() -> None:
    document = read_yaml_file(ROOT / "Pulumi.dev.yaml")
    document["config"]["llm-fleet:hfToken"] = {"secure": "v1:abc"}
    document["config"]["aws:region"] = "us-east-1"
    document["encryptionsalt"] = "v1:xyz"
    assert list(validator().iter_errors(document)) == []


def test_a_missing_config_wrapper_is_flagged() -> None:
    document = read_yaml_file(ROOT / "Pulumi.dev.yaml")
    assert list(validator().iter_errors(document["config"]))
