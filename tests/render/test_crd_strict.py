"""Every rendered custom resource of dev, prod and the LWS variant checked against the vendored
upstream CRD (vendor/crds, at the pinned versions) the way the API server checks it on create:
structural schema, strict unknown fields, ObjectMeta, list types and the CRDs' CEL rules
(tools/crdcheck, cel-python). Planted one-field breakages of real objects are reported."""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from infra.render import dump_yaml
from tests.conftest import ROOT
from tests.render.conftest import STACKS, load
from tools.crdcheck import CheckResult, check_manifest, is_custom_resource
from tools.crdcheck.catalog import vendored_catalog

EXPECTED_KINDS = {
    "dev": {
        "cert-manager.io/v1/Certificate", "cert-manager.io/v1/ClusterIssuer",
        "elbv2.k8s.aws/v1beta1/TargetGroupBinding",
        "gateway.envoyproxy.io/v1alpha1/BackendTrafficPolicy", "gateway.envoyproxy.io/v1alpha1/ClientTrafficPolicy",
        "gateway.envoyproxy.io/v1alpha1/EnvoyExtensionPolicy", "gateway.envoyproxy.io/v1alpha1/EnvoyProxy",
        "gateway.envoyproxy.io/v1alpha1/SecurityPolicy",
        "gateway.networking.k8s.io/v1/Gateway", "gateway.networking.k8s.io/v1/GatewayClass",
        "gateway.networking.k8s.io/v1/HTTPRoute",
        "karpenter.k8s.aws/v1/EC2NodeClass", "karpenter.sh/v1/NodePool",
        "keda.sh/v1alpha1/ScaledObject",
        "monitoring.coreos.com/v1/PodMonitor", "monitoring.coreos.com/v1/PrometheusRule",
        "monitoring.coreos.com/v1/ServiceMonitor",
        "policy.sigstore.dev/v1beta1/ClusterImagePolicy",
        # API clients (issue 14): per-client keys shared across namespaces, token metering, server keys.
        "gateway.networking.k8s.io/v1beta1/ReferenceGrant", "gateway.envoyproxy.io/v1alpha1/HTTPRouteFilter",
        "aigateway.envoyproxy.io/v1beta1/AIGatewayRoute", "aigateway.envoyproxy.io/v1beta1/BackendSecurityPolicy",
        # Inference-aware routing (issue 18).
        "inference.networking.k8s.io/v1/InferencePool",
    },
}
EXPECTED_KINDS["prod"] = EXPECTED_KINDS["dev"] | {
    "keda.sh/v1alpha1/ClusterTriggerAuthentication",  # KEDA's GMP credentials on GKE
    "monitoring.googleapis.com/v1/ClusterPodMonitoring", "monitoring.googleapis.com/v1/ClusterRules",
    "monitoring.googleapis.com/v1/PodMonitoring",
}
"""Custom-resource kinds each stack renders (all checked: the test cannot pass on an empty set)."""


def custom_resources(folder: Path) -> list[tuple[Path, dict[str, Any]]]:
    out = []
    for path in sorted(folder.rglob("*.yaml")):
        manifest = load(path)
        if is_custom_resource(manifest):
            out.append((path, manifest))
    return out


@pytest.fixture(scope="module")
def results(rendered_root: Path) -> dict[str, list[tuple[Path, CheckResult]]]:
    return {stack: [(path, check_manifest(m)) for path, m in custom_resources(rendered_root / stack)]
            for stack in STACKS}


@pytest.mark.parametrize("stack", STACKS)
def test_every_rendered_custom_resource_passes_the_api_server_checks(
    stack: str, results: dict[str, list[tuple[Path, CheckResult]]]
) -> None:
    failed = [f"{path.name} {r.gvk} {r.name}: {r.status}: " + "; ".join(r.errors)
              for path, r in results[stack] if r.status != "ok"]
    assert failed == []


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_custom_resource_kind_is_checked(stack: str, results: dict[str, list[tuple[Path, CheckResult]]]) -> None:
    assert {r.gvk for _, r in results[stack]} == EXPECTED_KINDS[stack]


