"""Which part of the fleet installs the CRD of each custom-resource API group.

A custom resource can only be created once its CRD exists, so it must depend on what
installs it: a Helm release (identified by its pinned chart) or a cloud add-on (a resource
of the cluster's own provider, enabled by a property). Sources: each chart's ``crds/``
folder or CRD templates at the version pinned in infra/versions.py.
"""

from __future__ import annotations

from dataclasses import dataclass

from infra import versions


@dataclass(frozen=True)
class HelmInstaller:
    """A Helm release of ``chart`` on the same cluster installs the CRDs."""

    chart: versions.HelmChart

    @property
    def chart_name(self) -> str:
        return chart_name(self.chart.chart)

    def describe(self) -> str:
        return f"the Helm release of chart '{self.chart_name}'"


@dataclass(frozen=True)
class CloudAddOn:
    """A resource of the cloud provider installs the CRDs when ``enabled_by`` (a dotted
    path of its props) is true."""

    type: str
    enabled_by: str
    source: str

    def describe(self) -> str:
        return f"the {self.type} with {self.enabled_by} = true"


@dataclass(frozen=True)
class ProgramCrd:
    """The program applies the CRD itself (a ``CustomResourceDefinition`` of the same cluster named
    ``name``), from a vendored upstream file."""

    name: str

    def describe(self) -> str:
        return f"the CustomResourceDefinition '{self.name}'"


Installer = HelmInstaller | CloudAddOn | ProgramCrd

GKE_MANAGED_PROMETHEUS = CloudAddOn(
    type="gcp:container/cluster:Cluster",
    enabled_by="monitoringConfig.managedPrometheus.enabled",
    source="https://cloud.google.com/stackdriver/docs/managed-prometheus/setup-managed "
    "(managed collection installs the monitoring.googleapis.com CRDs in the cluster)",
)

CRD_INSTALLERS: dict[str, Installer] = {
    # Envoy Gateway's chart carries the Gateway API bundle with its own CRDs.
    "gateway.networking.k8s.io": HelmInstaller(versions.ENVOY_GATEWAY),
    "gateway.envoyproxy.io": HelmInstaller(versions.ENVOY_GATEWAY),
    "keda.sh": HelmInstaller(versions.KEDA),
    "karpenter.sh": HelmInstaller(versions.KARPENTER),
    "karpenter.k8s.aws": HelmInstaller(versions.KARPENTER),
    # prometheus-operator's CRDs come with kube-prometheus-stack (crds.enabled).
    "monitoring.coreos.com": HelmInstaller(versions.KUBE_PROMETHEUS_STACK),
    "cert-manager.io": HelmInstaller(versions.CERT_MANAGER),
    "elbv2.k8s.aws": HelmInstaller(versions.AWS_LOAD_BALANCER_CONTROLLER),
    "leaderworkerset.x-k8s.io": HelmInstaller(versions.LEADER_WORKER_SET),
    "monitoring.googleapis.com": GKE_MANAGED_PROMETHEUS,
    "policy.sigstore.dev": HelmInstaller(versions.POLICY_CONTROLLER),
    "aigateway.envoyproxy.io": HelmInstaller(versions.AI_GATEWAY_CRDS),
    # The InferencePool CRD, applied from vendor/crds/gateway-api-inference-extension (infra/workloads/inference_extension.py).
    "inference.networking.k8s.io": ProgramCrd("inferencepools.inference.networking.k8s.io"),
}
"""API group -> what installs its CRDs."""

CHART_CR_SWITCHES: dict[str, dict[str, str]] = {
    # cert-manager's Gateway API shim watches Gateways and HTTPRoutes: their CRDs must exist
    # before its controller starts (https://cert-manager.io/docs/usage/gateway/).
    "cert-manager": {"config.enableGatewayAPI": "gateway.networking.k8s.io"},
}
"""Chart -> values switch -> API group of the custom resources (or watched kinds) the release
then needs. Every ``*Monitor``/``*Rule(s)`` ``enabled`` switch is read as
monitoring.coreos.com without being listed (see :func:`needed_groups`)."""

MONITORING_SWITCH_PARENTS = ("servicemonitor", "podmonitor", "prometheusrule", "prometheusrules")
MONITORING_GROUP = "monitoring.coreos.com"


def chart_name(chart: str) -> str:
    """``oci://registry/path/name`` or ``name`` -> ``name``."""
    return chart.rstrip("/").rsplit("/", 1)[-1]


def needed_groups(chart: str, values: dict) -> dict[str, str]:
    """The values switches of a release that make it render (or need) custom resources of
    another API group: ``{"dotted.path": group}`` for each switch set to true."""
    found: dict[str, str] = {}
    switches = CHART_CR_SWITCHES.get(chart_name(chart), {})

    def walk(value: object, path: list[str]) -> None:
        if isinstance(value, dict):
            for key, child in value.items():
                walk(child, [*path, str(key)])
            return
        if value is not True:
            return
        dotted = ".".join(path)
        if dotted in switches:
            found[dotted] = switches[dotted]
        elif len(path) >= 2 and path[-1] == "enabled" and path[-2].lower() in MONITORING_SWITCH_PARENTS:
            found[dotted] = MONITORING_GROUP

    walk(values, [])
    return found
