"""`llmfleet policy` and `llmfleet cost` on a Plan file: formats, exit codes 0/1/2."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from infra.cli import app
from tests.policy.baseline import baseline
from tests.policy.harness import set_

runner = CliRunner()


@pytest.fixture
def plan_file(tmp_path):
    def write(plan):
        path = tmp_path / "plan.json"
        path.write_text(json.dumps(plan))
        return str(path)

    return write


def test_clean_plan_exits_0_with_text(plan_file):
    result = runner.invoke(app, ["policy", plan_file(baseline())])
    assert result.exit_code == 0, result.output
    assert "policy pass: 0 mandatory" in result.output


def test_mandatory_finding_exits_1_and_json_names_it(plan_file):
    plan = baseline()
    set_("aws1-cluster", "vpcConfig.endpointPublicAccess", True)(plan)
    result = runner.invoke(app, ["policy", plan_file(plan), "--format", "json"])
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert [f["rule"] for f in data["findings"]] == ["EKS-01"]


def test_sarif_to_a_file(plan_file, tmp_path):
    out = tmp_path / "policy.sarif"
    result = runner.invoke(app, ["policy", plan_file(baseline()), "--format", "sarif", "--out", str(out)])
    assert result.exit_code == 0
    assert json.loads(out.read_text())["version"] == "2.1.0"


def test_bad_input_exits_2(tmp_path):
    bad = tmp_path / "plan.json"
    bad.write_text("{not json")
    result = runner.invoke(app, ["policy", str(bad)])
    assert result.exit_code == 2
    assert "not a Plan" in result.output


def test_cost_json(plan_file):
    result = runner.invoke(app, ["cost", plan_file(baseline()), "--format", "json"])
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["currency"] == "USD" and data["monthly"]["ceiling"] > data["monthly"]["floor"] > 0
