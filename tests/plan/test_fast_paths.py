"""The offline evaluation's shortcuts change nothing in the Plan (bench/cold.py measures them):
the recording monitor answers as the SDK's MockMonitor does, and lazily loaded provider
subpackages give the same program as eagerly loaded ones."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pulumi.runtime.mocks import MockMonitor

from infra.plan import Plan, evaluate_stack
from infra.plan.lazy_sdk import EAGER_ENV
from infra.plan.monitor import RecordingMonitor

ROOT = Path(__file__).resolve().parents[2]


def test_the_recording_monitor_answers_as_the_sdk_mock_monitor(
    stack_plan: Plan, monkeypatch: pytest.MonkeyPatch
) -> None:
    record_and_answer = RecordingMonitor.RegisterResource

    def through_the_sdk(self: RecordingMonitor, request):  # the SDK's deserialize/serialize round trip
        ours = record_and_answer(self, request)
        return ours if request.type == "pulumi:pulumi:Stack" else MockMonitor.RegisterResource(self, request)

    monkeypatch.setattr(RecordingMonitor, "RegisterResource", through_the_sdk)
    assert evaluate_stack(stack_plan.stack).dumps() == stack_plan.dumps()


EVALUATE = """
import json, sys
from infra.plan.runner import evaluate_stack
plan = evaluate_stack("prod")
loaded = sum(1 for name in sys.modules if name.startswith(("pulumi_aws.", "pulumi_gcp.")))
sys.stdout.write(json.dumps({"plan": plan.dumps(), "modules": loaded}))
"""


@pytest.mark.slow
def test_lazily_loaded_provider_packages_give_the_same_plan(tmp_path: Path) -> None:
    runs = {}
    for eager in ("1", "0"):
        env = {**os.environ, EAGER_ENV: eager}
        done = subprocess.run(
            [sys.executable, "-c", EVALUATE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=True
        )
        runs[eager] = json.loads(done.stdout)
    assert runs["0"]["plan"] == runs["1"]["plan"]
    # The lazy run really skipped the unused resource modules (eager: ~1,500 AWS/GCP modules).
    assert runs["0"]["modules"] * 2 < runs["1"]["modules"], (runs["0"]["modules"], runs["1"]["modules"])
