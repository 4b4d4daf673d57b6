"""Ordering from the Plan's dependencies: what a real engine on an empty cluster needs.

Over dev, prod and the variant stacks: every namespaced Kubernetes object depends
(transitively) on the Namespace the program creates for it, every custom resource on what
installs its CRD, and every Helm release that renders another chart's custom resources on
that chart's release. Planted gaps prove each invariant is read from the edges.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from infra.plan import Plan, PlanResource
from infra.plan.crd_installers import CRD_INSTALLERS, needed_groups
from infra.plan.ordering import CreationOrder
from infra.plan.ordering_gaps import BUILTIN_GROUPS, CLUSTER_SCOPED_KINDS, OrderingCheck, kind_of, ordering_gaps

RELEASE = "kubernetes:helm.sh/v3:Release"
ROOT = Path(__file__).resolve().parents[2]


def test_no_ordering_gaps(any_plan: Plan) -> None:
    gaps = ordering_gaps(any_plan)
    assert not gaps, "\n".join(map(str, gaps))


def test_the_check_covers_what_the_stacks_create(any_plan: Plan) -> None:
    """Not vacuous: each stack has namespaced objects in created namespaces and custom
    resources, and every custom-resource group it uses has a known installer."""
    check = OrderingCheck(any_plan)
    in_created = [r for r in check.objects if (r.provider, _namespace(r)) in check.namespaces]
    assert len(in_created) > 20
    groups = {kind_of(r)[0] for r in check.objects if r.type != RELEASE} - BUILTIN_GROUPS
    assert groups, "the stack has custom resources"
    assert groups <= set(CRD_INSTALLERS)


def test_cluster_scoped_kinds_never_carry_a_namespace(any_plan: Plan) -> None:
    for resource in OrderingCheck(any_plan).objects:
        if resource.type != RELEASE and kind_of(resource) in CLUSTER_SCOPED_KINDS:
            assert _namespace(resource) is None, resource.urn


def _namespace(resource: PlanResource) -> str | None:
    from infra.plan.ordering_gaps import namespace_of

    return namespace_of(resource)


# -- planted gaps (controls) -------------------------------------------------------------------


def _without_edges(
    plan: Plan, name: str, typ: str | None = None, keep: tuple[str, ...] = ()
) -> tuple[Plan, PlanResource]:
    """A copy of ``plan`` where resource ``name`` keeps only the dependencies named in ``keep``."""
    planted = copy.deepcopy(plan)
    [resource] = [r for r in planted.resources if r.name == name and (typ is None or r.type == typ)]
    index = planted.by_urn()
    resource.dependencies = [u for u in resource.dependencies if index[u].name in keep]
    return planted, resource


def _gaps_of(plan: Plan, resource: PlanResource) -> dict[str, str]:
    return {g.rule: g.message for g in ordering_gaps(plan) if g.urn == resource.urn}


def test_a_configmap_without_its_namespace_edge_is_a_gap(dev_plan: Plan) -> None:
    plan, dashboard = _without_edges(dev_plan, "aws-dev-llama-8b-ops-dashboard")
    gaps = ordering_gaps(plan)
    assert [(g.urn, g.rule) for g in gaps] == [(dashboard.urn, "namespace")]
    assert "does not depend on Namespace 'llm-llama-8b'" in gaps[0].message


def test_a_custom_resource_without_its_installer_is_a_gap(dev_plan: Plan) -> None:
    namespace = "aws-dev-llama-8b-ns"
    plan, monitor = _without_edges(dev_plan, "aws-dev-llama-8b-ops-pod-monitor", keep=(namespace,))
    gaps = _gaps_of(plan, monitor)
    assert set(gaps) == {"crd"}
    assert (
        "PodMonitor.monitoring.coreos.com does not depend on the Helm release of chart 'kube-prometheus-stack'"
        in gaps["crd"]
    )


def test_a_cluster_scoped_custom_resource_without_its_installer_is_a_gap(dev_plan: Plan) -> None:
    plan, pool = _without_edges(dev_plan, "aws-dev-karpenter-l4-spot-nodepool")
    assert set(_gaps_of(plan, pool)) == {"crd"}
    assert "chart 'karpenter'" in _gaps_of(plan, pool)["crd"]


def test_a_gmp_resource_without_the_managed_prometheus_cluster_is_a_gap(prod_plan: Plan) -> None:
    planted = copy.deepcopy(prod_plan)
    [cluster] = planted.of_type("gcp:container/cluster:Cluster")
    cluster.props["monitoringConfig"]["managedPrometheus"]["enabled"] = False
    gaps = [g for g in ordering_gaps(planted) if g.rule == "crd"]
    assert gaps and all("monitoring.googleapis.com" in g.message for g in gaps)
    assert all("this cluster does not have" in g.message for g in gaps)


def test_a_release_rendering_monitors_without_the_operator_is_a_gap(dev_plan: Plan) -> None:
    namespace = "aws-dev-ops-monitoring-ns"
    plan, dcgm = _without_edges(dev_plan, "aws-dev-ops-dcgm-exporter", RELEASE, keep=(namespace,))
    gaps = _gaps_of(plan, dcgm)
    assert set(gaps) == {"chart-crs"}
    assert "monitoring.coreos.com (values serviceMonitor.enabled)" in gaps["chart-crs"]
    assert "kube-prometheus-stack" in gaps["chart-crs"]


def test_a_release_without_its_namespace_is_a_gap(dev_plan: Plan) -> None:
    plan, keda = _without_edges(dev_plan, "lab-ops-keda", RELEASE)
    assert set(_gaps_of(plan, keda)) == {"namespace"}


def test_an_unknown_group_and_an_uncreated_namespace_are_gaps(dev_plan: Plan) -> None:
    planted = copy.deepcopy(dev_plan)
    [monitor] = [r for r in planted.resources if r.name == "lab-llama-8b-ops-pod-monitor"]
    monitor.type = "kubernetes:example.com/v1:Widget"
    monitor.props["metadata"]["namespace"] = "nowhere"
    gaps = _gaps_of(planted, monitor)
    assert "no installer known for API group 'example.com'" in gaps["crd"]
    assert "namespace 'nowhere' is neither created here nor a system one" in gaps["namespace"]


def test_system_namespaces_are_exempt(dev_plan: Plan) -> None:
    karpenter = next(r for r in dev_plan.of_type(RELEASE) if r.name == "aws-dev-karpenter")
    assert karpenter.props["namespace"] == "kube-system"
    assert not _gaps_of(dev_plan, karpenter)


def test_a_transitive_edge_is_enough(dev_plan: Plan) -> None:
    """The ScaledObject reaches its Namespace through the Deployment it scales."""
    plan, scaler = _without_edges(
        dev_plan, "aws-dev-llama-8b-ops-scaler", keep=("aws-dev-llama-8b-server", "aws-dev-ops-keda")
    )
    assert not _gaps_of(plan, scaler)


def test_a_dependency_on_a_component_stands_for_its_descendants(dev_plan: Plan) -> None:
    """The engine reads a component in ``dependencies`` as all of its descendants."""
    planted = copy.deepcopy(dev_plan)
    [dashboard] = [r for r in planted.resources if r.name == "aws-dev-llama-8b-ops-dashboard"]
    [placement] = [r for r in planted.resources if r.name == "aws-dev-llama-8b" and not r.custom]
    dashboard.dependencies = [placement.urn]
    assert not _gaps_of(planted, dashboard)
    # A component that does not hold the Namespace does not order the object after it.
    [gateway] = [r for r in planted.resources if r.name == "aws-dev-gateway" and not r.custom]
    dashboard.dependencies = [gateway.urn]
    assert set(_gaps_of(planted, dashboard)) == {"namespace"}
    gateway_children = {r.urn for r in planted.resources if r.parent == gateway.urn}
    assert CreationOrder(planted).direct(dashboard.urn) == {gateway.urn} | gateway_children


@pytest.mark.parametrize(
    ("chart", "values", "expected"),
    [
        ("dcgm-exporter", {"serviceMonitor": {"enabled": True}}, {"serviceMonitor.enabled": "monitoring.coreos.com"}),
        ("dcgm-exporter", {"serviceMonitor": {"enabled": False}}, {}),
        (
            "keda",
            {"prometheus": {"operator": {"podMonitor": {"enabled": True}}}},
            {"prometheus.operator.podMonitor.enabled": "monitoring.coreos.com"},
        ),
        (
            "oci://x/y/cert-manager",
            {"config": {"enableGatewayAPI": True}},
            {"config.enableGatewayAPI": "gateway.networking.k8s.io"},
        ),
        ("karpenter", {"config": {"enableGatewayAPI": True}}, {}),
    ],
)
def test_chart_switches_that_need_other_crds(chart: str, values: dict, expected: dict) -> None:
    assert needed_groups(chart, values) == expected


def test_cluster_scoped_custom_kinds_match_the_vendored_crds() -> None:
    """The scope table agrees with each vendored upstream CRD's ``spec.scope`` (vendor/crds)."""
    import yaml

    crds = [
        doc
        for path in sorted((ROOT / "vendor" / "crds").rglob("*.yaml"))
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8"))
        if isinstance(doc, dict) and doc.get("kind") == "CustomResourceDefinition"
    ]
    assert len(crds) > 20
    for crd in crds:
        spec = crd["spec"]
        key = (spec["group"], spec["names"]["kind"])
        assert (key in CLUSTER_SCOPED_KINDS) == (spec["scope"] == "Cluster"), key
    custom = {key for key in CLUSTER_SCOPED_KINDS if key[0] not in BUILTIN_GROUPS}
    vendored = {(c["spec"]["group"], c["spec"]["names"]["kind"]) for c in crds}
    assert custom <= vendored
