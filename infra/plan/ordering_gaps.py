"""Ordering gaps of a Plan: Kubernetes objects the engine could create before what they need.

Three invariants, over every Kubernetes object of the Plan however it got there:

* namespace: a namespaced object (a Helm release: its ``namespace``) depends on the
  Namespace the program creates for it; objects in a system namespace are exempt, and a
  namespace that is neither created nor a system one is a gap of its own;
* crd: a custom resource depends on what installs its CRD (crd_installers.CRD_INSTALLERS);
* chart-crs: a Helm release whose values make it render (or watch) another API group's
  custom resources depends on what installs that group's CRDs.

"Depends" is transitive, read from the Plan's ``dependencies`` (ordering.CreationOrder).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from infra.plan.crd_installers import CRD_INSTALLERS, HelmInstaller, Installer, ProgramCrd, chart_name, needed_groups
from infra.plan.model import Plan, PlanResource
from infra.plan.ordering import CreationOrder

HELM_RELEASE = "kubernetes:helm.sh/v3:Release"
NAMESPACE = "kubernetes:core/v1:Namespace"

SYSTEM_NAMESPACES = frozenset(
    {"default", "kube-system", "kube-public", "kube-node-lease", "gke-gmp-system", "gmp-public"}
)
"""Namespaces every cluster (or GKE) creates itself: nothing in the program orders them."""

BUILTIN_GROUPS = frozenset(
    {
        "",
        "admissionregistration.k8s.io",
        "apiextensions.k8s.io",
        "apps",
        "autoscaling",
        "batch",
        "certificates.k8s.io",
        "coordination.k8s.io",
        "discovery.k8s.io",
        "events.k8s.io",
        "flowcontrol.apiserver.k8s.io",
        "networking.k8s.io",
        "node.k8s.io",
        "policy",
        "rbac.authorization.k8s.io",
        "resource.k8s.io",
        "scheduling.k8s.io",
        "storage.k8s.io",
    }
)
"""API groups the API server serves without a CRD (core is "")."""

CLUSTER_SCOPED_KINDS = frozenset(
    {
        # Built-in kinds (`kubectl api-resources --namespaced=false`).
        ("", "Namespace"),
        ("", "Node"),
        ("", "PersistentVolume"),
        ("admissionregistration.k8s.io", "MutatingWebhookConfiguration"),
        ("admissionregistration.k8s.io", "ValidatingWebhookConfiguration"),
        ("admissionregistration.k8s.io", "ValidatingAdmissionPolicy"),
        ("admissionregistration.k8s.io", "ValidatingAdmissionPolicyBinding"),
        ("admissionregistration.k8s.io", "MutatingAdmissionPolicy"),
        ("admissionregistration.k8s.io", "MutatingAdmissionPolicyBinding"),
        ("apiextensions.k8s.io", "CustomResourceDefinition"),
        ("certificates.k8s.io", "CertificateSigningRequest"),
        ("certificates.k8s.io", "ClusterTrustBundle"),
        ("flowcontrol.apiserver.k8s.io", "FlowSchema"),
        ("flowcontrol.apiserver.k8s.io", "PriorityLevelConfiguration"),
        ("networking.k8s.io", "IngressClass"),
        ("networking.k8s.io", "IPAddress"),
        ("networking.k8s.io", "ServiceCIDR"),
        ("node.k8s.io", "RuntimeClass"),
        ("rbac.authorization.k8s.io", "ClusterRole"),
        ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
        ("resource.k8s.io", "DeviceClass"),
        ("resource.k8s.io", "ResourceSlice"),
        ("scheduling.k8s.io", "PriorityClass"),
        ("storage.k8s.io", "CSIDriver"),
        ("storage.k8s.io", "CSINode"),
        ("storage.k8s.io", "StorageClass"),
        ("storage.k8s.io", "VolumeAttachment"),
        ("storage.k8s.io", "VolumeAttributesClass"),
        # Custom resources whose CRD says `scope: Cluster`.
        ("gateway.networking.k8s.io", "GatewayClass"),
        ("gateway.networking.x-k8s.io", "XMesh"),
        ("elbv2.k8s.aws", "IngressClassParams"),
        ("cert-manager.io", "ClusterIssuer"),
        ("keda.sh", "ClusterTriggerAuthentication"),
        ("karpenter.sh", "NodePool"),
        ("karpenter.k8s.aws", "EC2NodeClass"),
        ("monitoring.googleapis.com", "ClusterPodMonitoring"),
        ("monitoring.googleapis.com", "ClusterRules"),
        ("policy.sigstore.dev", "ClusterImagePolicy"),
    }
)
"""Kinds that live outside namespaces (CRDs: their ``spec.scope: Cluster``, checked against
vendor/crds by tests/plan/test_ordering.py)."""


CRD_TYPE = "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition"


@dataclass(frozen=True, order=True)
class Gap:
    urn: str
    rule: str
    message: str

    def __str__(self) -> str:
        return f"[{self.rule}] {self.urn}: {self.message}"


def kind_of(resource: PlanResource) -> tuple[str, str]:
    """(API group, kind) of a Kubernetes object, from ``kubernetes:<group>/<version>:<Kind>``."""
    module, kind = resource.type.removeprefix("kubernetes:").rsplit(":", 1)
    group = module.rsplit("/", 1)[0]
    return ("" if group == "core" else group), kind


def namespace_of(resource: PlanResource) -> str | None:
    if resource.type == HELM_RELEASE:
        return resource.props.get("namespace")
    metadata = resource.props.get("metadata") or {}
    return metadata.get("namespace") if isinstance(metadata, dict) else None


def _lookup(props: dict[str, Any], dotted: str) -> Any:
    value: Any = props
    for key in dotted.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


class OrderingCheck:
    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.order = CreationOrder(plan)
        self.objects = [r for r in plan.resources if r.custom and r.type.startswith("kubernetes:")]
        self.namespaces = {(r.provider, r.props["metadata"]["name"]): r for r in self.objects if r.type == NAMESPACE}
        self.releases = [r for r in self.objects if r.type == HELM_RELEASE]

    def gaps(self) -> list[Gap]:
        found: list[Gap] = []
        for resource in self.objects:
            if resource.type == NAMESPACE:
                continue
            found += self._namespace_gaps(resource)
            if resource.type == HELM_RELEASE:
                found += self._chart_cr_gaps(resource)
            else:
                found += self._crd_gaps(resource)
        return sorted(found)

    def _depends_on(self, resource: PlanResource, other: PlanResource) -> bool:
        return other.urn in self.order.before(resource.urn)

    def _namespace_gaps(self, resource: PlanResource) -> list[Gap]:
        namespace = namespace_of(resource)
        if namespace is None:
            if resource.type == HELM_RELEASE or kind_of(resource) in CLUSTER_SCOPED_KINDS:
                return []
            return [Gap(resource.urn, "namespace", "a namespaced kind without metadata.namespace")]
        if namespace in SYSTEM_NAMESPACES:
            return []
        created = self.namespaces.get((resource.provider, namespace))
        if created is None:
            if resource.type == HELM_RELEASE and resource.props.get("createNamespace"):
                return []
            return [Gap(resource.urn, "namespace", f"namespace '{namespace}' is neither created here nor a system one")]
        if not self._depends_on(resource, created):
            return [Gap(resource.urn, "namespace", f"does not depend on Namespace '{namespace}' ({created.urn})")]
        return []

    def _crd_gaps(self, resource: PlanResource) -> list[Gap]:
        group, kind = kind_of(resource)
        if group in BUILTIN_GROUPS:
            return []
        return self._installer_gaps(resource, group, f"{kind}.{group}", "crd")

    def _chart_cr_gaps(self, release: PlanResource) -> list[Gap]:
        found = []
        chart = str(release.props.get("chart", ""))
        for switch, group in needed_groups(chart, release.props.get("values") or {}).items():
            installer = CRD_INSTALLERS.get(group)
            if isinstance(installer, HelmInstaller) and installer.chart_name == chart_name(chart):
                continue  # the chart's own CRDs
            found += self._installer_gaps(release, group, f"{group} (values {switch})", "chart-crs")
        return found

    def _installer_gaps(self, resource: PlanResource, group: str, what: str, rule: str) -> list[Gap]:
        installer = CRD_INSTALLERS.get(group)
        if installer is None:
            return [Gap(resource.urn, rule, f"no installer known for API group '{group}' (crd_installers.py)")]
        candidates = self._installers(resource, installer)
        if not candidates:
            return [Gap(resource.urn, rule, f"{what} needs {installer.describe()}, which this cluster does not have")]
        if not any(self._depends_on(resource, c) for c in candidates):
            names = ", ".join(c.urn for c in candidates)
            return [Gap(resource.urn, rule, f"{what} does not depend on {installer.describe()} ({names})")]
        return []

    def _installers(self, resource: PlanResource, installer: Installer) -> list[PlanResource]:
        if isinstance(installer, ProgramCrd):
            return [
                r
                for r in self.plan.of_type(CRD_TYPE)
                if r.provider == resource.provider and (r.props.get("metadata") or {}).get("name") == installer.name
            ]
        if isinstance(installer, HelmInstaller):
            return [
                r
                for r in self.releases
                if r.provider == resource.provider and chart_name(str(r.props.get("chart", ""))) == installer.chart_name
            ]
        target = self.plan.target_of(resource)
        return [
            r
            for r in self.plan.of_type(installer.type)
            if self.plan.target_of(r) == target and _lookup(r.props, installer.enabled_by) is True
        ]


def ordering_gaps(plan: Plan) -> list[Gap]:
    """Every ordering gap of ``plan``, sorted."""
    return OrderingCheck(plan).gaps()
