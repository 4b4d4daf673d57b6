"""``llmfleet render``: one folder per cluster target, one object per file, stable names,
Helm releases as release objects, no secret value anywhere; kubernetes-validate --strict on
every core object."""

from __future__ import annotations

import filecmp
import re
from pathlib import Path

import kubernetes_validate
import pytest
from typer.testing import CliRunner

from infra.cli import app
from infra.outputs import MANIFEST
from infra.plan import SECRET, Plan
from infra.render import kubernetes_objects, render_plan
from infra.workloads import meta
from tests.render.conftest import STACKS, load
from tests.workloads.conftest import PLANTED_KUBECONFIG, PLANTED_TOKEN

KUBERNETES_VERSION = "1.33.0"
CORE_GROUPS = re.compile(
    r"^(v1|(apps|batch|policy|networking\.k8s\.io|rbac\.authorization\.k8s\.io|storage\.k8s\.io|"
    r"autoscaling|scheduling\.k8s\.io|admissionregistration\.k8s\.io)/v\d+)$"
)
"""API groups built into Kubernetes: kubernetes-validate has their schemas."""


def manifests(root: Path) -> list[tuple[Path, dict]]:
    return [(path, load(path)) for path in sorted(root.rglob("*.yaml"))]


def test_one_folder_per_cluster_target(rendered_root: Path, render_plans: dict[str, Plan]) -> None:
    for stack, plan in render_plans.items():
        folders = {p.name for p in (rendered_root / stack).iterdir() if p.name != MANIFEST}
        targets = {t["name"] for t in plan.config["targets"]}
        assert folders == targets, stack


def test_every_kubernetes_object_is_written_once(rendered_root: Path, render_plans: dict[str, Plan]) -> None:
    for stack, plan in render_plans.items():
        expected = [r for r in plan.resources if r.type.startswith("kubernetes:") and r.custom]
        files = list((rendered_root / stack).rglob("*.yaml"))
        assert len(files) == len(expected), stack
        urns = {f.read_text().splitlines()[1].removeprefix("# urn: ") for f in files}
        assert urns == {r.urn for r in expected}


def test_file_names_derive_from_the_object(rendered_root: Path) -> None:
    for path, manifest in manifests(rendered_root / "prod"):
        namespace = manifest["metadata"].get("namespace", "_cluster")
        assert path.parent.name == namespace
        assert path.name == f"{manifest['kind'].lower()}-{manifest['metadata']['name']}.yaml"
        assert list(manifest)[:3] == ["apiVersion", "kind", "metadata"]


def test_rendering_is_deterministic_and_replaces_stale_files(tmp_path: Path, dev_plan: Plan, prod_plan: Plan) -> None:
    first = render_plan(prod_plan, tmp_path / "a")
    stale = render_plan(dev_plan, tmp_path / "b")  # an earlier render of other objects, into the same folder
    second = render_plan(prod_plan, tmp_path / "b")
    assert [p.relative_to(tmp_path / "a") for p in first] == [p.relative_to(tmp_path / "b") for p in second]
    comparison = filecmp.dircmp(tmp_path / "a", tmp_path / "b")
    assert not any(path.exists() for path in stale if path not in second)
    assert _identical(comparison)
    assert not [p for p in tmp_path.iterdir() if p.name not in ("a", "b")], "no staging folder is left behind"


def test_files_someone_else_put_in_a_rendered_folder_are_kept(tmp_path: Path, dev_plan: Plan) -> None:
    written = render_plan(dev_plan, tmp_path)
    notes = tmp_path / "lab" / "NOTES.md"
    notes.write_text("mine\n")
    assert render_plan(dev_plan, tmp_path) == written
    assert notes.read_text() == "mine\n"


def _identical(comparison: filecmp.dircmp) -> bool:
    if comparison.left_only or comparison.right_only or comparison.diff_files:
        return False
    return all(_identical(sub) for sub in comparison.subdirs.values())


def test_helm_releases_render_as_release_objects(rendered_root: Path, prod_plan: Plan) -> None:
    releases = [(p, m) for p, m in manifests(rendered_root / "prod") if m["kind"] == "Release"]
    planned = {r.urn: r.props for r in prod_plan.of_type("kubernetes:helm.sh/v3:Release")}
    assert len(releases) == len(planned) > 0
    for path, release in releases:
        assert release["apiVersion"] == "helm.sh/v3"
        props = planned[path.read_text().splitlines()[1].removeprefix("# urn: ")]
        assert release["metadata"] == {"name": props["name"], "namespace": props["namespace"]}
        assert release["spec"]["chart"] == props["chart"]
        assert release["spec"]["version"] == props["version"]
        assert release["spec"]["values"] == props.get("values", {})


def test_no_secret_value_is_rendered(rendered_root: Path) -> None:
    for stack in STACKS:
        for path, manifest in manifests(rendered_root / stack):
            text = path.read_text()
            assert PLANTED_TOKEN not in text and "planted-kubeconfig-marker" not in text, path
            assert "mock-" not in text, f"{path}: a generated password leaked"
            if manifest["kind"] == "Secret":
                for field in ("data", "stringData"):
                    assert all(v == SECRET for v in (manifest.get(field) or {}).values()), path
    assert PLANTED_KUBECONFIG.strip()


def test_secrets_keep_their_keys(rendered_root: Path) -> None:
    path = rendered_root / "prod" / "dc1" / "llm-llama-70b" / "secret-llama-70b-server-key.yaml"
    secret = load(path)
    keys = secret["metadata"]["annotations"][meta.SECRET_KEYS_ANNOTATION].split(",")
    assert secret["stringData"] == dict.fromkeys(keys, SECRET)


def test_core_objects_pass_kubernetes_validate_strict(rendered_root: Path) -> None:
    validated: dict[str, int] = {}
    for path, manifest in manifests(rendered_root):
        if not CORE_GROUPS.match(manifest["apiVersion"]):
            continue
        try:
            kubernetes_validate.validate(manifest, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as exc:
            pytest.fail(f"{path}: {str(exc).splitlines()[0]}")
        validated[manifest["kind"]] = validated.get(manifest["kind"], 0) + 1
    # The placements' objects, the LWS pod templates (as Pods) and the add-ons' namespaces.
    for kind in (
        "Namespace",
        "NetworkPolicy",
        "ServiceAccount",
        "Secret",
        "ConfigMap",
        "Deployment",
        "Service",
        "PodDisruptionBudget",
        "Job",
        "PersistentVolumeClaim",
        "Pod",
    ):
        assert validated.get(kind), f"no {kind} was validated"


def test_kubernetes_validate_catches_a_misspelt_field() -> None:
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "x"},
        "spec": {"selector": {}, "template": {"spec": {"containers": [{"name": "c", "enableServiceLink": False}]}}},
    }
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)


def test_objects_are_grouped_by_target(prod_plan: Plan) -> None:
    objects = kubernetes_objects(prod_plan)
    assert {target for target, _, _ in objects} == {"aws-use1", "gcp-usc1", "dc1"}
    for target, resource, _ in objects:
        assert prod_plan.target_of(resource) == target


def test_cli_render_writes_every_target(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["render", "prod", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert {p.name for p in tmp_path.iterdir()} == {"aws-use1", "gcp-usc1", "dc1", MANIFEST}
    assert (tmp_path / "dc1" / "llm-llama-70b" / "deployment-llama-70b-server.yaml").is_file()


def test_cli_render_unknown_stack_is_a_clear_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["render", "nosuchstack", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "Pulumi.nosuchstack.yaml not found" in result.output
