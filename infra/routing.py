"""Hybrid routing across targets: one public hostname per model set (``config.routing``).

Each route is a ``Route`` component: one health check per endpoint target, probing
``https://<edge.domain><path>`` (the on-prem edge like the cloud ones), and one DNS record per
endpoint under ``route.hostname``. The path is ``routing[].healthCheckPath`` when the stack sets
it; otherwise each model's unauthenticated health route, ``/<model>/health`` (the serving layer
routes it on every hostname of the edge, infra/workloads/routes.py). A route carrying several
models checks each (Route 53: a CALCULATED check over one HTTPS check per model).

* ``failover``: PRIMARY / SECONDARY records; DNS answers the secondary while the primary's
  health check fails.
* ``weighted``: one record per endpoint with its weight; unhealthy endpoints drop out.

DNS service: Route 53 when the stack has an AWS target (its provider: Route 53 is global),
Cloud DNS routing policies when it has GCP but no AWS, and Route 53 through a default
us-east-1 provider when it has neither (on-prem only: the zone must still be hosted somewhere).
Route 53 records are CNAMEs to each target's edge domain, or an alias to the load balancer
where the target exposes one (``edge_alias``); Cloud DNS health checks probe IP addresses, so
its records are A records of each target's ``edge_address``.

An endpoint whose placements may scale to zero (``replicas.min == 0`` for a model of the
route) still gets its health check (visible in the console and in CloudWatch), but the check is
not attached to its record: an idle endpoint fails /health, so DNS would never send it the
traffic that wakes it (KEDA's gateway trigger) and failover to it could never happen.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import pulumi

from infra import naming
from infra.config import Route as RouteConfig
from infra.config import StackConfig
from infra.workloads.routes import HEALTH_PATH
from serving.errors import LlmFleetError

HEALTH_CHECK_PORT = 443
HEALTH_CHECK_INTERVAL_S = 30
HEALTH_CHECK_FAILURES = 3
RECORD_TTL_S = 60
"""Short TTL: clients follow a failover within a minute of the health check flipping."""
DEFAULT_ROUTE53_REGION = "us-east-1"
CLOUD_DNS_PROBE_REGIONS = ["us-central1", "us-east4", "europe-west1"]
"""Cloud DNS health checks of external endpoints need exactly three source regions."""
CLOUD_DNS_BACKUP_LOCATION = "us-central1"

DnsService = Literal["route53", "cloud-dns"]


@dataclass(frozen=True)
class RouteEndpointTarget:
    """One endpoint of a route, resolved against the stack's targets."""

    target: str
    kind: str
    domain: str
    role: str | None
    weight: int | None
    scales_to_zero: bool
    edge_address: pulumi.Input[str] | None = None
    edge_alias: Any = None
    """``{"name": ..., "zone_id": ...}`` of the target's load balancer, when it exposes one."""
    region: str | None = None


@dataclass(frozen=True)
class RouteArgs:
    route: RouteConfig
    endpoints: list[RouteEndpointTarget]
    dns: DnsService
    provider: pulumi.ProviderResource | None
    tags: dict[str, str]
    project: str | None = None
    """Cloud DNS: project that hosts ``route.dnsZone``."""


def health_paths(route: RouteConfig) -> list[str]:
    """Paths probed on every endpoint: the configured one, else ``/<model>/health`` per model."""
    if "health_check_path" in route.model_fields_set:
        return [route.health_check_path]
    return [f"/{model}{HEALTH_PATH}" for model in route.models]


def route_name(hostname: str) -> str:
    """Pulumi name of a route component, from its hostname (stable across runs)."""
    return "route-" + hostname.replace(".", "-")