def test_the_lws_variant_checks_its_leader_worker_sets(results: dict[str, list[tuple[Path, CheckResult]]]) -> None:
    kinds = {r.gvk for _, r in results["lwsvariant"]}
    assert "leaderworkerset.x-k8s.io/v1/LeaderWorkerSet" in kinds


# -- control cases: one-field changes of real rendered objects ------------------------------------

def _first(rendered_root: Path, pattern: str) -> dict[str, Any]:
    return copy.deepcopy(load(sorted((rendered_root / "prod").rglob(pattern))[0]))


def _errors(manifest: dict[str, Any]) -> list[str]:
    result = check_manifest(manifest)
    return result.errors


def test_unknown_field_is_an_error(rendered_root: Path) -> None:
    scaled = _first(rendered_root, "scaledobject-*.yaml")
    assert _errors(scaled) == []
    scaled["spec"]["minReplicas"] = 1  # the HPA's name; KEDA's is minReplicaCount
    assert _errors(scaled) == ["spec.minReplicas: unknown field (the API server would prune it)"]


def test_wrong_type_and_missing_required_field_are_errors(rendered_root: Path) -> None:
    scaled = _first(rendered_root, "scaledobject-*.yaml")
    scaled["spec"]["minReplicaCount"] = "two"
    del scaled["spec"]["scaleTargetRef"]
    assert _errors(scaled) == [
        "spec.scaleTargetRef: Required value",
        'spec.minReplicaCount: Invalid value: "two": must be of type integer, got string',
        "<root>: Invalid value: some validation rules were not checked because the object was invalid; "
        "correct the existing errors to complete validation",
    ]


def test_value_outside_an_enum_is_an_error(rendered_root: Path) -> None:
    route = _first(rendered_root, "httproute-*.yaml")
    assert _errors(route) == []
    route["spec"]["rules"][0]["matches"][0]["path"]["type"] = "Regexp"
    assert _errors(route) == [
        'spec.rules[0].matches[0].path.type: Unsupported value: "Regexp": supported values: '
        '"Exact", "PathPrefix", "RegularExpression"',
        # an enum error stops the CEL rules, as on the API server
        "<root>: Invalid value: some validation rules were not checked because the object was invalid; "
        "correct the existing errors to complete validation",
    ]


def test_violated_cel_rule_reports_its_message(rendered_root: Path) -> None:
    pool = _first(rendered_root, "nodepool-*.yaml")
    assert _errors(pool) == []
    pool["spec"]["template"]["spec"]["requirements"].append(
        {"key": "karpenter.sh/custom", "operator": "In", "values": ["x"]})
    index = len(pool["spec"]["template"]["spec"]["requirements"]) - 1
    assert _errors(pool) == [
        f'spec.template.spec.requirements[{index}].key: Invalid value: label domain "karpenter.sh" is restricted',
    ]


def test_cel_message_expression_and_duration_typing(rendered_root: Path) -> None:
    monitoring = _first(rendered_root, "podmonitoring-*.yaml")
    assert _errors(monitoring) == []
    endpoint = monitoring["spec"]["endpoints"][0]
    endpoint["interval"] = "15s"
    assert _errors(monitoring) == []
    endpoint["timeout"] = "1m"  # longer than the interval: compared as durations, not strings
    assert _errors(monitoring) == [  # cel-go prints a duration in seconds
        "spec.endpoints[0]: Invalid value: scrape timeout (60s) must not be greater than scrape interval (15s)",
    ]
    endpoint["timeout"] = "5s"  # "5s" > "15s" as strings, shorter as durations: valid
    assert _errors(monitoring) == []


