"""Shared network views: security-group ingress entries, GCP firewall allows, model-server
pods and Services, and the edge proxies (not a rule: modules starting with '_' are skipped)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from policy.context import PlanContext, Resource
from policy.props import as_list, get, gpu_request, is_map, number, selector_matches
from policy.rules._helpers import cidrs_open, workload_containers, workload_pods

EDGE_PORTS = frozenset({80, 443})
"""What the edge serves to the internet: HTTPS, and HTTP only to redirect to it."""
ALL_PORTS = (0, 65535)

SG = "aws:ec2/securityGroup:SecurityGroup"
DEFAULT_SG = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
SG_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
SG_INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
SG_TYPES = (SG, SG_INGRESS_RULE, SG_RULE, DEFAULT_SG)
SERVICE = "kubernetes:core/v1:Service"
EDGE_SELECTOR_KEY = "gateway.envoyproxy.io/owning-gateway-name"
"""Envoy Gateway labels the proxy pods of a Gateway with it: a Service selecting them is the edge."""


@dataclass(frozen=True)
class Ingress:
    """One ingress permission: where it is, protocol, port range and source CIDRs."""

    where: str
    protocol: str
    ports: tuple[int, int]
    cidrs: tuple[str, ...]

    @property
    def internet(self) -> str | None:
        found = cidrs_open(list(self.cidrs))
        return found[0] if found else None

    def beyond_edge(self) -> list[str]:
        """Ports of this permission other than the edge's 80/443 ('all' for all of them)."""
        low, high = self.ports
        if self.protocol in ("-1", "all") or (low, high) == ALL_PORTS:
            return ["all ports"] if self.protocol in ("-1", "all") else [f"{self.protocol} {low}-{high}"]
        if high - low > 1024:
            return [f"{self.protocol} {low}-{high}"]
        extra = [p for p in range(low, high + 1) if p not in EDGE_PORTS]
        if not extra:
            return []
        return [f"{self.protocol} {low}-{high}" if high > low else f"{self.protocol} {low}"]


def protocol_of(value: Any) -> str:
    text = str(value if value is not None else "").lower()
    return {"6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6"}.get(text, text)


def port_range(entry: Mapping[str, Any], protocol: str) -> tuple[int, int]:
    if protocol in ("-1", "all", "icmp", "icmpv6"):
        return ALL_PORTS
    low, high = number(get(entry, "fromPort")), number(get(entry, "toPort"))
    if low is None and high is None:
        return ALL_PORTS
    low = int(low if low is not None else high)  # type: ignore[arg-type]
    high = int(high if high is not None else low)
    if low < 0 or high < 0:  # -1 with protocol tcp/udp means all ports
        return ALL_PORTS
    return low, high


def sg_ingress(resource: Resource) -> Iterator[Ingress]:
    """Every ingress permission of a security group or rule resource, any of the three forms."""
    props = resource.props
    if resource.type in (SG, DEFAULT_SG):
        for index, rule in enumerate(as_list(get(props, "ingress"))):
            protocol = protocol_of(get(rule, "protocol"))
            cidrs = as_list(get(rule, "cidrBlocks")) + as_list(get(rule, "ipv6CidrBlocks"))
            yield Ingress(f"ingress[{index}]", protocol, port_range(rule, protocol), tuple(str(c) for c in cidrs))
    elif resource.type == SG_INGRESS_RULE:
        protocol = protocol_of(get(props, "ipProtocol"))
        cidrs = [c for c in (get(props, "cidrIpv4"), get(props, "cidrIpv6")) if c]
        yield Ingress("ingress", protocol, port_range(props, protocol), tuple(str(c) for c in cidrs))
    elif resource.type == SG_RULE and get(props, "type") == "ingress":
        protocol = protocol_of(get(props, "protocol"))
        cidrs = as_list(get(props, "cidrBlocks")) + as_list(get(props, "ipv6CidrBlocks"))
        yield Ingress("ingress", protocol, port_range(props, protocol), tuple(str(c) for c in cidrs))


def _overlaps(a: Ingress, b: Ingress) -> bool:
    wild = ("-1", "all")
    same_protocol = a.protocol == b.protocol or a.protocol in wild or b.protocol in wild
    return same_protocol and a.ports[0] <= b.ports[1] and b.ports[0] <= a.ports[1]


def _group_id(resource: Resource) -> str | None:
    if resource.type in (SG, DEFAULT_SG):
        return resource.urn
    value = get(resource.props, "securityGroupId")
    return str(value) if value else None