class Route(pulumi.ComponentResource):
    """Health-checked DNS for one hostname across targets."""

    health_checks: dict[str, pulumi.CustomResource]
    records: dict[str, pulumi.CustomResource]

    def __init__(self, name: str, args: RouteArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("llm-fleet:routing:Route", name, None, opts)
        self._name = name
        self._args = args
        self.health_checks = {}
        self.records = {}
        if args.dns == "route53":
            self._create_route53_health_checks()
            self._create_route53_records()
        else:
            self._create_cloud_dns_health_check()
            self._create_cloud_dns_records()
        self.register_outputs(
            {
                "hostname": args.route.hostname,
                "mode": args.route.mode,
                "healthChecks": {t: hc.id for t, hc in self.health_checks.items()},
            }
        )

    def _child(self) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self, provider=self._args.provider)

    # -- Route 53 ------------------------------------------------------------------------
    def _create_route53_health_checks(self) -> None:
        import pulumi_aws as aws

        route = self._args.route
        paths = health_paths(route)
        for ep in self._args.endpoints:

            def https(name: str, path: str, ep: RouteEndpointTarget = ep) -> aws.route53.HealthCheck:
                return aws.route53.HealthCheck(
                    name,
                    type="HTTPS",
                    fqdn=ep.domain,
                    port=HEALTH_CHECK_PORT,
                    resource_path=path,
                    enable_sni=True,
                    request_interval=HEALTH_CHECK_INTERVAL_S,
                    failure_threshold=HEALTH_CHECK_FAILURES,
                    measure_latency=True,
                    tags={**self._args.tags, "Name": f"{route.hostname} via {ep.target} {path}"},
                    opts=self._child(),
                )

            if len(paths) == 1:
                self.health_checks[ep.target] = https(f"{self._name}-{ep.target}-health", paths[0])
                continue
            # Several models behind one hostname: the endpoint is healthy when all of them are.
            children = [https(f"{self._name}-{ep.target}-{m}-health", p) for m, p in zip(route.models, paths, strict=True)]
            self.health_checks[ep.target] = aws.route53.HealthCheck(
                f"{self._name}-{ep.target}-health",
                type="CALCULATED",
                child_healthchecks=[c.id for c in children],
                child_health_threshold=len(children),
                tags={**self._args.tags, "Name": f"{route.hostname} via {ep.target}"},
                opts=self._child(),
            )

    def _create_route53_records(self) -> None:
        import pulumi_aws as aws

        route = self._args.route
        invoke = pulumi.InvokeOutputOptions(parent=self, provider=self._args.provider)
        zone = aws.route53.get_zone_output(name=route.dns_zone, private_zone=False, opts=invoke)
        for ep in self._args.endpoints:
            policy: dict[str, Any]
            if route.mode == "failover":
                policy = {"failover_routing_policies": [{"type": "PRIMARY" if ep.role == "primary" else "SECONDARY"}]}
            else:
                policy = {"weighted_routing_policies": [{"weight": ep.weight}]}
            if ep.edge_alias is not None:
                target: dict[str, Any] = {
                    "type": "A",
                    "aliases": [
                        {"name": ep.edge_alias["name"], "zone_id": ep.edge_alias["zone_id"], "evaluate_target_health": True}
                    ],
                }
            else:
                target = {"type": "CNAME", "ttl": RECORD_TTL_S, "records": [ep.domain]}
            health = None if ep.scales_to_zero else self.health_checks[ep.target].id
            self.records[ep.target] = aws.route53.Record(
                f"{self._name}-{ep.target}",
                zone_id=zone.zone_id,
                name=route.hostname,
                set_identifier=ep.target,
                health_check_id=health,
                opts=self._child(),
                **target,
                **policy,
            )

    # -- Cloud DNS -----------------------------------------------------------------------
    def _create_cloud_dns_health_check(self) -> None:
        import pulumi_gcp as gcp

        route = self._args.route
        # One check per record set (Cloud DNS takes one): it probes every endpoint's IP with the
        # route's hostname, which every edge of the route serves (and holds a certificate for).
        # A multi-model route is checked on its first model.
        path = health_paths(route)[0]
        check = gcp.compute.HealthCheck(
            f"{self._name}-health",
            project=self._args.project,
            description=f"{route.hostname}{path} on every endpoint",
            check_interval_sec=HEALTH_CHECK_INTERVAL_S,
            timeout_sec=10,
            unhealthy_threshold=HEALTH_CHECK_FAILURES,
            healthy_threshold=2,
            https_health_check={
                "port": HEALTH_CHECK_PORT,
                "host": route.hostname,
                "request_path": path,
            },
            source_regions=CLOUD_DNS_PROBE_REGIONS,
            opts=self._child(),
        )
        for ep in self._args.endpoints:
            self.health_checks[ep.target] = check

    def _create_cloud_dns_records(self) -> None:
        import pulumi_gcp as gcp

        route = self._args.route
        endpoints = self._args.endpoints

        def checked(ep: RouteEndpointTarget) -> dict[str, Any]:
            return {} if ep.scales_to_zero else {"health_checked_targets": {"external_endpoints": [ep.edge_address]}}

        if route.mode == "weighted":
            policy: dict[str, Any] = {
                "wrrs": [{"weight": ep.weight, "rrdatas": [ep.edge_address], **checked(ep)} for ep in endpoints]
            }
        else:
            primary = next(ep for ep in endpoints if ep.role == "primary")
            secondary = next(ep for ep in endpoints if ep.role == "secondary")
            policy = {
                "primary_backup": {
                    "primary": {"external_endpoints": [primary.edge_address]},
                    "backup_geos": [
                        {
                            "location": secondary.region or CLOUD_DNS_BACKUP_LOCATION,
                            "rrdatas": [secondary.edge_address],
                            **checked(secondary),
                        }
                    ],
                    "trickle_ratio": 0,
                }
            }
        policy["health_check"] = self.health_checks[endpoints[0].target].id
        record = gcp.dns.RecordSet(
            self._name,
            project=self._args.project,
            managed_zone=route.dns_zone,
            name=f"{route.hostname}.",
            type="A",
            ttl=RECORD_TTL_S,
            routing_policy=policy,
            opts=self._child(),
        )
        for ep in endpoints:
            self.records[ep.target] = record


