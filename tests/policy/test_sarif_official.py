"""SARIF reports checked by the outside tools: the official SARIF 2.1.0 JSON schema and
Microsoft's SARIF Multitool (`make sarif-multitool` puts both under .tools/)."""

from __future__ import annotations

import copy
import json
import os
import subprocess
from pathlib import Path

import jsonschema
import pytest

from infra.plan import Plan
from policy.engine import evaluate_plan

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / ".tools" / "sarif-multitool" / "package"
MULTITOOL = PACKAGE / "Sarif.Multitool"
SCHEMA = PACKAGE / "sarif-2.1.0.json"

pytestmark = [
    pytest.mark.external,
    pytest.mark.skipif(not MULTITOOL.exists(), reason="SARIF Multitool missing: run `make sarif-multitool`"),
]


def _sarif_with_findings(plan: Plan) -> dict:
    """The real prod Plan with one finding of each kind: open, suppressed and an expired suppression."""
    data = copy.deepcopy(plan.to_json())  # the session's prod Plan stays as it is for the other tests
    bucket = next(r for r in data["resources"] if r["type"] == "aws:s3/bucketVersioning:BucketVersioning")
    bucket["props"]["versioningConfiguration"]["status"] = "Suspended"
    cluster = next(r for r in data["resources"] if r["type"] == "aws:eks/cluster:Cluster")
    cluster["props"]["enabledClusterLogTypes"] = ["api"]
    data["config"]["policy"]["suppressions"] = [
        {
            "rule": "EKS-03",
            "resource": cluster["name"],
            "justification": "audit logs go to the SIEM through another path",
            "owner": "security",
            "expires": "2099-01-01",
        },
        {
            "rule": "S3-01",
            "resource": "nothing-*",
            "justification": "an old exception nobody renewed",
            "owner": "security",
            "expires": "2020-01-01",
        },
    ]
    report = evaluate_plan(data)
    assert {f.rule for f in report.findings} >= {"S3-03", "EKS-03", "POL-01"}
    return report.to_sarif()


@pytest.fixture(scope="module")
def reports(dev_plan: Plan, prod_plan: Plan) -> dict[str, dict]:
    return {
        "dev": evaluate_plan(dev_plan.to_json()).to_sarif(),
        "prod": evaluate_plan(prod_plan.to_json()).to_sarif(),
        "prod-with-findings": _sarif_with_findings(prod_plan),
    }


def test_reports_validate_against_the_official_schema(reports: dict[str, dict]) -> None:
    validator = jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text()))
    for name, sarif in reports.items():
        errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(sarif)]
        assert errors == [], name


def test_the_sarif_multitool_finds_nothing_to_report(reports: dict[str, dict], tmp_path: Path) -> None:
    env = {**os.environ, "DOTNET_SYSTEM_GLOBALIZATION_INVARIANT": "1"}
    for name, sarif in reports.items():
        path = tmp_path / f"{name}.sarif"
        path.write_text(json.dumps(sarif, indent=2))
        result = subprocess.run(
            [str(MULTITOOL), "validate", str(path)], capture_output=True, text=True, env=env, timeout=300
        )
        output = result.stdout + result.stderr
        assert result.returncode == 0, output
        assert "Analysis completed successfully" in output
        problems = [line for line in output.splitlines() if " error SARIF" in line or " warning SARIF" in line]
        assert problems == [], f"{name}: {problems}"


def test_the_multitool_does_catch_a_broken_report(reports: dict[str, dict], tmp_path: Path) -> None:
    broken = json.loads(json.dumps(reports["prod-with-findings"]))
    broken["runs"][0]["tool"]["driver"]["rules"][0]["name"] = broken["runs"][0]["tool"]["driver"]["rules"][0]["id"]
    path = tmp_path / "broken.sarif"
    path.write_text(json.dumps(broken))
    env = {**os.environ, "DOTNET_SYSTEM_GLOBALIZATION_INVARIANT": "1"}
    result = subprocess.run([str(MULTITOOL), "validate", str(path)], capture_output=True, text=True, env=env, timeout=300)
    assert "SARIF1001" in result.stdout + result.stderr
