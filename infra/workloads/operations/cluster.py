"""ClusterOperations: the per-cluster monitoring and autoscaling add-ons.

Which metrics stack a cluster gets follows ``ClusterContext.metrics`` (the target decides it
from ``targets[].monitoring.stack``):

* ``prometheus-operator`` (on-prem always; AWS and GCP with ``stack: in-cluster``; AWS with
  ``stack: managed`` too, see below): kube-prometheus-stack (Prometheus with retention from
  ``monitoring.retentionDays``, Alertmanager, Grafana whose sidecar loads every ConfigMap
  labelled ``grafana_dashboard: "1"``, kube-state-metrics, node exporter). Rules are
  PrometheusRules, scrapes PodMonitors/ServiceMonitors.
  AWS ``stack: managed``: the same in-cluster Prometheus (short retention) remote-writes to the
  Amazon Managed Prometheus workspace the AWS target creates and hands over in
  ``context.extra["amp_remote_write_url"]`` (SigV4, the Prometheus service account's identity).
* ``gmp`` (GKE with ``stack: managed``): Google Managed Prometheus collects (PodMonitoring /
  ClusterPodMonitoring) and evaluates rules (ClusterRules, scoped to this cluster); the GKE
  target enables its kube-state-metrics and DCGM packages. KEDA reads the GMP query API
  with Workload Identity.

GPU metrics (DCGM exporter): a pinned Helm release on AWS; on-prem the NVIDIA GPU Operator
already runs one, so only a ServiceMonitor is added (no second exporter); GKE's managed DCGM
package on ``gmp`` clusters.

Gateway metrics: the Envoy Gateway proxies' per-route cluster counters (availability SLI and
the scale-from-zero signal), filtered to the two counter families the rules read.

Alert routing (``alerting`` in the stack config, :mod:`.alert_routing`): kube-prometheus-stack's
Alertmanager reads credentials from mounted Secrets; on ``gmp`` the managed Alertmanager's
configuration is the ``alertmanager`` Secret of ``gmp-public``. Dashboards: Grafana ConfigMaps,
or on ``gmp`` (no Grafana) Cloud Monitoring dashboards from the same panels (:mod:`.cloud_dashboards`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

import pulumi
import pulumi_kubernetes as k8s
import yaml

from infra import secrets, versions
from infra.workloads.addon_release import create_addon_release
from infra.workloads.context import GPU_TAINT, OPERATIONS_KEY, ClusterContext
from infra.workloads.meta import OWNERSHIP_LABELS
from infra.workloads.operations import alert_routing, alerts, cloud_dashboards, dashboards
from infra.workloads.operations.metrics import CLIENT_METRICS, GATEWAY_METRICS, dcgm_counters_csv
from infra.workloads.peers import POD_IDENTITY_ENDPOINTS
from infra.workloads.system_namespaces import (
    anywhere,
    api_server_egress,
    create_namespace_policies,
    create_system_namespace,
    namespace_peer,
    tcp,
)
from serving.errors import LlmFleetError

MONITORING_NAMESPACE = "monitoring"
KEDA_NAMESPACE = "keda"
PROMETHEUS_RELEASE = "kps"
"""kube-prometheus-stack release and fullnameOverride: the Prometheus Service is ``kps-prometheus``."""
PROMETHEUS_URL = f"http://{PROMETHEUS_RELEASE}-prometheus.{MONITORING_NAMESPACE}.svc:9090"

MONITORING_WEBHOOK_PORTS = (10250,)
"""prometheus-operator's admission webhook (kube-prometheus-stack default)."""
KEDA_API_PORTS = (6443, 9443)
"""KEDA's metrics API server and admission webhook, called by the API server."""
SCRAPE_PORTS = (1064, 8000, 8080, 8081, 9090, 9100, 9400, 9443, 10250, 19001)
"""Where Prometheus scrapes: Envoy AI Gateway's processor, vLLM, kube-state-metrics, Prometheus
itself, node-exporter, DCGM exporter, KEDA, kubelets, Envoy's admin/stats port."""
AI_GATEWAY_METRICS_PORT = "aigw-admin"
"""Named port of the AI Gateway processor container (1064, ``/metrics``) in each Envoy pod."""
GMP_QUERY_URL = "https://monitoring.googleapis.com/v1/projects/{project}/location/global/prometheus"
GMP_TRIGGER_AUTH = "google-managed-prometheus"
KEDA_SERVICE_ACCOUNT = "keda-operator"
GRAFANA_ADMIN_SECRET = "grafana-admin"  # noqa: S105 - a Secret's name, not a password
GMP_PUBLIC_NAMESPACE = "gmp-public"
GMP_ALERTMANAGER_SECRET = "alertmanager"  # noqa: S105 - a Secret's name, not a password
"""GMP's managed Alertmanager (gmp-system) reads its configuration from this Secret of gmp-public:
the GMP operator copies only that key into its own Secret, and points the managed rule evaluator
at the managed Alertmanager (GoogleCloudPlatform/prometheus-engine pkg/operator/operator_config.go)."""
GMP_ALERTMANAGER_KEY = "alertmanager.yaml"
ROUTING_ANNOTATION = "llm-fleet.dev/alertmanager-routing"
"""The managed Alertmanager's configuration with credentials redacted, readable in the Plan."""
DCGM_COUNTERS_CONFIGMAP = "dcgm-exporter-counters"
DCGM_COUNTERS_DIR = "/etc/dcgm-exporter/llm-fleet"
GPU_POOL_LABEL = "llm-fleet.dev/gpu-pool"
"""Node label of cloud GPU pools (infra.targets.POOL_LABEL); the DCGM exporter runs only there."""