# ---------------------------------------------------------------------------
# Composition
# ---------------------------------------------------------------------------


def _dns_service(config: StackConfig, targets: dict[str, Any]) -> tuple[DnsService, Any, str | None]:
    """(service, provider, project) for the stack's routing records."""
    kinds = {t.name: t.kind for t in config.targets}
    aws_targets = [n for n, k in kinds.items() if k == "aws"]
    gcp_targets = [n for n, k in kinds.items() if k == "gcp"]
    if aws_targets:
        provider = getattr(targets.get(aws_targets[0]), "aws_provider", None)
        return "route53", provider or _default_aws_provider(), None
    if gcp_targets:
        name = gcp_targets[0]
        return "cloud-dns", getattr(targets.get(name), "gcp_provider", None), config.target(name).project  # type: ignore[union-attr]
    return "route53", _default_aws_provider(), None


def _default_aws_provider() -> pulumi.ProviderResource:
    import pulumi_aws as aws

    # No AWS target exposes a provider: Route 53 is a global service, any region works; the
    # credentials come from the environment running `pulumi up`.
    return aws.Provider("routing-aws", region=DEFAULT_ROUTE53_REGION)


def _endpoint(
    config: StackConfig, index: int, route: RouteConfig, endpoint: Any, component: Any, dns: DnsService
) -> RouteEndpointTarget:
    target = config.target(endpoint.target)
    placements = [p for m in config.models if m.name in route.models for p in m.placements if p.target == target.name]
    address = getattr(component, "edge_address", None)
    if dns == "cloud-dns" and address is None:
        raise LlmFleetError(
            f"routing[{index}].endpoints: target '{target.name}' ({target.kind}) exposes no edge IP address; "
            "Cloud DNS health checks probe IP addresses (the target must set edge_address), or add an AWS "
            "target so the route uses Route 53"
        )
    return RouteEndpointTarget(
        target=target.name,
        kind=target.kind,
        domain=target.edge.domain,
        role=endpoint.role,
        weight=endpoint.weight,
        scales_to_zero=any(p.replicas.min == 0 for p in placements),
        edge_address=address,
        edge_alias=getattr(component, "edge_alias", None) if dns == "route53" else None,
        region=getattr(target, "region", None),
    )


def build_routing(config: StackConfig, targets: dict[str, Any]) -> dict[str, Route]:
    """Health-checked failover or weighted DNS across targets, per ``config.routing``."""
    if not config.routing:
        return {}
    dns, provider, project = _dns_service(config, targets)
    tags = naming.cost_tags(config.environment, config.owner, config.cost_center)
    routes: dict[str, Route] = {}
    for index, route in enumerate(config.routing):
        endpoints = [_endpoint(config, index, route, e, targets.get(e.target), dns) for e in route.endpoints]
        name = route_name(route.hostname)
        if name in routes:
            raise LlmFleetError(f"routing[{index}].hostname: '{route.hostname}' is routed twice; one route per hostname")
        routes[name] = Route(
            name,
            RouteArgs(route=route, endpoints=endpoints, dns=dns, provider=provider, tags=tags, project=project),
        )
    return routes
