"""The `llmfleet` console script (infra.cli:main) skips the interpreter's teardown: its exit
statuses and its output, piped and large, must be exactly what the in-process app gives."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.policy.baseline import baseline
from tests.policy.harness import set_

LLMFLEET = Path(sys.executable).parent / "llmfleet"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(LLMFLEET), *args], capture_output=True, text=True, timeout=300, check=False)


def test_a_mandatory_finding_exits_1_with_the_whole_report_on_a_pipe(tmp_path: Path) -> None:
    plan = baseline()
    set_("aws1-cluster", "vpcConfig.endpointPublicAccess", True)(plan)
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan))
    done = run("policy", str(path), "--format", "sarif")
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)  # all of it arrived: a truncated flush would not parse
    assert len(done.stdout) > 100_000
    assert any(r["ruleId"] == "EKS-01" for r in report["runs"][0]["results"])


def test_a_clean_plan_exits_0_and_bad_input_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(baseline()))
    clean = run("policy", str(path), "--format", "json")
    assert clean.returncode == 0 and json.loads(clean.stdout)["findings"] == []
    bad = run("policy", str(tmp_path / "missing.json"))
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert "missing.json" in bad.stderr
    usage = run("no-such-command")
    assert usage.returncode == 2 and "No such command" in usage.stderr


def test_version_and_help_exit_0() -> None:
    version = run("--version")
    assert version.returncode == 0 and version.stdout.startswith("llmfleet ")
    help_ = run("-h")
    assert help_.returncode == 0 and "Exit codes" in help_.stdout