def test_duplicate_key_of_a_map_list_is_an_error(rendered_root: Path) -> None:
    gateway = _first(rendered_root, "gateway-*.yaml")
    assert _errors(gateway) == []
    gateway["spec"]["listeners"].append(copy.deepcopy(gateway["spec"]["listeners"][0]))
    errors = _errors(gateway)
    duplicate = f"spec.listeners[{len(gateway['spec']['listeners']) - 1}]: Duplicate value: map key {{name="
    assert any(e.startswith(duplicate) for e in errors), errors


def test_object_meta_is_checked_like_the_api_server(rendered_root: Path) -> None:
    scaled = _first(rendered_root, "scaledobject-*.yaml")
    scaled["metadata"]["name"] = "Llama_8B"
    scaled["metadata"]["labels"] = {"app": "x" * 64}
    scaled["metadata"]["label"] = {"typo": "x"}
    assert _errors(scaled) == [
        "metadata.label: unknown field (not in ObjectMeta)",
        "metadata.name: 'Llama_8B' must be a DNS-1123 subdomain (lower case, <= 253)",
        f"metadata.labels[app]: value {'x' * 64!r} must be <= 63 characters of [A-Za-z0-9-_.]",
    ]
    cluster_issuer = _first(rendered_root, "clusterissuer-*.yaml")
    cluster_issuer["metadata"]["namespace"] = "cert-manager"
    assert _errors(cluster_issuer) == [
        "metadata.namespace: 'cert-manager' set on a cluster-scoped kind (the API server drops it)"]


def test_null_of_a_non_nullable_field_is_pruned_and_defaults_apply(rendered_root: Path) -> None:
    scaled = _first(rendered_root, "scaledobject-*.yaml")
    scaled["spec"]["pollingInterval"] = None
    assert _errors(scaled) == []


def test_a_kind_without_a_vendored_crd_is_never_passed() -> None:
    result = check_manifest({"apiVersion": "widgets.example.com/v1", "kind": "Widget",
                             "metadata": {"name": "w", "namespace": "llm"}, "spec": {}})
    assert result.status == "unknown-kind"
    assert result.errors == ["no vendored CRD serves widgets.example.com/v1 Widget"]


def test_only_served_versions_are_indexed() -> None:
    catalog = vendored_catalog()
    assert catalog.lookup("gateway.networking.k8s.io/v1", "HTTPRoute") is not None
    assert all(catalog.lookup(v.api_version, v.kind) is v for v in catalog.served())
    assert len(catalog) >= len(EXPECTED_KINDS["prod"]) + 1  # + LeaderWorkerSet


def test_the_command_line_checks_a_rendered_folder(rendered_root: Path, tmp_path: Path) -> None:
    """``python -m tools.crdcheck FOLDER`` (vendor/README.md): exit 0 on dev, 1 on a broken object."""
    done = subprocess.run([sys.executable, "-m", "tools.crdcheck", str(rendered_root / "dev")], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout
    lines = done.stdout.splitlines()
    assert lines and all(line.startswith("ok ") for line in lines)
    assert done.stderr.strip() == f"{len(lines)} custom resources, 0 failed"

    scaled = _first(rendered_root, "scaledobject-*.yaml")
    scaled["spec"]["minReplicas"] = 1
    (tmp_path / "scaled.yaml").write_text(dump_yaml(scaled), encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "tools.crdcheck", str(tmp_path)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 1
    assert done.stdout.splitlines()[1:] == ["  - spec.minReplicas: unknown field (the API server would prune it)"]


def test_redacted_values_pass_where_a_string_is_allowed_and_are_named_elsewhere(rendered_root: Path) -> None:
    scaled = _first(rendered_root, "scaledobject-*.yaml")
    scaled["spec"]["triggers"][0]["metadata"]["serverAddress"] = "[secret]"  # a map of strings
    assert _errors(scaled) == []
    scaled["spec"]["maxReplicaCount"] = "[secret]"
    assert _errors(scaled)[0] == (
        'spec.maxReplicaCount: Invalid value: "[secret]": must be of type integer, got string '
        "(the redaction placeholder: the rendered manifest cannot show the value)")
