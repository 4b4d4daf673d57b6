"""Rendered custom resources checked against their upstream schemas by kubernetes-models (npm;
``make crd-validate`` installs tools/crd-validate): dev and prod have no invalid object, every
custom-resource kind that has a model is checked (the lists below), the kinds without one are
reported unchecked, and one-field changes to a real ScaledObject and HTTPRoute are invalid."""

from __future__ import annotations

import copy
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from infra.plan import SECRET, Plan
from infra.render import dump_yaml, render_plan
from tests.render.conftest import load

ROOT = Path(__file__).resolve().parents[2]
TOOL = ROOT / "tools" / "crd-validate"
VALIDATOR = TOOL / "validate.mjs"
NODE = shutil.which("node")

pytestmark = [
    pytest.mark.external,
    pytest.mark.skipif(NODE is None, reason="node is not on PATH: tools/crd-validate runs on Node.js"),
    pytest.mark.skipif(not (TOOL / "node_modules").is_dir(),
                       reason="tools/crd-validate/node_modules is missing: run `make crd-validate` (npm ci)"),
]

MODELLED = {
    "cert-manager.io/v1/Certificate",
    "cert-manager.io/v1/ClusterIssuer",
    "gateway.networking.k8s.io/v1/Gateway",
    "gateway.networking.k8s.io/v1/GatewayClass",
    "gateway.networking.k8s.io/v1/HTTPRoute",
    "gateway.networking.k8s.io/v1beta1/ReferenceGrant",
    "karpenter.k8s.aws/v1/EC2NodeClass",
    "karpenter.sh/v1/NodePool",
    "keda.sh/v1alpha1/ScaledObject",
    "monitoring.coreos.com/v1/PodMonitor",
    "monitoring.coreos.com/v1/PrometheusRule",
    "monitoring.coreos.com/v1/ServiceMonitor",
}
EXPECTED_CHECKED = {
    "dev": MODELLED,
    "prod": MODELLED | {"keda.sh/v1alpha1/ClusterTriggerAuthentication"},  # GMP auth for KEDA on GKE
}
"""Custom-resource kinds each stack renders that kubernetes-models has a model for: all checked."""

NO_MODEL = {
    # Envoy AI Gateway and Envoy Gateway kinds: checked against their vendored CRDs (test_crd_vendored.py)
    "aigateway.envoyproxy.io/v1beta1/AIGatewayRoute",
    "aigateway.envoyproxy.io/v1beta1/BackendSecurityPolicy",
    # (AIServiceBackend and Backend only for round-robin models; dev and prod route inference-aware)
    # the InferencePool: checked against its vendored CRD (tests/workloads/test_workloads_inference_pool.py)
    "inference.networking.k8s.io/v1/InferencePool",
    "gateway.envoyproxy.io/v1alpha1/HTTPRouteFilter",
    "elbv2.k8s.aws/v1beta1/TargetGroupBinding",
    "gateway.envoyproxy.io/v1alpha1/BackendTrafficPolicy",
    "gateway.envoyproxy.io/v1alpha1/ClientTrafficPolicy",
    "gateway.envoyproxy.io/v1alpha1/EnvoyExtensionPolicy",
    "gateway.envoyproxy.io/v1alpha1/EnvoyProxy",
    "gateway.envoyproxy.io/v1alpha1/SecurityPolicy",
    "helm.sh/v3/Release",  # llmfleet's own record of a Helm release, not an API object
}
EXPECTED_UNCHECKED_CUSTOM = {
    "dev": NO_MODEL,
    "prod": NO_MODEL | {  # Google Managed Prometheus: @kubernetes-models/gke only has monitoring.gke.io
        "monitoring.googleapis.com/v1/ClusterPodMonitoring",
        "monitoring.googleapis.com/v1/ClusterRules",
        "monitoring.googleapis.com/v1/PodMonitoring",
    },
}
"""Custom kinds without a model: reported ``unchecked``, never passed."""

BUILT_IN = re.compile(r"^(v1|[a-z]+/v\w+|(networking|rbac\.authorization|storage|scheduling|"
                      r"admissionregistration|discovery|coordination|node|apiextensions)\.k8s\.io/v\w+)/\w+$")
"""apiVersion/kind of Kubernetes' own kinds (kubernetes-validate checks those in test_render)."""


@dataclass(frozen=True)
class Result:
    status: str
    file: str
    gvk: str
    name: str
    errors: tuple[str, ...]


def run_validator(*paths: Path) -> tuple[int, list[Result], str]:
    done = subprocess.run([str(NODE), str(VALIDATOR), *map(str, paths)],
                          capture_output=True, text=True, timeout=120, check=False)
    results: list[Result] = []
    for line in done.stdout.splitlines():
        if line.startswith("  - "):
            last = results.pop()
            results.append(Result(last.status, last.file, last.gvk, last.name, (*last.errors, line[4:])))
        else:
            status, rest = line.split(" ", 1)
            file, gvk, name = rest.rsplit(" ", 2)
            results.append(Result(status, file, gvk, name, ()))
    return done.returncode, results, done.stderr


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory, dev_plan: Plan, prod_plan: Plan) -> Path:
    root = tmp_path_factory.mktemp("crd-validate")
    for stack, plan in (("dev", dev_plan), ("prod", prod_plan)):
        render_plan(plan, root / stack)
    return root


