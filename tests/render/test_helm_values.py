"""Helm values of every release the program creates, against the pinned chart's own files
(vendor/charts: values.yaml, values.schema.json where the chart has one, subchart values):
no key the chart does not know, schema-valid merged values, and the CPU-limit intent explicit
(memory limits only: the charts' default CPU limits are deleted with null)."""

from __future__ import annotations

from typing import Any

import pytest

from infra import versions
from infra.plan import Plan, PlanResource
from infra.workloads.operations.cluster import dcgm_exporter_values, keda_values
from tests.conftest import ROOT
from tools import chartvalues
from tools.crdcheck.sources import VENDOR

RELEASE = "kubernetes:helm.sh/v3:Release"
PINNED_CHARTS = {name: value for name, value in vars(versions).items() if isinstance(value, versions.HelmChart)}

FREE_FORM_MAPS: dict[str, dict[str, tuple[str, str]]] = {
    # values.yaml defaults nodeSelector to {kubernetes.io/os: linux}: a label map the template
    # passes through whole, so any label key is valid under it.
    "KARPENTER": {"nodeSelector": ("templates/deployment.yaml", "{{- with .Values.nodeSelector }}")},
    # The EnvoyGateway configuration (extension manager, rate-limit backend, provider): the chart
    # merges it over its defaults and writes it whole into the envoy-gateway-config ConfigMap.
    "ENVOY_GATEWAY": {
        "config.envoyGateway": (
            "templates/envoy-gateway-config.yaml",
            "{{- $userEnvoyGatewayConfig := .Values.config.envoyGateway }}",
        )
    },
    "AI_GATEWAY": {
        "controller.securityContext": (
            "templates/deployment.yaml",
            "{{- toYaml .Values.controller.securityContext | nindent 12 }}",
        )
    },
    # The security contexts are passed through whole (less "enabled"): any Kubernetes field is valid.
    "POLICY_CONTROLLER": {
        "webhook.podSecurityContext": (
            "templates/webhook/deployment_webhook.yaml",
            "{{- with .Values.webhook.podSecurityContext }}",
        ),
        "webhook.securityContext": (
            "templates/webhook/deployment_webhook.yaml",
            "{{- with .Values.webhook.securityContext }}",
        ),
        "leasescleanup.podSecurityContext": (
            "templates/webhook/cleanup-leases.yaml",
            "{{- with .Values.leasescleanup.podSecurityContext }}",
        ),
    },
}
"""Keys whose children are data, not chart options (pin -> key -> the template line that uses it)."""

EXPLICIT_CPU_LIMITS: dict[str, set[str]] = {
    # Valkey runs its commands on one thread: a limit of one core costs it nothing and keeps a
    # runaway client from starving the gateway's other pods (infra/workloads/ratelimit.py).
    "VALKEY": {"resources.limits.cpu"},
}
"""CPU limits a release means to keep (pin -> dotted paths in the merged values). None: add-ons get
memory limits only (infra/workloads/operations/cluster.py NO_CPU_LIMIT)."""


def pin_of(release: PlanResource) -> str:
    props = release.props
    found = [name for name, chart in PINNED_CHARTS.items()
             if chart.chart == props["chart"] and chart.version == props["version"]]
    assert len(found) == 1, f"{release.name}: {props['chart']} {props['version']} is not one pinned chart"
    return found[0]


def releases(plans: dict[str, Plan]) -> list[tuple[str, PlanResource]]:
    return [(stack, r) for stack, plan in plans.items() for r in plan.of_type(RELEASE)]


def allowed_keys(pin: str) -> frozenset[str]:
    return frozenset(FREE_FORM_MAPS.get(pin, {}))


def test_every_pinned_chart_is_released_somewhere(render_plans: dict[str, Plan]) -> None:
    assert {pin_of(r) for _, r in releases(render_plans)} == set(PINNED_CHARTS)


def test_every_key_the_program_sets_exists_in_the_chart(render_plans: dict[str, Plan]) -> None:
    unknown = []
    for stack, release in releases(render_plans):
        pin = pin_of(release)
        chart = chartvalues.chart_for_pin(pin)
        values = release.props.get("values") or {}
        unknown += [f"{stack} {release.name}: {key}" for key in chartvalues.unknown_keys(values, chart, allowed_keys(pin))]
    assert unknown == []


def test_merged_values_satisfy_the_charts_schemas(render_plans: dict[str, Plan]) -> None:
    checked = set()
    errors = []
    for stack, release in releases(render_plans):
        chart = chartvalues.chart_for_pin(pin_of(release))
        if chart.schema is not None:
            checked.add(pin_of(release))
        errors += [f"{stack} {release.name}: {e}" for e in chartvalues.schema_errors(release.props.get("values") or {}, chart)]
    assert errors == []
    assert checked == {"CERT_MANAGER", "POLICY_CONTROLLER", "VALKEY"}  # the pinned charts that ship values.schema.json