PROMETHEUS_GIB_PER_RETENTION_DAY = 2
"""Disk estimate for one cluster's series (model servers, GPUs, kube-state, nodes) per day kept."""
PROMETHEUS_MIN_DISK_GIB = 20
MANAGED_LOCAL_RETENTION_DAYS = 1
"""With AMP, the in-cluster Prometheus keeps one day (rules, KEDA, Grafana); AMP keeps the rest."""
SCRAPE_INTERVAL = "15s"

Backend = Literal["prometheus-operator", "gmp"]


@dataclass(frozen=True)
class MetricsPlumbing:
    """How workloads on one cluster are scraped, alerted on and autoscaled (pure: from the context)."""

    backend: Backend
    prometheus_url: str
    query_matchers: tuple[tuple[str, str], ...] = ()
    """Label matchers KEDA queries need (GMP's API is project-wide: pin the cluster)."""
    trigger_authentication: dict[str, str] | None = None
    dcgm: Literal["helm", "gpu-operator", "gke-managed", "none"] = "helm"

    @property
    def rules_kind(self) -> tuple[str, str]:
        """(apiVersion, kind) of a rule object for one placement."""
        if self.backend == "gmp":
            return "monitoring.googleapis.com/v1", "ClusterRules"
        return "monitoring.coreos.com/v1", "PrometheusRule"


def metrics_plumbing(context: ClusterContext) -> MetricsPlumbing:
    target = context.target
    if context.metrics == "gmp":
        project = getattr(target, "project", None)
        if project is None:
            raise LlmFleetError(
                f"targets.{target.name}.monitoring.stack: 'managed' metrics on a {target.kind} target have no "
                "Google Managed Prometheus; use 'in-cluster'"
            )
        return MetricsPlumbing(
            backend="gmp",
            prometheus_url=GMP_QUERY_URL.format(project=project),
            # GKE labels every series with the cluster name (the GCP target names it after the target).
            query_matchers=(("cluster", target.name),),
            trigger_authentication={"kind": "ClusterTriggerAuthentication", "name": GMP_TRIGGER_AUTH},
            dcgm="gke-managed",
        )
    if target.kind == "onprem":
        dcgm: Literal["helm", "gpu-operator", "gke-managed", "none"] = "gpu-operator"
    elif target.kind == "gcp":
        dcgm = "none"  # GKE's DCGM package feeds only Google Managed Prometheus
    else:
        dcgm = "helm"
    return MetricsPlumbing(
        backend="prometheus-operator",
        prometheus_url=PROMETHEUS_URL,
        dcgm=dcgm,
    )


