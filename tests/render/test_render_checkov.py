"""Checkov's Kubernetes framework on every rendered manifest (and the LeaderWorkerSets' pod
templates as Pods): 0 failed checks; every suppression is a ``checkov.io/skip`` annotation with
its reason. A deliberately bad Deployment in the same run proves the checks ran."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHECKOV = ROOT / ".venv-checkov" / "bin" / "checkov"
CANARY = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: canary
  namespace: default
spec:
  selector:
    matchLabels: {app: canary}
  template:
    metadata:
      labels: {app: canary}
    spec:
      containers:
        - name: vllm
          image: vllm/vllm-openai:latest
"""
CANARY_MUST_FAIL = {"CKV_K8S_20", "CKV_K8S_22", "CKV_K8S_23", "CKV_K8S_28", "CKV_K8S_37", "CKV_K8S_43"}
OUR_SUPPRESSIONS = {"CKV_K8S_40"}
"""The only suppression on the model servers: the image's UID 2000 (CKV_K8S_40 wants >= 10000). The API key is a
mounted file (no CKV_K8S_35) and group workers have raylet probes (no CKV_K8S_8 / CKV_K8S_9)."""


@pytest.fixture(scope="module")
def checkov_report(rendered_root: Path) -> list[dict[str, Any]]:
    if not CHECKOV.exists():
        pytest.skip("Checkov is not installed here: `make checkov-venv` puts it in .venv-checkov (its own virtualenv)")
    canary = rendered_root / "canary" / "deployment-canary.yaml"
    canary.parent.mkdir(parents=True, exist_ok=True)
    canary.write_text(CANARY)
    done = subprocess.run(
        # Neither --quiet nor --compact: the suppressions and their reasons are only in the full report.
        [str(CHECKOV), "-d", str(rendered_root), "--framework", "kubernetes", "--skip-download",
         "-o", "json"],
        capture_output=True, text=True, timeout=600, check=False,
    )
    assert done.stdout.strip(), f"checkov printed nothing (exit {done.returncode}): {done.stderr[-2000:]}"
    report = json.loads(done.stdout)
    return report if isinstance(report, list) else [report]


def results(report: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [c for r in report if r.get("check_type") == "kubernetes" for c in r["results"].get(kind, [])]


@pytest.mark.external
def test_checkov_finds_no_failed_check_in_rendered_manifests(checkov_report: list[dict[str, Any]]) -> None:
    failed = [c for c in results(checkov_report, "failed_checks") if not c["file_path"].startswith("/canary/")]
    assert failed == [], "\n".join(f"{c['check_id']} {c['file_path']} {c['resource']}" for c in failed)
    (summary,) = [r["summary"] for r in checkov_report if r.get("check_type") == "kubernetes"]
    assert summary["parsing_errors"] == 0
    assert summary["resource_count"] > 100, summary


@pytest.mark.external
def test_checkov_ran_its_checks(checkov_report: list[dict[str, Any]]) -> None:
    canary = {c["check_id"] for c in results(checkov_report, "failed_checks") if c["file_path"].startswith("/canary/")}
    assert canary >= CANARY_MUST_FAIL, sorted(canary)


@pytest.mark.external
def test_suppressions_are_annotations_with_reasons(checkov_report: list[dict[str, Any]]) -> None:
    skipped = results(checkov_report, "skipped_checks")
    assert skipped, "the model servers carry their suppressions"
    for check in skipped:
        assert len((check["check_result"].get("suppress_comment") or "").strip()) > 20, check["check_id"]
        if "/llm-" in check["file_path"] or check["file_path"].startswith("/lws-pods/"):
            assert check["check_id"] in OUR_SUPPRESSIONS, f"{check['check_id']} {check['file_path']}"
    pods = {c["file_path"] for c in skipped if c["file_path"].startswith("/lws-pods/")}
    assert pods, "the LeaderWorkerSet pod templates were scanned"