def test_free_form_exceptions_cite_a_template_that_passes_the_map_through() -> None:
    for pin, keys in FREE_FORM_MAPS.items():
        folder = chartvalues.chart_for_pin(pin).folder
        for key, (template, line) in keys.items():
            text = (folder / template).read_text(encoding="utf-8")
            following = text.split(line, 1)[1].splitlines()[1:3] if line in text else []
            assert line in text and any("toYaml" in f for f in [line, *following]), (pin, key)


def test_unknown_keys_and_schema_violations_are_found() -> None:
    dcgm = chartvalues.chart_for_pin("DCGM_EXPORTER")
    assert chartvalues.unknown_keys({**dcgm_exporter_values(), "mapPodsMetrics": True}, dcgm) == ["mapPodsMetrics"]
    keda = chartvalues.chart_for_pin("KEDA")
    typo = {"resources": {"operater": {"limits": {"memory": "512Mi"}}}}
    assert chartvalues.unknown_keys(typo, keda) == ["resources.operater"]
    assert chartvalues.unknown_keys({"nodeSelector": {"role": "system"}}, chartvalues.chart_for_pin("KARPENTER")) == [
        "nodeSelector.role"]  # what the reasoned exception is for
    kps = chartvalues.chart_for_pin("KUBE_PROMETHEUS_STACK")
    assert chartvalues.unknown_keys({"grafana": {"sidecar": {"dashboards": {"labelValue": "1"}}}}, kps) == []
    assert chartvalues.unknown_keys({"grafana": {"sidecar": {"dashbaords": {}}}}, kps) == ["grafana.sidecar.dashbaords"]
    cert_manager = chartvalues.chart_for_pin("CERT_MANAGER")
    assert chartvalues.schema_errors({"replicaCount": "two"}, cert_manager) == ["replicaCount: 'two' is not of type 'number'"]


def test_dcgm_exporter_maps_gpus_to_pods_without_a_value() -> None:
    """mapPodsMetrics is gone from the chart (NVIDIA/dcgm-exporter#153, 2023): the DaemonSet always
    runs the exporter in Kubernetes mode (pod, namespace and container labels from the kubelet's
    pod-resources socket), so the program sets nothing for it."""
    template = (VENDOR / "charts/dcgm-exporter/templates/daemonset.yaml").read_text(encoding="utf-8").splitlines()
    at = next(i for i, line in enumerate(template) if line.strip() == '- name: "DCGM_EXPORTER_KUBERNETES"')
    assert template[at - 1].strip() == "env:" and template[at + 1].strip() == 'value: "true"'  # no {{ if }} around it
    assert "mapPodsMetrics" not in dcgm_exporter_values()
    assert "mapPodsMetrics" not in chartvalues.chart_for_pin("DCGM_EXPORTER").defaults


def test_no_chart_cpu_limit_survives_the_merge(render_plans: dict[str, Plan]) -> None:
    found = {}
    for stack, release in releases(render_plans):
        pin = pin_of(release)
        merged = chartvalues.effective_values(release.props.get("values") or {}, chartvalues.chart_for_pin(pin))
        limits = set(chartvalues.cpu_limits(merged))
        if limits != EXPLICIT_CPU_LIMITS.get(pin, set()):
            found[f"{stack} {release.name}"] = sorted(limits)
    assert found == {}


def _without_nulls(values: Any) -> Any:
    if isinstance(values, dict):
        return {k: _without_nulls(v) for k, v in values.items() if v is not None}
    return values


@pytest.mark.parametrize(("pin", "values", "expected"), [
    ("KEDA", keda_values(), ["resources.operator.limits.cpu", "resources.metricServer.limits.cpu",
                             "resources.webhooks.limits.cpu"]),
    ("DCGM_EXPORTER", dcgm_exporter_values(), ["resources.limits.cpu"]),
])
def test_leaving_cpu_out_would_keep_the_charts_cpu_limit(pin: str, values: dict[str, Any], expected: list[str]) -> None:
    chart = chartvalues.chart_for_pin(pin)
    assert chartvalues.cpu_limits(chartvalues.effective_values(_without_nulls(values), chart)) == expected
    merged = chartvalues.effective_values(values, chart)
    assert chartvalues.cpu_limits(merged) == []
    memory_limits = [v["limits"] for v in ([merged["resources"]] if pin == "DCGM_EXPORTER"
                                           else merged["resources"].values())]
    assert memory_limits and all(limit == {"memory": "512Mi"} for limit in memory_limits)


def test_the_pinned_provider_passes_nulls_to_helm(render_plans: dict[str, Plan]) -> None:
    """The deletions above only work if the null reaches Helm: it is in the registered request
    (the Plan records it) and pulumi-kubernetes keeps nulls in Release values since 4.30.0
    (pulumi/pulumi-kubernetes#4293: "Don't skip nulls when unmarshaling")."""
    pins = dict(line.split("==") for line in (ROOT / "requirements/main.txt").read_text().splitlines()
                if "==" in line and not line.startswith("#"))
    assert tuple(int(p) for p in pins["pulumi-kubernetes"].split(".")[:2]) >= (4, 30)
    keda = next(r for r in render_plans["prod"].of_type(RELEASE) if pin_of(r) == "KEDA")
    assert keda.props["values"]["resources"]["operator"]["limits"] == {"cpu": None, "memory": "512Mi"}