@dataclass(frozen=True)
class ClusterOperationsArgs:
    context: ClusterContext
    gcp_provider: pulumi.ProviderResource | None = None
    """GKE with managed metrics: the project's provider, for KEDA's read access to GMP."""
    extra_depends_on: list[pulumi.Resource] = field(default_factory=list)

    @classmethod
    def from_target(cls, component: Any) -> ClusterOperationsArgs:
        """Args from a target component (``.context``, and ``.gcp_provider`` on GCP)."""
        return cls(context=component.context, gcp_provider=getattr(component, "gcp_provider", None))


class ClusterOperations(pulumi.ComponentResource):
    """Metrics collection, GPU metrics, Grafana dashboards, GPU alerts and KEDA on one cluster."""

    plumbing: MetricsPlumbing
    monitoring_namespace: k8s.core.v1.Namespace
    keda_namespace: k8s.core.v1.Namespace
    prometheus_stack: k8s.helm.v3.Release | None
    keda: k8s.helm.v3.Release
    dependencies: list[pulumi.Resource]
    """What placement-level objects (monitors, rules, ScaledObjects) wait for: the CRDs' owners."""

    def __init__(self, name: str, args: ClusterOperationsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("llm-fleet:operations:ClusterOperations", name, None, opts)
        self._name = name
        self._args = args
        self._context = args.context
        self.plumbing = metrics_plumbing(args.context)
        self.prometheus_stack = None
        self.dependencies = []
        self._create_namespaces()
        self._create_prometheus_stack()
        self._create_gpu_metrics()
        self._create_gateway_scrape()
        self._create_keda()
        self._create_gpu_rules()
        self._create_managed_alerting()
        self._create_fleet_dashboard()
        self._create_client_dashboard()
        self._context.extra[OPERATIONS_KEY] = self
        self.register_outputs(
            {
                "backend": self.plumbing.backend,
                "prometheusUrl": self.plumbing.prometheus_url,
                "monitoringNamespace": self.monitoring_namespace.metadata.name,
            }
        )

    # -- helpers -------------------------------------------------------------------------
    def _opts(self, *depends_on: pulumi.Resource | None) -> pulumi.ResourceOptions:
        deps = [*self._context.depends_on, *self._args.extra_depends_on, *(d for d in depends_on if d is not None)]
        return pulumi.ResourceOptions(parent=self, provider=self._context.provider, depends_on=deps)

    def _labels(self) -> dict[str, str]:
        return dict(OWNERSHIP_LABELS)

    @property
    def _gmp(self) -> bool:
        return self.plumbing.backend == "gmp"

    # -- namespaces ------------------------------------------------------------------------
    def _create_namespaces(self) -> None:
        # Namespaces, default-deny NetworkPolicies and explicit allows come from the same
        # helpers as every other add-on namespace (infra/workloads/system_namespaces.py).
        monitoring_level = "restricted" if self._gmp else "privileged"
        self.monitoring_namespace = create_system_namespace(
            f"{self._name}-monitoring-ns",
            MONITORING_NAMESPACE,
            self._opts(),
            pod_security=monitoring_level,
            exception=(
                "node-exporter needs the host network, PID namespace and host paths, and the DCGM "
                "exporter SYS_ADMIN; nothing else runs in this namespace"
            ),
        )
        self.keda_namespace = create_system_namespace(f"{self._name}-keda-ns", KEDA_NAMESPACE, self._opts())
        identity = POD_IDENTITY_ENDPOINTS.get(self._context.kind, [])
        self.namespace_policies = [
            *create_namespace_policies(
                f"{self._name}-monitoring",
                MONITORING_NAMESPACE,
                self.monitoring_namespace,
                self._opts(),
                ingress=[
                    {"from": [namespace_peer(MONITORING_NAMESPACE)]},  # Grafana -> Prometheus, operator
                    {"from": anywhere(), "ports": tcp(*MONITORING_WEBHOOK_PORTS)},  # API server -> webhook
                    {"from": [namespace_peer(KEDA_NAMESPACE)], "ports": tcp(9090)},  # KEDA queries
                ],
                egress=[
                    {"to": [namespace_peer(MONITORING_NAMESPACE)]},
                    api_server_egress(),
                    # Scrape targets include host-network exporters and kubelets: by port, any address.
                    {"to": anywhere(), "ports": tcp(*SCRAPE_PORTS)},
                ],
            ),
            *create_namespace_policies(
                f"{self._name}-keda",
                KEDA_NAMESPACE,
                self.keda_namespace,
                self._opts(),
                ingress=[
                    {"from": [namespace_peer(KEDA_NAMESPACE)]},  # operator <-> metrics server (gRPC)
                    {"from": anywhere(), "ports": tcp(*KEDA_API_PORTS)},  # API server -> metrics API, webhook
                ],
                egress=[
                    {"to": [namespace_peer(KEDA_NAMESPACE)]},
                    api_server_egress(),
                    {"to": [namespace_peer(MONITORING_NAMESPACE)], "ports": tcp(9090)},
                    # Google Managed Prometheus' query API (monitoring.googleapis.com) on GKE.
                    *([{"to": anywhere(), "ports": tcp(443)}] if self._gmp else []),
                    *identity,
                ],
            ),
        ]

    # -- metrics stack ---------------------------------------------------------------------
    def _create_prometheus_stack(self) -> None:
        if self._gmp:
            return
        import pulumi_random as random

        password = random.RandomPassword(
            f"{self._name}-grafana-admin-password", length=32, special=False, opts=pulumi.ResourceOptions(parent=self)
        )
        admin = k8s.core.v1.Secret(
            f"{self._name}-grafana-admin",
            metadata={"name": GRAFANA_ADMIN_SECRET, "namespace": MONITORING_NAMESPACE, "labels": self._labels()},
            string_data={"admin-user": "admin", "admin-password": password.result},
            opts=self._opts(self.monitoring_namespace),
        )
        credentials = self._create_alert_credentials()
        self.prometheus_stack = create_addon_release(
            f"{self._name}-kube-prometheus-stack",
            versions.KUBE_PROMETHEUS_STACK,
            name=PROMETHEUS_RELEASE,
            namespace=MONITORING_NAMESPACE,
            values=prometheus_stack_values(self._context),
            opts=self._opts(self.monitoring_namespace, admin, *credentials),
            timeout=900,
        )
        self.dependencies.append(self.prometheus_stack)

    def _create_alert_credentials(self) -> list[k8s.core.v1.Secret]:
        """One Secret per receiver credential, mounted into Alertmanager (alertmanagerSpec.secrets)."""
        alerting = self._context.stack.alerting
        if alerting is None:
            return []
        return [
            k8s.core.v1.Secret(
                f"{self._name}-{credential.secret_name}",
                metadata={"name": credential.secret_name, "namespace": MONITORING_NAMESPACE, "labels": self._labels()},
                string_data={alert_routing.CREDENTIAL_KEY: secrets.resolve(credential.ref, credential.key)},
                opts=self._opts(self.monitoring_namespace),
            )
            for credential in alert_routing.credentials(alerting)
        ]

    def _create_managed_alerting(self) -> None:
        """GMP: the managed Alertmanager mounts nothing of ours, so the credentials are written into
        its configuration, which exists only inside the gmp-public Secret (a Pulumi secret)."""
        if not self._gmp:
            return
        alerting = self._context.stack.alerting
        found = alert_routing.credentials(alerting) if alerting else []
        names = [c.secret_name for c in found]
        values = [secrets.resolve(c.ref, c.key) for c in found]

        def render(resolved: list[str]) -> str:
            return yaml.safe_dump(alert_routing.alertmanager_config(alerting, dict(zip(names, resolved, strict=True))))

        document = pulumi.Output.all(*values).apply(render) if values else pulumi.Output.from_input(render([]))
        shown = alert_routing.redacted(alert_routing.alertmanager_config(alerting, dict.fromkeys(names, "[secret]")))
        k8s.core.v1.Secret(
            f"{self._name}-managed-alertmanager",
            metadata={
                "name": GMP_ALERTMANAGER_SECRET,
                "namespace": GMP_PUBLIC_NAMESPACE,
                "labels": self._labels(),
                "annotations": {ROUTING_ANNOTATION: json.dumps(shown, sort_keys=True)},
            },
            string_data={GMP_ALERTMANAGER_KEY: pulumi.Output.secret(document)},
            opts=self._opts(),
        )

    def _create_gpu_metrics(self) -> None:
        mode = self.plumbing.dcgm
        if mode == "helm":
            counters = k8s.core.v1.ConfigMap(
                f"{self._name}-dcgm-counters",
                metadata={"name": DCGM_COUNTERS_CONFIGMAP, "namespace": MONITORING_NAMESPACE, "labels": self._labels()},
                data={"counters.csv": dcgm_counters_csv()},
                opts=self._opts(self.monitoring_namespace),
            )
            create_addon_release(
                f"{self._name}-dcgm-exporter",
                versions.DCGM_EXPORTER,
                name="dcgm-exporter",
                namespace=MONITORING_NAMESPACE,
                values=dcgm_exporter_values(),
                opts=self._opts(self.monitoring_namespace, counters, self.prometheus_stack),
            )
        elif mode == "gpu-operator":
            # The GPU Operator's exporter (Service nvidia-dcgm-exporter, port gpu-metrics). Its
            # counters file is the operator's: dcgm_counters_csv() is what it should be given
            # (dcgmExporter.config.name) for the ECC alert to have data.
            k8s.apiextensions.CustomResource(
                f"{self._name}-gpu-operator-dcgm",
                api_version="monitoring.coreos.com/v1",
                kind="ServiceMonitor",
                metadata={"name": "gpu-operator-dcgm-exporter", "namespace": MONITORING_NAMESPACE, "labels": self._labels()},
                spec={
                    "namespaceSelector": {"any": True},
                    "selector": {"matchLabels": {"app": "nvidia-dcgm-exporter"}},
                    "endpoints": [{"port": "gpu-metrics", "interval": SCRAPE_INTERVAL, "honorLabels": True}],
                },
                opts=self._opts(self.prometheus_stack),
            )
        elif mode == "none":
            pulumi.log.warn(
                f"{self._context.name}: GKE with in-cluster monitoring has no DCGM exporter; GPU panels and GPU "
                "alerts stay empty (use monitoring.stack 'managed' for GKE's DCGM package)",
                resource=self,
            )

    def _create_gateway_scrape(self) -> None:
        gateway = self._context.gateway
        selector = {
            "matchLabels": {
                "app.kubernetes.io/name": "envoy",
                "gateway.envoyproxy.io/owning-gateway-name": gateway.name,
                "gateway.envoyproxy.io/owning-gateway-namespace": gateway.namespace,
            }
        }
        keep = {"action": "keep", "sourceLabels": ["__name__"], "regex": "|".join(sorted(GATEWAY_METRICS))}
        # Envoy AI Gateway's processor beside each proxy: per-client token metering.
        keep_tokens = {"action": "keep", "sourceLabels": ["__name__"], "regex": "|".join(sorted(CLIENT_METRICS))}
        if self._gmp:
            k8s.apiextensions.CustomResource(
                f"{self._name}-gateway-monitoring",
                api_version="monitoring.googleapis.com/v1",
                kind="ClusterPodMonitoring",
                metadata={"name": "llm-fleet-gateway", "labels": self._labels()},
                spec={
                    "selector": selector,
                    "endpoints": [
                        {
                            "port": "metrics",
                            "path": "/stats/prometheus",
                            "interval": SCRAPE_INTERVAL,
                            "metricRelabeling": [keep],
                        },
                        {
                            "port": AI_GATEWAY_METRICS_PORT,
                            "path": "/metrics",
                            "interval": SCRAPE_INTERVAL,
                            "metricRelabeling": [keep_tokens],
                        },
                    ],
                },
                opts=self._opts(),
            )
            return
        k8s.apiextensions.CustomResource(
            f"{self._name}-gateway-monitor",
            api_version="monitoring.coreos.com/v1",
            kind="PodMonitor",
            metadata={"name": "llm-fleet-gateway", "namespace": MONITORING_NAMESPACE, "labels": self._labels()},
            spec={
                "namespaceSelector": {"any": True},
                "selector": selector,
                "podMetricsEndpoints": [
                    {
                        "port": "metrics",
                        "path": "/stats/prometheus",
                        "interval": SCRAPE_INTERVAL,
                        "metricRelabelings": [keep],
                    },
                    {
                        "port": AI_GATEWAY_METRICS_PORT,
                        "path": "/metrics",
                        "interval": SCRAPE_INTERVAL,
                        "metricRelabelings": [keep_tokens],
                    },
                ],
            },
            opts=self._opts(self.prometheus_stack),
        )

    # -- autoscaling -----------------------------------------------------------------------
    def _create_keda(self) -> None:
        self.keda = create_addon_release(
            f"{self._name}-keda",
            versions.KEDA,
            name="keda",
            namespace=KEDA_NAMESPACE,
            values=keda_values(),
            opts=self._opts(self.keda_namespace),
        )
        self.dependencies.append(self.keda)
        if self._gmp:
            self._grant_keda_gmp_access()
            auth = k8s.apiextensions.CustomResource(
                f"{self._name}-keda-gmp-auth",
                api_version="keda.sh/v1alpha1",
                kind="ClusterTriggerAuthentication",
                metadata={"name": GMP_TRIGGER_AUTH, "labels": self._labels()},
                spec={"podIdentity": {"provider": "gcp"}},
                opts=self._opts(self.keda),
            )
            self.dependencies.append(auth)

    def _grant_keda_gmp_access(self) -> None:
        """roles/monitoring.viewer for the KEDA operator's Kubernetes service account, directly
        (Workload Identity Federation for GKE principal: no Google service account needed)."""
        import pulumi_gcp as gcp

        target = self._context.target
        project = target.project  # type: ignore[union-attr]
        invoke_opts = pulumi.InvokeOutputOptions(provider=self._args.gcp_provider) if self._args.gcp_provider else None
        number = gcp.organizations.get_project_output(project_id=project, opts=invoke_opts).number
        member = number.apply(
            lambda n: f"principal://iam.googleapis.com/projects/{n}/locations/global/workloadIdentityPools/"
            f"{project}.svc.id.goog/subject/ns/{KEDA_NAMESPACE}/sa/{KEDA_SERVICE_ACCOUNT}"
        )
        gcp.projects.IAMMember(
            f"{self._name}-keda-gmp-reader",
            project=project,
            role="roles/monitoring.viewer",
            member=member,
            opts=pulumi.ResourceOptions(parent=self, provider=self._args.gcp_provider),
        )

    # -- alerts and dashboards -------------------------------------------------------------
    def _create_gpu_rules(self) -> None:
        clients = [alerts.ClientQuota(c.name, c.tokens_per_month) for c in self._clients()]
        groups = alerts.cluster_rule_groups(self._context.name, clients)
        if self._gmp:
            k8s.apiextensions.CustomResource(
                f"{self._name}-gpu-rules",
                api_version="monitoring.googleapis.com/v1",
                kind="ClusterRules",
                metadata={"name": "llm-fleet-gpu", "labels": self._labels()},
                spec={"groups": groups},
                opts=self._opts(),
            )
            return
        k8s.apiextensions.CustomResource(
            f"{self._name}-gpu-rules",
            api_version="monitoring.coreos.com/v1",
            kind="PrometheusRule",
            metadata={"name": "llm-fleet-gpu", "namespace": MONITORING_NAMESPACE, "labels": self._labels()},
            spec={"groups": groups},
            opts=self._opts(self.prometheus_stack),
        )

    def _clients(self) -> list[Any]:
        """The stack's API clients allowed a model placed on this cluster."""
        stack = self._context.stack
        models = {m.name for m, p in stack.placements() if p.target == self._context.name}
        return [c for c in stack.clients if models.intersection(c.models)]

    def _create_client_dashboard(self) -> None:
        clients = [
            dashboards.ClientPanelScope(c.name, c.owner, c.requests_per_minute, c.tokens_per_month)
            for c in self._clients()
        ]
        if not clients:
            return
        board = dashboards.client_dashboard(self._context.name, clients)
        self._create_dashboard("client-dashboard", "llm-fleet-clients-dashboard", board)

    def _create_fleet_dashboard(self) -> None:
        board = dashboards.fleet_dashboard(self._context.name)
        self._create_dashboard("fleet-dashboard", "llm-fleet-overview-dashboard", board)

    def _create_dashboard(self, suffix: str, configmap_name: str, board: dict[str, Any]) -> None:
        """A cluster-level dashboard where this cluster's monitoring loads it: a Cloud Monitoring
        dashboard on GMP, else a ConfigMap for Grafana's dashboard sidecar."""
        if self._gmp:
            create_cloud_dashboard(f"{self._name}-{suffix}", board, self._context, self._args.gcp_provider, self)
            return
        k8s.core.v1.ConfigMap(
            f"{self._name}-{suffix}",
            metadata={
                "name": configmap_name,
                "namespace": MONITORING_NAMESPACE,
                "labels": {**self._labels(), **dashboards.DASHBOARD_LABEL},
                "annotations": {dashboards.FOLDER_ANNOTATION: dashboards.FOLDER},
            },
            data=dashboards.dashboard_configmap_data(board),
            opts=self._opts(self.monitoring_namespace),
        )

def create_cloud_dashboard(
    name: str,
    board: dict[str, Any],
    context: ClusterContext,
    gcp_provider: pulumi.ProviderResource | None,
    parent: pulumi.Resource,
) -> pulumi.CustomResource:
    """A GMP cluster's dashboard: nothing there loads Grafana ConfigMaps, so the same panels
    become a Cloud Monitoring dashboard in the target's project (cloud_dashboards.py)."""
    import pulumi_gcp as gcp

    target = context.target
    return gcp.monitoring.Dashboard(
        name,
        project=target.project,  # type: ignore[union-attr]
        dashboard_json=json.dumps(cloud_dashboards.cloud_dashboard(board, target.name), sort_keys=True),
        opts=pulumi.ResourceOptions(parent=parent, provider=gcp_provider),
    )


# ---------------------------------------------------------------------------
# Helm values (pure functions: tested directly and visible in the Plan)
# ---------------------------------------------------------------------------


def prometheus_stack_values(context: ClusterContext) -> dict[str, Any]:
    target = context.target
    managed = target.kind == "aws" and target.monitoring.stack == "managed"
    days = MANAGED_LOCAL_RETENTION_DAYS if managed else target.monitoring.retention_days
    disk_gib = max(PROMETHEUS_MIN_DISK_GIB, PROMETHEUS_GIB_PER_RETENTION_DAY * days)
    spec: dict[str, Any] = {
        "retention": f"{days}d",
        # Size-based retention below the volume size: a full disk stops Prometheus.
        "retentionSize": f"{int(disk_gib * 0.85)}GB",  # Prometheus reads GB as base-2
        "scrapeInterval": SCRAPE_INTERVAL,
        "evaluationInterval": "30s",
        # Select every PodMonitor/ServiceMonitor/PrometheusRule, not only the chart's own.
        "podMonitorSelectorNilUsesHelmValues": False,
        "serviceMonitorSelectorNilUsesHelmValues": False,
        "ruleSelectorNilUsesHelmValues": False,
        "probeSelectorNilUsesHelmValues": False,
        "externalLabels": {"cluster": target.name},
        "storageSpec": {
            "volumeClaimTemplate": {
                "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": f"{disk_gib}Gi"}}}
            }
        },
        "resources": {"requests": {"cpu": "500m", "memory": "2Gi"}, "limits": {"memory": "8Gi"}},
    }
    values: dict[str, Any] = {
        "fullnameOverride": PROMETHEUS_RELEASE,
        "crds": {"enabled": True},
        "prometheus": {"prometheusSpec": spec},
        "alertmanager": alertmanager_values(context),
        "kubeStateMetrics": {"enabled": True},
        "nodeExporter": {"enabled": True},
        "grafana": {
            "enabled": True,
            "admin": {"existingSecret": GRAFANA_ADMIN_SECRET, "userKey": "admin-user", "passwordKey": "admin-password"},
            "defaultDashboardsEnabled": True,
            "sidecar": {
                "dashboards": {
                    "enabled": True,
                    "label": next(iter(dashboards.DASHBOARD_LABEL)),
                    "labelValue": dashboards.DASHBOARD_LABEL["grafana_dashboard"],
                    "searchNamespace": "ALL",
                    "folderAnnotation": dashboards.FOLDER_ANNOTATION,
                    "provider": {"foldersFromFilesStructure": True},
                }
            },
        },
    }
    if managed:
        url = context.extra.get("amp_remote_write_url")
        if not url:
            raise LlmFleetError(
                f"targets.{target.name}.monitoring.stack: 'managed' on aws needs the Amazon Managed Prometheus "
                "workspace of the target (ClusterContext.extra['amp_remote_write_url']); the AWS target does not "
                "provide one yet: use 'in-cluster'"
            )
        spec["remoteWrite"] = [{"url": url, "sigv4": {"region": target.region}}]  # type: ignore[union-attr]
        role = context.extra.get("amp_role_arn")
        if role:
            values["prometheus"]["serviceAccount"] = {"annotations": {"eks.amazonaws.com/role-arn": role}}
    return values


