"""PlacementOperations: scrape, SLO rules, dashboard and autoscaler of one model placement.

Created at the end of ``ModelPlacement.__init__``; everything lands in the model's namespace
(the GMP rule object is cluster-scoped). The server it watches is described by a
:class:`ServerRef`, read from the placement component's attributes when the serving layer
exposes them, else derived from the same naming and label helpers the serving layer uses.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pulumi
import pulumi_kubernetes as k8s

from infra import naming
from infra.workloads import meta
from infra.workloads.meta import OWNERSHIP_LABELS
from infra.workloads.operations import alerts, autoscaling, dashboards
from infra.workloads.operations.cluster import OPERATIONS_KEY, MetricsPlumbing, create_cloud_dashboard, metrics_plumbing
from infra.workloads.operations.prices import replica_cost
from infra.workloads.server import ROLE_LABEL
from infra.workloads.sizing import ServerShape, server_shape

if TYPE_CHECKING:
    from infra.workloads.placement import PlacementArgs

METRICS_PATH = "/metrics"
SCRAPE_INTERVAL = "15s"
LWS_API_VERSION = "leaderworkerset.x-k8s.io/v1"


@dataclass(frozen=True)
class ServerRef:
    """The model server workload of a placement, as operations needs it."""

    name: str
    """Deployment / LeaderWorkerSet name; its pods are named ``<name>-...``."""
    namespace: str
    selector: dict[str, str]
    """Labels every server pod carries (the workload's selector)."""
    port: int = naming.SERVER_PORT
    kind: str = "Deployment"
    api_version: str = "apps/v1"
    gpus_per_replica: int = 1
    metrics_path: str = METRICS_PATH
    api_routes: tuple[str, ...] = ()
    """HTTPRoutes that carry the model's API traffic; their Envoy clusters feed the availability
    SLI and the wake-up trigger. Not the health route: Route 53 probes it around the clock."""
    depends_on: list[pulumi.Resource] = field(default_factory=list)
    """What the autoscaler waits for: the workload it scales."""
    namespace_resource: pulumi.Resource | None = None
    """The Namespace object the server lives in, when the program creates it: every object of
    this component names it in ``depends_on`` (a component's own ``depends_on`` is not sent
    with its children's registrations, so the engine would not order them after it)."""

    @classmethod
    def for_placement(cls, component: Any, args: PlacementArgs) -> ServerRef:
        """From the ModelPlacement component's attributes (``labels``, ``service_port``,
        ``metrics_path``, ``shape``, ``workload``, ``workload_kind``, ``workload_api_version``);
        where one is missing (``component=None``), from the serving layer's own helpers."""
        model = args.model
        shape = getattr(component, "shape", None) or _shape(args)
        workload = getattr(component, "workload", None)
        return cls(
            name=getattr(component, "service_name", None) or naming.server_name(model.name),
            namespace=getattr(component, "namespace_name", None) or naming.namespace(model.name),
            selector=dict(getattr(component, "labels", None) or meta.selector_labels(model.name, meta.SERVER)),
            port=getattr(component, "service_port", None) or naming.SERVER_PORT,
            metrics_path=getattr(component, "metrics_path", None) or METRICS_PATH,
            kind=getattr(component, "workload_kind", None) or ("LeaderWorkerSet" if shape.multi_node else "Deployment"),
            api_version=getattr(component, "workload_api_version", None)
            or (LWS_API_VERSION if shape.multi_node else "apps/v1"),
            gpus_per_replica=shape.gpus,
            api_routes=api_route_names(model.name),
            depends_on=[workload] if isinstance(workload, pulumi.Resource) else [],
            namespace_resource=_resource_or_none(getattr(component, "namespace", None)),
        )


def _resource_or_none(value: Any) -> pulumi.Resource | None:
    return value if isinstance(value, pulumi.Resource) else None


def api_route_names(model: str) -> tuple[str, ...]:
    """The serving layer's API HTTPRoutes of a model (infra/workloads/routes.py): ``<model>``
    (``/v1`` on dedicated hostnames) and ``<model>-prefixed`` (``/<model>/v1`` on shared ones)."""
    return (model, f"{model}-prefixed")


def _shape(args: PlacementArgs) -> ServerShape:
    pool = args.cluster.pools[args.placement.pool]
    return server_shape(args.model, args.placement, pool, args.cluster.kind)


def rule_scope(args: PlacementArgs, server: ServerRef) -> alerts.PlacementRuleScope:
    target = args.cluster.target
    pool = next(p for p in target.gpu_pools if p.name == args.placement.pool)
    cost = replica_cost(target, pool, server.gpus_per_replica)
    index = next(i for i, m in enumerate(args.cluster.stack.models) if m.name == args.model.name)
    return alerts.PlacementRuleScope(
        model=args.model.name,
        target=target.name,
        namespace=server.namespace,
        server=server.name,
        api_routes=server.api_routes or api_route_names(args.model.name),
        workload_kind=server.kind,
        slo=args.model.slo,
        min_replicas=args.placement.replicas.min,
        queue_depth_per_replica=args.model.autoscaling.queue_depth_per_replica,
        replica_usd_per_hour=cost.usd_per_hour if cost else None,
        config_path=f"models[{index}].slo",
    )


def dashboard_scope(args: PlacementArgs, server: ServerRef) -> dashboards.DashboardScope:
    target = args.cluster.target
    pool = next(p for p in target.gpu_pools if p.name == args.placement.pool)
    cost = replica_cost(target, pool, server.gpus_per_replica)
    return dashboards.DashboardScope(
        model=args.model.name,
        target=target.name,
        namespace=server.namespace,
        server=server.name,
        api_routes=server.api_routes or api_route_names(args.model.name),
        ttft_target_s=args.model.slo.ttft_p95_ms / 1000,
        itl_target_s=args.model.slo.itl_p95_ms / 1000,
        min_replicas=args.placement.replicas.min,
        max_replicas=args.placement.replicas.max,
        cost_basis=f"{cost.usd_per_hour} USD per replica-hour ({cost.basis})" if cost else None,
    )


def scaling_target(server: ServerRef, plumbing: MetricsPlumbing) -> autoscaling.ScalingTarget:
    return autoscaling.ScalingTarget(
        name=server.name,
        namespace=server.namespace,
        api_routes=server.api_routes,
        kind=server.kind,
        api_version=server.api_version,
        server_address=plumbing.prometheus_url,
        extra_matchers=plumbing.query_matchers,
        authentication=plumbing.trigger_authentication,
    )


class PlacementOperations(pulumi.ComponentResource):
    """Monitoring, alerting and autoscaling of one model on one cluster."""

    server: ServerRef
    rule_groups: list[dict[str, Any]]
    scaled_object: k8s.apiextensions.CustomResource

    def __init__(
        self,
        name: str,
        args: PlacementArgs,
        server: ServerRef | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("llm-fleet:operations:PlacementOperations", name, None, opts)
        self._name = name
        self._args = args
        server = server or ServerRef.for_placement(None, args)
        if not server.api_routes:
            server = dataclasses.replace(server, api_routes=api_route_names(args.model.name))
        self.server = server
        self._plumbing = metrics_plumbing(args.cluster)
        cluster_ops = args.cluster.extra.get(OPERATIONS_KEY)
        self._gcp_provider = getattr(getattr(cluster_ops, "_args", None), "gcp_provider", None)
        self._cluster_deps: list[pulumi.Resource] = list(getattr(cluster_ops, "dependencies", []))
        self._create_scrape()
        self._create_rules()
        self._create_dashboard()
        self._create_autoscaler()
        self.register_outputs({"rules": [g["name"] for g in self.rule_groups]})

    def _opts(self, *extra: pulumi.Resource) -> pulumi.ResourceOptions:
        """Custom resources wait for the operators that install their CRDs (cluster
        operations) and for the namespace they live in."""
        return self._namespaced_opts(*self._cluster_deps, *extra)

    def _namespaced_opts(self, *extra: pulumi.Resource) -> pulumi.ResourceOptions:
        namespace = [self.server.namespace_resource] if self.server.namespace_resource is not None else []
        return pulumi.ResourceOptions(
            parent=self, provider=self._args.cluster.provider, depends_on=[*namespace, *extra]
        )

    def _metadata(self, name: str, namespaced: bool = True, **more: Any) -> dict[str, Any]:
        meta: dict[str, Any] = {
            "name": name,
            "labels": {
                **OWNERSHIP_LABELS,
                "llm-fleet.dev/model": self._args.model.name,
                "llm-fleet.dev/target": self._args.cluster.name,
                **more.pop("labels", {}),
            },
            **more,
        }
        if namespaced:
            meta["namespace"] = self.server.namespace
        return meta

    # -- scrape ------------------------------------------------------------------------------
    def _create_scrape(self) -> None:
        server = self.server
        if self._plumbing.backend == "gmp":
            k8s.apiextensions.CustomResource(
                f"{self._name}-pod-monitoring",
                api_version="monitoring.googleapis.com/v1",
                kind="PodMonitoring",
                metadata=self._metadata(server.name),
                spec={
                    "selector": _serving_pods(server),
                    "endpoints": [{"port": server.port, "path": server.metrics_path, "interval": SCRAPE_INTERVAL}],
                },
                opts=self._opts(),
            )
        else:
            k8s.apiextensions.CustomResource(
                f"{self._name}-pod-monitor",
                api_version="monitoring.coreos.com/v1",
                kind="PodMonitor",
                metadata=self._metadata(server.name),
                spec={
                    "selector": _serving_pods(server),
                    "podMetricsEndpoints": [
                        {"portNumber": server.port, "path": server.metrics_path, "interval": SCRAPE_INTERVAL}
                    ],
                },
                opts=self._opts(),
            )

    # -- rules -------------------------------------------------------------------------------
    def _create_rules(self) -> None:
        self.rule_groups = alerts.placement_rule_groups(rule_scope(self._args, self.server))
        api_version, kind = self._plumbing.rules_kind
        namespaced = kind != "ClusterRules"
        name = f"llm-fleet-{self._args.model.name}" if namespaced else f"llm-fleet-{self._args.model.name}-slo"
        k8s.apiextensions.CustomResource(
            f"{self._name}-rules",
            api_version=api_version,
            kind=kind,
            metadata=self._metadata(name, namespaced=namespaced),
            spec={"groups": self.rule_groups},
            opts=self._opts(),
        )

    # -- dashboard -----------------------------------------------------------------------------
    def _create_dashboard(self) -> None:
        board = dashboards.placement_dashboard(dashboard_scope(self._args, self.server))
        if self._plumbing.backend == "gmp":
            create_cloud_dashboard(f"{self._name}-dashboard", board, self._args.cluster, self._gcp_provider, self)
            return
        k8s.core.v1.ConfigMap(
            f"{self._name}-dashboard",
            metadata=self._metadata(
                f"{self.server.name}-dashboard",
                labels=dict(dashboards.DASHBOARD_LABEL),
                annotations={dashboards.FOLDER_ANNOTATION: dashboards.FOLDER},
            ),
            data=dashboards.dashboard_configmap_data(board),
            opts=self._namespaced_opts(),
        )

    # -- autoscaling -----------------------------------------------------------------------------
    def _create_autoscaler(self) -> None:
        spec = autoscaling.scaled_object_spec(
            scaling_target(self.server, self._plumbing), self._args.placement.replicas, self._args.model.autoscaling
        )
        self.scaled_object = k8s.apiextensions.CustomResource(
            f"{self._name}-scaler",
            api_version="keda.sh/v1alpha1",
            kind="ScaledObject",
            metadata=self._metadata(self.server.name),
            spec=spec,
            opts=self._opts(*self.server.depends_on),
        )


def _serving_pods(server: ServerRef) -> dict[str, Any]:
    """The server pods that answer on the metrics port: a group's Ray workers do not run vLLM."""
    return {
        "matchLabels": dict(server.selector),
        "matchExpressions": [{"key": ROLE_LABEL, "operator": "NotIn", "values": ["worker"]}],
    }