@pytest.fixture(scope="module")
def report(rendered: Path) -> tuple[int, list[Result], str]:
    return run_validator(rendered / "dev", rendered / "prod")


def stack_of(result: Result, rendered: Path) -> str:
    return Path(result.file).relative_to(rendered).parts[0]


def test_rendered_custom_resources_are_valid(report: tuple[int, list[Result], str]) -> None:
    returncode, results, stderr = report
    invalid = [r for r in results if r.status == "invalid"]
    assert invalid == [], "\n".join(f"{r.file} {r.gvk} {r.name}: {'; '.join(r.errors)}" for r in invalid)
    assert returncode == 0, stderr


def test_every_rendered_object_is_reported_once(rendered: Path, report: tuple[int, list[Result], str]) -> None:
    _, results, _ = report
    files = sorted(str(p) for p in rendered.rglob("*.yaml"))  # one object per file
    assert sorted(r.file for r in results) == files
    assert {r.status for r in results} <= {"ok", "unchecked"}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_modelled_custom_resource_kind_is_checked(
    stack: str, rendered: Path, report: tuple[int, list[Result], str]
) -> None:
    _, results, _ = report
    mine = [r for r in results if stack_of(r, rendered) == stack]
    checked = {r.gvk for r in mine if r.status == "ok"}
    unchecked_custom = {r.gvk for r in mine if r.status == "unchecked" and not BUILT_IN.match(r.gvk)}
    assert checked == EXPECTED_CHECKED[stack]
    assert unchecked_custom == EXPECTED_UNCHECKED_CUSTOM[stack]
    assert not {r.gvk for r in mine if r.status == "unchecked"} & checked


def _first(rendered: Path, pattern: str) -> dict[str, Any]:
    return load(sorted((rendered / "prod").rglob(pattern))[0])


def _write(folder: Path, name: str, manifest: dict[str, Any]) -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(dump_yaml(manifest), encoding="utf-8")
    return path


def test_one_field_changes_are_reported_invalid(rendered: Path, tmp_path: Path) -> None:
    scaled = _first(rendered, "scaledobject-*.yaml")
    route = _first(rendered, "httproute-*.yaml")
    bad_scaled = copy.deepcopy(scaled)
    bad_scaled["spec"]["minReplicaCount"] = "two"
    bad_route = copy.deepcopy(route)
    bad_route["spec"]["rules"][0]["matches"][0]["path"]["type"] = "Regexp"
    for name, manifest in (("scaled-ok", scaled), ("scaled-bad", bad_scaled),
                           ("route-ok", route), ("route-bad", bad_route)):
        _write(tmp_path, name, manifest)

    returncode, results, _ = run_validator(tmp_path)

    assert returncode == 1
    by_file = {Path(r.file).stem: r for r in results}
    assert by_file["scaled-ok"].status == "ok"
    assert by_file["route-ok"].status == "ok"
    assert by_file["scaled-bad"].status == "invalid"
    assert by_file["scaled-bad"].errors == ('/spec/minReplicaCount: must be integer (got "two")',)
    assert by_file["route-bad"].status == "invalid"
    assert by_file["route-bad"].errors == (
        "/spec/rules/0/matches/0/path/type: must be equal to one of the allowed values "
        '["Exact","PathPrefix","RegularExpression"] (got "Regexp")',
    )


def test_redacted_values_validate_where_a_string_is_allowed(rendered: Path, tmp_path: Path) -> None:
    scaled = _first(rendered, "scaledobject-*.yaml")
    redacted_string = copy.deepcopy(scaled)
    redacted_string["spec"]["triggers"][0]["metadata"]["serverAddress"] = SECRET
    redacted_integer = copy.deepcopy(scaled)
    redacted_integer["spec"]["maxReplicaCount"] = SECRET
    _write(tmp_path, "string", redacted_string)
    _write(tmp_path, "integer", redacted_integer)

    returncode, results, _ = run_validator(tmp_path)

    by_file = {Path(r.file).stem: r for r in results}
    assert by_file["string"].status == "ok"
    assert by_file["integer"].status == "invalid"  # not silently passed: the placeholder is named
    assert by_file["integer"].errors == (
        "/spec/maxReplicaCount: must be integer (the value is the redaction placeholder: "
        "the rendered manifest cannot show it)",
    )
    assert returncode == 1


def test_unmodelled_kinds_and_non_objects_are_never_passed(tmp_path: Path) -> None:
    (tmp_path / "policy.yaml").write_text(yaml.safe_dump(
        {"apiVersion": "gateway.envoyproxy.io/v1alpha1", "kind": "SecurityPolicy",
         "metadata": {"name": "anything"}, "spec": {"not": "checked"}}))
    (tmp_path / "list.yaml").write_text("- just\n- a list\n")

    returncode, results, _ = run_validator(tmp_path)

    assert [(Path(r.file).name, r.status, r.gvk) for r in results] == [
        ("list.yaml", "invalid", "-/-"),
        ("policy.yaml", "unchecked", "gateway.envoyproxy.io/v1alpha1/SecurityPolicy"),
    ]
    assert returncode == 1