def _ingress_by_group(ctx: PlanContext) -> dict[str, list[Ingress]]:
    def build() -> dict[str, list[Ingress]]:
        out: dict[str, list[Ingress]] = {}
        for resource in ctx.of_type(*SG_TYPES):
            gid = _group_id(resource)
            if gid:
                out.setdefault(gid, []).extend(sg_ingress(resource))
        return out

    return ctx.memo("net:ingress-by-group", build)


def exposed_ingress(ctx: PlanContext, resource: Resource) -> Iterator[tuple[Ingress, str]]:
    """(permission, the internet it admits) for each ingress permission of ``resource`` that admits
    the internet, alone or together with the group's other permissions on overlapping ports
    (``0.0.0.0/1`` in one rule and ``128.0.0.0/1`` in another is the internet too)."""
    siblings = _ingress_by_group(ctx).get(_group_id(resource) or "", [])
    for ingress in sg_ingress(resource):
        if ingress.internet:
            yield ingress, ingress.internet
            continue
        if not ingress.cidrs:
            continue
        together = {c for other in siblings if _overlaps(ingress, other) for c in other.cidrs} | set(ingress.cidrs)
        internet = cidrs_open(sorted(together))
        if internet:
            yield ingress, internet[0]


def port_in(ingress: Ingress, port: int) -> bool:
    return ingress.protocol in ("-1", "all", "tcp") and ingress.ports[0] <= port <= ingress.ports[1]


# ---------------------------------------------------------------------------
# Kubernetes: model-server pods and Services, the edge
# ---------------------------------------------------------------------------


def _ns(resource: Resource) -> str:
    return str(get(resource.props, "metadata.namespace") or "default")


def model_server_pods(ctx: PlanContext) -> list[tuple[str, str, Mapping[str, Any]]]:
    """(cluster, namespace, pod labels) of every pod template that requests GPUs: the model servers."""

    def build() -> list[tuple[str, str, Mapping[str, Any]]]:
        from policy.rules._helpers import is_workload

        out = []
        for resource in ctx.resources:
            if not resource.type.startswith("kubernetes:") or not is_workload(resource):
                continue
            if not any(gpu_request(c) for _, _, _, c in workload_containers(resource, ("containers",))):
                continue
            for path, spec in workload_pods(resource):
                labels = _template_labels(resource, path)
                if any(gpu_request(c) for c in as_list(get(spec, "containers")) if is_map(c)):
                    out.append((ctx.cluster_key(resource), _ns(resource), labels))
        return out

    return ctx.memo("net:model-server-pods", build)


def _template_labels(resource: Resource, spec_path: str) -> Mapping[str, Any]:
    """Labels of the pod template whose spec is at ``spec_path`` ('spec.template.spec' -> 'spec.template')."""
    if resource.type == "kubernetes:core/v1:Pod":
        return get(resource.props, "metadata.labels") or {}
    parent = spec_path.rsplit(".spec", 1)[0] if spec_path.endswith(".spec") else spec_path
    labels = get(resource.props, f"{parent}.metadata.labels")
    return labels if is_map(labels) else {}


def selects_model_server(ctx: PlanContext, resource: Resource, selector: Any) -> bool:
    """Does a pod selector in ``resource``'s namespace (and cluster) pick a model-server pod?"""
    if not is_map(selector) and selector is not None:
        return False

    def build() -> dict[tuple[str, str], list[Mapping[str, Any]]]:
        index: dict[tuple[str, str], list[Mapping[str, Any]]] = {}
        for c, ns, labels in model_server_pods(ctx):
            index.setdefault((c, ns), []).append(labels)
        return index

    pods = ctx.memo("net:model-server-pods-by-namespace", build).get((ctx.cluster_key(resource), _ns(resource)), [])
    return any(selector_matches(selector or {}, labels) for labels in pods)


def model_server_services(ctx: PlanContext) -> set[tuple[str, str, str]]:
    """(cluster, namespace, name) of every Service whose selector picks a model-server pod."""

    def build() -> set[tuple[str, str, str]]:
        out = set()
        for service in ctx.of_type(SERVICE):
            selector = get(service.props, "spec.selector")
            if is_map(selector) and selector and selects_model_server(ctx, service, {"matchLabels": selector}):
                out.add((ctx.cluster_key(service), _ns(service), str(get(service.props, "metadata.name"))))
        return out

    return ctx.memo("net:model-server-services", build)


def is_edge_service(service: Resource) -> bool:
    """A Service in front of the Envoy Gateway proxies (the only thing the internet may reach)."""
    selector = get(service.props, "spec.selector")
    return is_map(selector) and EDGE_SELECTOR_KEY in selector
