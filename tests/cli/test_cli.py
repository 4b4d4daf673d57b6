"""`llmfleet` through Typer's CliRunner: exit codes and exact messages."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jsonschema
import pytest
import yaml
from typer.testing import CliRunner

from infra.cli import app

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the project's stack files to break at will."""
    for name in ("Pulumi.yaml", "Pulumi.dev.yaml", "Pulumi.prod.yaml"):
        shutil.copy(ROOT / name, tmp_path / name)
    return tmp_path


def test_plan_dev_prints_resources_per_target() -> None:
    result = runner.invoke(app, ["plan", "dev", "-C", str(ROOT)])
    assert result.exit_code == 0, result.output
    assert "stack 'dev'" in result.output
    for target in ("lab", "aws-dev"):
        assert target in result.output


def test_plan_prod_out_writes_a_valid_plan(tmp_path: Path) -> None:
    out = tmp_path / "plan.json"
    result = runner.invoke(app, ["plan", "prod", "--out", str(out), "-C", str(ROOT)])
    assert result.exit_code in (0, 1), result.output  # 1 only if prod has mandatory findings
    data = json.loads(out.read_text())
    assert data["schemaVersion"] == 1 and data["stack"] == "prod"
    assert len(data["resources"]) > 10


def test_misspelled_key_exits_2_naming_it(project: Path) -> None:
    path = project / "Pulumi.dev.yaml"
    text = path.read_text()
    assert text.count("rateLimitPerMinute: 300") == 2
    path.write_text(text.replace("rateLimitPerMinute: 300", "rateLimitPerMinut: 300", 1))
    result = runner.invoke(app, ["plan", "dev", "-C", str(project)])
    assert result.exit_code == 2
    assert "targets[0].edge.rateLimitPerMinut: unknown key; did you mean 'rateLimitPerMinute'?" in result.output
    assert "Traceback" not in result.output


def test_mistyped_value_exits_2_naming_key_value_and_allowed(project: Path) -> None:
    path = project / "Pulumi.dev.yaml"
    path.write_text(path.read_text().replace("capacityType: spot", "capacityType: cheap"))
    result = runner.invoke(app, ["plan", "dev", "-C", str(project)])
    assert result.exit_code == 2
    assert (
        "targets[1].gpuPools[0].capacityType: 'cheap' is not allowed; input should be 'spot' or 'on-demand'"
        in result.output
    )


def test_yaml_syntax_error_exits_2_with_line(project: Path) -> None:
    path = project / "Pulumi.dev.yaml"
    path.write_text(path.read_text().replace("  llm-fleet:owner: ml-platform", "  llm-fleet:owner: [ml-platform"))
    result = runner.invoke(app, ["plan", "dev", "-C", str(project)])
    assert result.exit_code == 2
    assert "Pulumi.dev.yaml: line" in result.output


def test_unknown_stack_exits_2_listing_the_stacks(project: Path) -> None:
    result = runner.invoke(app, ["plan", "staging", "-C", str(project)])
    assert result.exit_code == 2
    assert "stack 'staging': Pulumi.staging.yaml not found; available stacks: dev, prod" in result.output


def test_secure_values_never_appear_in_output(project: Path, tmp_path: Path) -> None:
    ciphertext = "v1:PLANTEDNONCE:PLANTEDCIPHERTEXTxyz"
    path = project / "Pulumi.dev.yaml"
    path.write_text(path.read_text() + f"  llm-fleet:labWeightsCredentials:\n    secure: {ciphertext}\n")
    out = tmp_path / "plan.json"
    result = runner.invoke(app, ["plan", "dev", "--out", str(out), "-C", str(project)])
    assert result.exit_code == 0, result.output
    assert "PLANTED" not in result.output
    assert "PLANTED" not in out.read_text()


def test_schema_is_json_schema_that_accepts_the_real_stacks() -> None:
    result = runner.invoke(app, ["schema"])
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    for stack in ("dev", "prod"):
        document = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())
        values = {k.split(":", 1)[1]: v for k, v in document["config"].items()}
        jsonschema.validate(values, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**values, "budgett": {}}, schema)


def test_bad_option_value_exits_2() -> None:
    result = runner.invoke(app, ["policy", "dev", "--format", "xml"])
    assert result.exit_code == 2
    assert "'xml' is not one of" in result.output