NO_CPU_LIMIT: dict[str, Any] = {"cpu": None}
"""Memory limits only on add-on pods: a CPU limit throttles the exporter, KEDA's operator, metrics
server and webhooks under load (CFS quota) while requests already share the CPU. The charts set a
CPU limit by default and Helm merges values into the defaults, so ``cpu`` is set to null, which
Helm deletes from the merged values (helm.sh/docs/chart_template_guide/values_files, "Deleting a
default key"); leaving it out would keep the chart's limit. The null reaches Helm: the Python SDK
sends it in the request (the Plan records that request) and pulumi-kubernetes >= 4.30 keeps nulls
in Release values (pulumi/pulumi-kubernetes#4293; allowNullValues is no longer needed)."""


def alertmanager_values(context: ClusterContext) -> dict[str, Any]:
    """kube-prometheus-stack's Alertmanager: the generated routing, credentials read from mounted Secrets."""
    alerting = context.stack.alerting
    found = alert_routing.credentials(alerting) if alerting else []
    return {
        "enabled": True,
        "config": alert_routing.alertmanager_config(alerting),
        "alertmanagerSpec": {"secrets": [c.secret_name for c in found]},
    }


def dcgm_exporter_values() -> dict[str, Any]:
    return {
        "arguments": ["-f", f"{DCGM_COUNTERS_DIR}/counters.csv"],
        "extraConfigMapVolumes": [{"name": "llm-fleet-counters", "configMap": {"name": DCGM_COUNTERS_CONFIGMAP}}],
        "extraVolumeMounts": [{"name": "llm-fleet-counters", "mountPath": DCGM_COUNTERS_DIR, "readOnly": True}],
        # GPU series carry the pod/namespace/container holding the GPU (per-model GPU panels)
        # without a value: the chart always runs the exporter with DCGM_EXPORTER_KUBERNETES=true and
        # the kubelet's pod-resources socket (templates/daemonset.yaml). Its old mapPodsMetrics
        # key was removed from the chart in 2023 (NVIDIA/dcgm-exporter#153) and did nothing.
        "serviceMonitor": {"enabled": True, "interval": SCRAPE_INTERVAL, "honorLabels": True},
        "tolerations": [dict(GPU_TAINT)],
        "affinity": {
            "nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {
                    "nodeSelectorTerms": [{"matchExpressions": [{"key": GPU_POOL_LABEL, "operator": "Exists"}]}]
                }
            }
        },
        "resources": {"requests": {"cpu": "100m", "memory": "256Mi"}, "limits": NO_CPU_LIMIT | {"memory": "512Mi"}},
    }


def keda_values() -> dict[str, Any]:
    addon = {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": NO_CPU_LIMIT | {"memory": "512Mi"}}
    return {"resources": {"operator": addon, "metricServer": dict(addon), "webhooks": dict(addon)}}
