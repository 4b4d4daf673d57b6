"""Monthly cost of a Plan: floor, expected and ceiling, itemized with the price source.

A month is 730 hours. For every GPU pool the stack declares:

- **floor**: the pool at its minimum: ``max(nodes.min, nodes the placements' minimum replicas
  need)``;
- **expected**: the nodes that the placements need at the midpoint of their replica bounds;
- **ceiling**: the pool at its maximum: the bound the infrastructure enforces (a Karpenter
  GPU limit / GPUs per node, a node group's maxSize, a node pool's total maximum) where the
  Plan has it, else ``nodes.max``.

Spot capacity is priced at the low / middle / high end of the catalogue's spot range for
floor / expected / ceiling (at on-demand where the catalogue has no spot price). A pool with
several instance types is priced at its cheapest type for floor and expected and at its
dearest for the ceiling. On-prem pools cost the amortized purchase price of every owned node
(``nodes.max``) plus power for the running ones. Platform items (control planes, load
balancers, NAT, WAF / Cloud Armor, KMS, public IPv4 addresses, Route 53 health checks) are
priced at their fixed rates; usage-based parts (LCUs, GB processed, requests) are named but not
added. System (CPU) node groups / pools are priced at on-demand between their scaling minimum
(floor) and maximum (ceiling); Cloud NAT per VM of its target, capped at the gateway maximum. Billable resources the catalogue has
no price for are listed under ``unpriced``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from policy.capacity import placement_plan, placement_sizing, replica_bounds, traffic_share
from policy.catalog import kubernetes_support
from policy.catalog.prices import (
    HOURS_PER_MONTH,
    InstancePrice,
    catalogue,
    instance_price,
    node_price,
    platform_price,
)
from policy.context import PlanContext, Resource
from policy.props import as_list, get, quantity
from policy.showback import BASIS as SHOWBACK_BASIS
from policy.showback import ClientCost, showback
from serving.errors import LlmFleetError


@dataclass(frozen=True)
class Monthly:
    floor: float = 0.0
    expected: float = 0.0
    ceiling: float = 0.0

    def __add__(self, other: Monthly) -> Monthly:
        return Monthly(self.floor + other.floor, self.expected + other.expected, self.ceiling + other.ceiling)

    def scaled(self, share: float) -> Monthly:
        return Monthly(self.floor * share, self.expected * share, self.ceiling * share)

    def to_json(self) -> dict[str, float]:
        return {"floor": round(self.floor, 2), "expected": round(self.expected, 2), "ceiling": round(self.ceiling, 2)}


@dataclass
class CostItem:
    urn: str
    type: str
    description: str
    monthly: Monthly
    price_source: str
    target: str | None = None
    category: str | None = None
    """Report category where the resource type alone would mislead (a GKE system pool is not GPU nodes)."""

    @property
    def hourly(self) -> float:
        """Expected cost per hour."""
        return self.monthly.expected / HOURS_PER_MONTH

    def to_json(self) -> dict[str, Any]:
        return {
            "urn": self.urn,
            "type": self.type,
            "description": self.description,
            "hourly": round(self.hourly, 4),
            "monthlyFloor": round(self.monthly.floor, 2),
            "monthlyExpected": round(self.monthly.expected, 2),
            "monthlyCeiling": round(self.monthly.ceiling, 2),
            "priceSource": self.price_source,
            "target": self.target,
        } | ({"category": self.category} if self.category else {})


@dataclass
class PlacementCost:
    model: str
    target: str
    pool: str
    gpus_per_replica: int
    replica_hourly: float
    decode_tokens_per_second: float
    """Worst case: aggregate decode throughput of one replica whose streams all hold max_model_len tokens."""
    traffic: TrafficCost | None = None
    """Expected cost from the model's declared traffic (None when the placement does not fit)."""

    @property
    def usd_per_million_output_tokens(self) -> float | None:
        """Worst case: one replica fully loaded with max-length sequences."""
        if self.decode_tokens_per_second <= 0:
            return None
        return self.replica_hourly / (self.decode_tokens_per_second * 3600) * 1e6

    @property
    def expected_usd_per_million_output_tokens(self) -> float | None:
        return self.traffic.usd_per_million if self.traffic else None

    def to_json(self) -> dict[str, Any]:
        per_million = self.usd_per_million_output_tokens
        expected = self.expected_usd_per_million_output_tokens
        return {
            "model": self.model,
            "target": self.target,
            "pool": self.pool,
            "gpusPerReplica": self.gpus_per_replica,
            "replicaHourly": round(self.replica_hourly, 4),
            "decodeTokensPerSecond": round(self.decode_tokens_per_second, 1),
            "usdPerMillionOutputTokens": None if per_million is None else round(per_million, 4),
            "worstCaseUsdPerMillionOutputTokens": None if per_million is None else round(per_million, 4),
            "expectedUsdPerMillionOutputTokens": None if expected is None else round(expected, 4),
        } | ({"traffic": self.traffic.to_json()} if self.traffic else {})


@dataclass
class TrafficCost:
    """A placement sized for its share of the model's peak traffic (serving.traffic)."""

    share: float
    peak_requests_per_second: float
    prompt_tokens: int
    output_tokens: int
    shared_prefix_percent: float
    batch: int
    tpot_ms: float
    ttft_ms: float
    requests_per_second_per_replica: float
    concurrency_at_peak: float
    replicas_needed: int
    replicas_at_peak: int
    usd_per_million: float | None
    max_model_len: int

    def assumptions(self) -> str:
        return (
            f"{self.share:.0%} of the model's peak = {self.peak_requests_per_second:g} req/s of "
            f"{self.prompt_tokens:,} prompt ({self.shared_prefix_percent:g}% prefix-cached) + "
            f"{self.output_tokens:,} output tokens; a replica runs {self.batch} streams at {self.tpot_ms:.0f} ms/token "
            f"({self.requests_per_second_per_replica:.2f} req/s within the TTFT/ITL SLOs); "
            f"{self.replicas_at_peak} replica(s) at peak (needed {self.replicas_needed}, at least replicas.min); "
            f"worst case: every stream holds max_model_len {self.max_model_len:,} tokens"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "share": round(self.share, 4),
            "peakRequestsPerSecond": round(self.peak_requests_per_second, 4),
            "promptTokens": self.prompt_tokens,
            "outputTokens": self.output_tokens,
            "sharedPrefixPercent": self.shared_prefix_percent,
            "operatingBatch": self.batch,
            "tpotMs": round(self.tpot_ms, 2),
            "ttftMs": round(self.ttft_ms, 1),
            "requestsPerSecondPerReplica": round(self.requests_per_second_per_replica, 4),
            "concurrencyAtPeak": round(self.concurrency_at_peak, 2),
            "replicasNeeded": self.replicas_needed,
            "replicasAtPeak": self.replicas_at_peak,
            "assumptions": self.assumptions(),
        }


@dataclass
class CostReport:
    stack: str
    items: list[CostItem] = field(default_factory=list)
    placements: list[PlacementCost] = field(default_factory=list)
    unpriced: list[dict[str, str]] = field(default_factory=list)
    budget_usd: float | None = None
    clients: list[ClientCost] = field(default_factory=list)
    """Showback: the monthly cost split over the API clients (policy/showback.py)."""
    unallocated: Monthly = field(default_factory=Monthly)
    """The part of the cost of models no client may call."""
    nodes_by_target: dict[str, Monthly] = field(default_factory=dict, repr=False)
    """Node (VM) counts per target as floor / expected / ceiling: what Cloud NAT bills per VM."""
    nodes_by_pool: dict[str, Monthly] = field(default_factory=dict, repr=False)
    """Node counts per GPU pool ("target/pool") as priced: the floor is the larger of the pool's
    nodes.min and the nodes its placements' minimum replicas need. The report's map shows these."""

    @property
    def monthly(self) -> Monthly:
        total = Monthly()
        for item in self.items:
            total = total + item.monthly
        return total

    @property
    def by_target(self) -> dict[str, Monthly]:
        out: dict[str, Monthly] = {}
        for item in self.items:
            key = item.target or "(stack)"
            out[key] = out.get(key, Monthly()) + item.monthly
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "currency": "USD",
            "stack": self.stack,
            "hoursPerMonth": HOURS_PER_MONTH,
            "monthly": self.monthly.to_json(),
            "budget": self.budget_usd,
            "byTarget": {k: v.to_json() for k, v in sorted(self.by_target.items())},
            "items": [i.to_json() for i in self.items],
            "placements": [p.to_json() for p in self.placements],
            "unpriced": list(self.unpriced),
            "byClient": {
                c.client: {
                    "owner": c.owner,
                    "monthly": c.monthly(Monthly()).to_json(),
                    "byModel": {m: v.to_json() for m, v in sorted(c.by_model.items())},
                }
                for c in self.clients
            },
            "unallocated": self.unallocated.to_json(),
            "showbackBasis": SHOWBACK_BASIS,
        }

    def summary_line(self) -> str:
        m = self.monthly
        budget = f" of budget ${self.budget_usd:,.0f}" if self.budget_usd is not None else ""
        over = " (ceiling OVER budget)" if self.budget_usd is not None and m.ceiling > self.budget_usd else ""
        return (
            f"cost/month: floor ${m.floor:,.0f}, expected ${m.expected:,.0f}, ceiling ${m.ceiling:,.0f}{budget}{over}"
        )

    def to_text(self) -> str:
        lines = [f"llm-fleet cost: stack {self.stack} (USD per month, {HOURS_PER_MONTH} h)", ""]
        header = f"{'target':<12} {'floor':>12} {'expected':>12} {'ceiling':>12}  item"
        lines.append(header)
        for item in sorted(self.items, key=lambda i: (i.target or "", -i.monthly.ceiling)):
            m = item.monthly
            lines.append(
                f"{(item.target or '-'):<12} {m.floor:>12,.2f} {m.expected:>12,.2f} {m.ceiling:>12,.2f}  "
                f"{item.description}"
            )
            lines.append(f"{'':<12} {'':>12} {'':>12} {'':>12}    source: {item.price_source}")
        lines.append("")
        for target, m in sorted(self.by_target.items()):
            lines.append(f"{target:<12} {m.floor:>12,.2f} {m.expected:>12,.2f} {m.ceiling:>12,.2f}  (target total)")
        m = self.monthly
        lines.append(f"{'TOTAL':<12} {m.floor:>12,.2f} {m.expected:>12,.2f} {m.ceiling:>12,.2f}")
        if self.placements:
            lines += [
                "",
                "per placement: $ per 1M output tokens expected from declared traffic (worst case: max length):",
            ]
            for p in self.placements:
                per_million = p.usd_per_million_output_tokens
                expected = p.expected_usd_per_million_output_tokens
                worst = "n/a" if per_million is None else f"${per_million:,.3f}"
                lines.append(
                    f"  {p.model} on {p.target}/{p.pool}: {p.gpus_per_replica} GPU(s), ${p.replica_hourly:,.3f}/h -> "
                    f"{'n/a' if expected is None else f'${expected:,.3f}'} expected "
                    f"(worst case {worst} at {p.decode_tokens_per_second:,.0f} tok/s)"
                )
                if p.traffic is not None:
                    lines.append(f"      assumes {p.traffic.assumptions()}")
        if self.clients:
            lines += ["", f"showback per API client (estimate; {SHOWBACK_BASIS}):"]
            for c in self.clients:
                m = c.monthly(Monthly())
                models = ", ".join(f"{k} ${v.expected:,.0f}" for k, v in sorted(c.by_model.items())) or "no model"
                lines.append(
                    f"  {c.client} ({c.owner}): floor ${m.floor:,.0f}, expected ${m.expected:,.0f}, "
                    f"ceiling ${m.ceiling:,.0f} [{models}]"
                )
            u = self.unallocated
            lines.append(f"  (unallocated: models no client may call) expected ${u.expected:,.0f}")
        if self.unpriced:
            lines += ["", "not priced (usage-based or not in the catalogue):"]
            lines += [f"  {u['type']} {u['name']}: {u['reason']}" for u in self.unpriced]
        lines += ["", self.summary_line()]
        return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------
# Estimation
# ---------------------------------------------------------------------------


def estimate_cost(plan: Mapping[str, Any]) -> CostReport:
    """The monthly estimate of a Plan dict (DESIGN.md cost contract)."""
    return estimate_context(PlanContext.from_plan(plan))


def estimate_context(ctx: PlanContext) -> CostReport:
    report = CostReport(stack=ctx.stack, budget_usd=ctx.settings.budget_usd)
    priced: set[str] = set()
    _gpu_pools(ctx, report, priced)
    _unpooled_gpu_capacity(ctx, report, priced)
    _system_pools(ctx, report, priced)
    _platform(ctx, report, priced)
    _unpriced(ctx, report, priced)
    report.clients, report.unallocated = showback(
        report.monthly,
        report.placements,
        [c for c in as_list(ctx.settings.raw.get("clients")) if get(c, "name")],
        ctx.settings.models,
        Monthly(),
    )
    return report


def _target_urn(ctx: PlanContext, target: str) -> str:
    for resource in ctx.of_type("llm-fleet:aws:Target", "llm-fleet:gcp:Target", "llm-fleet:onprem:Target"):
        if resource.name == target:
            return resource.urn
    return ctx.stack_urn


def _pool_resource(ctx: PlanContext, target: str, pool: str) -> Resource | None:
    from policy.rules._helpers import EKS_NODE_GROUP, GKE_NODE_POOL, KARPENTER_NODE_POOL, pool_label

    for resource in ctx.of_type(KARPENTER_NODE_POOL, EKS_NODE_GROUP, GKE_NODE_POOL):
        if pool_label(resource) == pool and ctx.target_of(resource) in (target, None):
            return resource
    return None


def _resource_max_nodes(resource: Resource, gpus_per_node: int) -> float | None:
    from policy.rules._helpers import EKS_NODE_GROUP, KARPENTER_NODE_POOL

    props = resource.props
    if resource.type == KARPENTER_NODE_POOL:
        limit = quantity(get(props, ("spec", "limits", "nvidia.com/gpu")))
        return None if limit is None else math.floor(limit / max(gpus_per_node, 1))
    if resource.type == EKS_NODE_GROUP:
        return quantity(get(props, "scalingConfig.maxSize"))
    total = quantity(get(props, "autoscaling.totalMaxNodeCount"))
    if total is not None:
        return total
    per_zone = quantity(get(props, "autoscaling.maxNodeCount"))
    zones = len(as_list(get(props, "nodeLocations")))
    if per_zone is not None and zones:
        return per_zone * zones
    return quantity(get(props, "nodeCount"))


def _gpu_pools(ctx: PlanContext, report: CostReport, priced: set[str]) -> None:
    settings = ctx.settings
    routing = [r for r in as_list(settings.raw.get("routing")) if isinstance(r, Mapping)]
    for target in settings.targets:
        tname, kind = str(target.get("name")), str(target.get("kind"))
        for pool in settings.pools(target):
            pname = str(pool.get("name"))
            placements = [
                (m, p) for m, p in settings.placements() if p.get("target") == tname and p.get("pool") == pname
            ]
            if kind == "onprem":
                _onprem_pool(ctx, report, target, pool, placements, routing)
                continue
            rows = [
                r
                for t in as_list(pool.get("instanceTypes"))
                if (r := instance_price(kind, str(t), target.get("region")))
            ]
            if not rows:
                report.unpriced.append(
                    {
                        "urn": _target_urn(ctx, tname),
                        "type": "gpu-pool",
                        "name": f"{tname}/{pname}",
                        "reason": f"instance types {pool.get('instanceTypes')} are not in the price catalogue",
                    }
                )
                continue
            cheap = min(rows, key=lambda r: r.on_demand)
            dear = max(rows, key=lambda r: r.on_demand)
            per_node = max(r.gpus for r in rows)
            resource = _pool_resource(ctx, tname, pname)
            floor_nodes, expected_nodes, ceiling_nodes = _node_counts(pool, placements, target, per_node, resource)
            _count_nodes(report, tname, Monthly(floor_nodes, expected_nodes, ceiling_nodes))
            report.nodes_by_pool[f"{tname}/{pname}"] = Monthly(floor_nodes, expected_nodes, ceiling_nodes)
            capacity = str(pool.get("capacityType") or "on-demand")
            hourly = (cheap.hourly(capacity, "low"), cheap.hourly(capacity, "mid"), dear.hourly(capacity, "high"))
            monthly = Monthly(
                floor_nodes * hourly[0] * HOURS_PER_MONTH,
                expected_nodes * hourly[1] * HOURS_PER_MONTH,
                ceiling_nodes * hourly[2] * HOURS_PER_MONTH,
            )
            types = "/".join(sorted({r.type for r in rows}))
            description = (
                f"GPU pool {pname}: {floor_nodes}-{ceiling_nodes} x {types} {capacity} "
                f"(expected {expected_nodes}; ${hourly[1]:,.4f}/h each)"
            )
            urn = resource.urn if resource else _target_urn(ctx, tname)
            if resource:
                priced.add(resource.urn)
            sources = sorted({catalogue().cite(r.source) for r in rows})
            report.items.append(
                CostItem(
                    urn, resource.type if resource else "gpu-pool", description, monthly, "; ".join(sources), tname
                )
            )
            for model, placement in placements:
                _placement_cost(report, model, placement, target, pool, per_node, hourly[1], routing)


GKE_CLUSTER = "gcp:container/cluster:Cluster"


def _unpooled_gpu_capacity(ctx: PlanContext, report: CostReport, priced: set[str]) -> None:
    """GPU capacity no configured pool accounts for, priced at its bound (floor and expected 0:
    nothing schedules on it by design, but the ceiling is what it may cost). Karpenter NodePools
    by their nvidia.com/gpu limit, node groups and node pools by their maximum node count, GKE
    auto-provisioning by its nvidia-* resource limits. Unbounded capacity stays unpriced, with
    the reason (COST-10 reports it)."""
    from policy.rules._helpers import (
        EC2_INSTANCE,
        EKS_NODE_GROUP,
        GCE_INSTANCE,
        GPU_MACHINE_TYPES,
        KARPENTER_NODE_POOL,
        gpu_machines,
        is_gpu_capacity,
        karpenter_requirement,
    )

    for resource in ctx.of_type(KARPENTER_NODE_POOL, EKS_NODE_GROUP, "gcp:container/nodePool:NodePool"):
        if resource.urn in priced or not is_gpu_capacity(resource):
            continue
        target = ctx.target_of(resource)
        props = resource.props
        if resource.type == KARPENTER_NODE_POOL:
            cloud = "aws"
            types = karpenter_requirement(resource, "node.kubernetes.io/instance-type")
            rows = _gpu_rows(cloud, types)
            gpus = quantity(get(props, ("spec", "limits", "nvidia.com/gpu")))
            if gpus is None:
                _unbounded(report, resource, "no spec.limits['nvidia.com/gpu']: Karpenter adds GPU nodes without bound")
                continue
            if not rows:
                _unbounded(report, resource, f"instance types {types} are not in the price catalogue")
                continue
            per_gpu = max(r.hourly("on-demand") / r.gpus for r in rows)
            ceiling, what = gpus * per_gpu, f"{gpus:g} GPUs at ${per_gpu:,.4f}/GPU-h"
        else:
            cloud = "aws" if resource.type == EKS_NODE_GROUP else "gcp"
            types = (
                [str(t) for t in as_list(get(props, "instanceTypes"))]
                if cloud == "aws"
                else [str(get(props, "nodeConfig.machineType") or "")]
            )
            rows = _gpu_rows(cloud, types)
            nodes = _resource_max_nodes(resource, 1)
            if cloud == "gcp" and get(props, "autoscaling") is None and nodes is not None:
                # nodeCount is per zone: a regional pool without nodeLocations spans (at least) 3 zones.
                nodes *= len(as_list(get(props, "nodeLocations"))) or 3
            if nodes is None:
                _unbounded(report, resource, "no maximum node count: the group or pool can grow without bound")
                continue
            if not rows:
                _unbounded(
                    report, resource, f"instance types {types} (with their accelerators) are not in the price catalogue"
                )
                continue
            dear = max(rows, key=lambda r: r.on_demand)
            ceiling, what = nodes * dear.on_demand, f"up to {nodes:g} x {dear.type} at ${dear.on_demand:,.4f}/h"
        _unpooled_item(report, priced, resource, target, ceiling, what, rows)
    for resource in ctx.of_type(*GPU_MACHINE_TYPES):
        found = gpu_machines(ctx, resource)
        if found is None or resource.urn in priced:
            continue
        cloud, types, count = found
        rows = _gpu_rows(cloud, types)
        if count is None:
            _unbounded(report, resource, "no maximum size: the group can grow without bound")
        elif not rows or len(rows) < len(types):
            _unbounded(
                report, resource, f"instance types {types} (with their accelerators) are not in the price catalogue"
            )
        else:
            dear = max(rows, key=lambda r: r.on_demand)
            what = f"up to {count:g} x {dear.type} at ${dear.on_demand:,.4f}/h"
            always_on = resource.type in (EC2_INSTANCE, GCE_INSTANCE)  # a lone instance runs whether used or not
            _unpooled_item(
                report, priced, resource, ctx.target_of(resource), count * dear.on_demand, what, rows, always_on
            )
    for cluster in ctx.of_type(GKE_CLUSTER):
        if get(cluster.props, "clusterAutoscaling.enabled") is not True:
            continue
        for limit in as_list(get(cluster.props, "clusterAutoscaling.resourceLimits")):
            kind = str(get(limit, "resourceType") or "")
            if not kind.startswith("nvidia-"):
                continue
            maximum = quantity(get(limit, "maximum"))
            rows = _accelerator_rows(kind)
            if maximum is None or not rows:
                reason = "no maximum" if maximum is None else "GPU type not in the price catalogue"
                _unbounded(report, cluster, f"auto-provisioning of {kind}: {reason}")
                continue
            per_gpu = max(r.on_demand / r.gpus for r in rows)
            what = f"auto-provisioned {kind}: up to {maximum:g} GPUs at ${per_gpu:,.4f}/GPU-h"
            _unpooled_item(report, priced, cluster, ctx.target_of(cluster), maximum * per_gpu, what, rows)


def _gpu_rows(cloud: str, types: list[str] | None) -> list[InstancePrice]:
    """Catalogue rows of the listed GPU types, or every GPU type of the cloud when none is listed."""
    if types is None:
        return [r for r in catalogue().instances if r.cloud == cloud]
    return [r for t in types if (r := instance_price(cloud, t))]


def _accelerator_rows(kind: str) -> list[InstancePrice]:
    """GCP catalogue rows whose GPU is a GKE accelerator type ('nvidia-h100-80gb' -> H100-80GB)."""
    key = kind.removeprefix("nvidia-").removeprefix("tesla-").replace("-", "").upper()
    return [r for r in catalogue().instances if r.cloud == "gcp" and r.gpu.replace("-", "").upper() == key]


def _unbounded(report: CostReport, resource: Resource, reason: str) -> None:
    report.unpriced.append({"urn": resource.urn, "type": resource.type, "name": resource.name, "reason": reason})


def _unpooled_item(
    report: CostReport,
    priced: set[str],
    resource: Resource,
    target: str | None,
    ceiling_hourly: float,
    what: str,
    rows: list[InstancePrice],
    always_on: bool = False,
) -> None:
    month = ceiling_hourly * HOURS_PER_MONTH
    monthly = Monthly(month, month, month) if always_on else Monthly(0.0, 0.0, month)
    sources = "; ".join(sorted({catalogue().cite(r.source) for r in rows}))
    description = f"GPU capacity outside the configured pools {resource.name}: {what}" + (
        "" if always_on else " (ceiling only)"
    )
    report.items.append(CostItem(resource.urn, resource.type, description, monthly, sources, target))
    priced.add(resource.urn)


def _count_nodes(report: CostReport, target: str | None, nodes: Monthly) -> None:
    key = target or "(stack)"
    report.nodes_by_target[key] = report.nodes_by_target.get(key, Monthly()) + nodes


def _system_pools(ctx: PlanContext, report: CostReport, priced: set[str]) -> None:
    """EKS node groups and GKE node pools of CPU (system) types: on-demand between min and max."""
    for resource in ctx.of_type("aws:eks/nodeGroup:NodeGroup", "gcp:container/nodePool:NodePool"):
        if resource.urn in priced:
            continue
        props, target = resource.props, ctx.target_of(resource)
        region = next((t.get("region") for t in ctx.settings.targets if t.get("name") == target), None)
        if resource.type == "aws:eks/nodeGroup:NodeGroup":
            cloud, types = "aws", [str(t) for t in as_list(get(props, "instanceTypes"))]
            low = quantity(get(props, "scalingConfig.minSize")) or 0
            mid = quantity(get(props, "scalingConfig.desiredSize")) or low
            high = quantity(get(props, "scalingConfig.maxSize")) or mid
        else:
            cloud, types = "gcp", [str(get(props, "nodeConfig.machineType") or "")]
            zones = len(as_list(get(props, "nodeLocations"))) or 1
            low = quantity(get(props, "autoscaling.totalMinNodeCount"))
            if low is None:
                per_zone = quantity(get(props, "autoscaling.minNodeCount"))
                low = per_zone * zones if per_zone is not None else (quantity(get(props, "nodeCount")) or 0) * zones
            mid = low
            high = _resource_max_nodes(resource, 1) or low
        rows = [r for t in types if (r := node_price(cloud, t, region))]
        if not rows or len(rows) < len(types):
            continue  # left to _unpriced, which names the missing types
        cheap, dear = min(rows, key=lambda r: r.on_demand), max(rows, key=lambda r: r.on_demand)
        nodes = Monthly(float(low), float(mid), float(high))
        monthly = Monthly(
            nodes.floor * cheap.on_demand * HOURS_PER_MONTH,
            nodes.expected * cheap.on_demand * HOURS_PER_MONTH,
            nodes.ceiling * dear.on_demand * HOURS_PER_MONTH,
        )
        kinds = "/".join(sorted({r.type for r in rows}))
        description = (
            f"system nodes {resource.name}: {low:g}-{high:g} x {kinds} on-demand "
            f"(expected {mid:g}; ${cheap.on_demand:,.4f}/h each)"
        )
        sources = "; ".join(sorted({catalogue().cite(r.source) for r in rows}))
        report.items.append(CostItem(resource.urn, resource.type, description, monthly, sources, target, "nodes"))
        _count_nodes(report, target, nodes)
        priced.add(resource.urn)


def _gpus_per_replica(
    model: Mapping[str, Any], placement: Mapping[str, Any], target: Mapping[str, Any], pool: Mapping[str, Any]
) -> tuple[int, Any]:
    try:
        plan = placement_plan(model, placement, target, pool)
    except LlmFleetError:
        plan = None
    if plan is not None:
        return plan.gpus, plan
    return int(placement.get("tensorParallel") or 1), None


def _node_counts(pool, placements, target, per_node: int, resource: Resource | None) -> tuple[int, int, int]:
    config_min, config_max = int(get(pool, "nodes.min") or 0), int(get(pool, "nodes.max") or 0)
    ceiling = config_max
    if resource is not None:
        bound = _resource_max_nodes(resource, per_node)
        if bound is not None:
            ceiling = int(bound)
    need_min = need_mid = 0
    for model, placement in placements:
        gpus, _ = _gpus_per_replica(model, placement, target, pool)
        low, high = replica_bounds(placement)
        need_min += low * gpus
        need_mid += math.ceil((low + high) / 2) * gpus
    floor = min(max(config_min, math.ceil(need_min / max(per_node, 1))), ceiling)
    expected = min(max(floor, math.ceil(need_mid / max(per_node, 1))), ceiling)
    return floor, expected, ceiling


def _onprem_pool(ctx: PlanContext, report: CostReport, target, pool, placements, routing=()) -> None:
    tname, pname = str(target.get("name")), str(pool.get("name"))
    hardware = pool.get("hardware")
    if not hardware:
        report.unpriced.append(
            {
                "urn": _target_urn(ctx, tname),
                "type": "gpu-pool",
                "name": f"{tname}/{pname}",
                "reason": "on-prem pool without hardware costs in the stack config",
            }
        )
        return
    owned = int(get(pool, "nodes.max") or 0)
    amortized = float(hardware["nodePriceUsd"]) / int(hardware.get("amortizationMonths") or 36)
    power = float(hardware["powerKw"]) * HOURS_PER_MONTH * float(hardware.get("pricePerKwhUsd") or 0.12)
    per_node = int(pool.get("gpusPerNode") or 1)
    floor, expected, ceiling = _node_counts(pool, placements, target, per_node, None)
    report.nodes_by_pool[f"{tname}/{pname}"] = Monthly(floor, expected, ceiling)
    monthly = Monthly(
        owned * amortized + floor * power, owned * amortized + expected * power, owned * amortized + ceiling * power
    )
    description = (
        f"GPU pool {pname}: {owned} owned nodes x {pool.get('gpusPerNode')} {pool.get('gpu')} "
        f"(${amortized:,.0f}/node-month amortized, ${power:,.0f}/node-month power; {floor}-{ceiling} running)"
    )
    source = f"stack config targets.{tname}.gpuPools.{pname}.hardware"
    report.items.append(CostItem(_target_urn(ctx, tname), "onprem-gpu-pool", description, monthly, source, tname))
    node_hourly = (amortized + power) / HOURS_PER_MONTH
    for model, placement in placements:
        _placement_cost(report, model, placement, target, pool, per_node, node_hourly, routing)


def _placement_cost(
    report: CostReport, model, placement, target, pool, per_node: int, node_hourly: float, routing=()
) -> None:
    gpus, plan = _gpus_per_replica(model, placement, target, pool)
    fits = plan is not None and plan.fits
    throughput = float(plan.worst_case_aggregate_decode_tokens_per_second) if fits else 0.0
    replica_hourly = node_hourly * gpus / max(per_node, 1)
    report.placements.append(
        PlacementCost(
            model=str(model.get("name")),
            target=str(target.get("name")),
            pool=str(pool.get("name")),
            gpus_per_replica=gpus,
            replica_hourly=replica_hourly,
            decode_tokens_per_second=throughput,
            traffic=_traffic_cost(model, placement, plan, replica_hourly, list(routing)) if fits else None,
        )
    )


def _traffic_cost(model, placement, plan, replica_hourly: float, routing: list) -> TrafficCost:
    share = traffic_share(routing, model, placement)
    traffic, sizing = placement_sizing(model, plan, share)
    low, _ = replica_bounds(placement)
    at_peak = max(sizing.replicas_needed, low)
    return TrafficCost(
        share=share,
        peak_requests_per_second=traffic.peak_requests_per_second,
        prompt_tokens=traffic.prompt_tokens,
        output_tokens=traffic.output_tokens,
        shared_prefix_percent=traffic.shared_prefix_percent,
        batch=sizing.batch,
        tpot_ms=sizing.tpot_ms,
        ttft_ms=sizing.ttft_ms,
        requests_per_second_per_replica=sizing.requests_per_second_per_replica,
        concurrency_at_peak=sizing.concurrency_at_peak,
        replicas_needed=sizing.replicas_needed,
        replicas_at_peak=at_peak,
        usd_per_million=sizing.expected_usd_per_million(at_peak, replica_hourly, traffic),
        max_model_len=plan.max_model_len,
    )


# -- platform items ---------------------------------------------------------------------------


def _item(
    ctx: PlanContext,
    report: CostReport,
    priced: set[str],
    resource: Resource,
    key: str,
    count: float = 1.0,
    extra_month: float = 0.0,
    description: str | None = None,
) -> None:
    price = platform_price(key)
    monthly_value = price.hourly * HOURS_PER_MONTH * count + extra_month
    usage = f" (+ usage: {price.usage})" if price.usage else ""
    text = description or f"{key} x {count:g}"
    report.items.append(
        CostItem(
            resource.urn,
            resource.type,
            text + usage,
            Monthly(monthly_value, monthly_value, monthly_value),
            catalogue().cite(price.source),
            ctx.target_of(resource),
        )
    )
    priced.add(resource.urn)


def _platform(ctx: PlanContext, report: CostReport, priced: set[str]) -> None:
    for cluster in ctx.of_type("aws:eks/cluster:Cluster"):
        version = str(get(cluster.props, "version") or "")
        extended = bool(version) and kubernetes_support("eks", version, ctx.today).state != "standard"
        key = "eks-control-plane-extended" if extended else "eks-control-plane"
        _item(
            ctx,
            report,
            priced,
            cluster,
            key,
            description=f"EKS control plane {version or '(default version)'}"
            + (" in extended support" if extended else ""),
        )
    for cluster in ctx.of_type("gcp:container/cluster:Cluster"):
        _item(ctx, report, priced, cluster, "gke-cluster", description="GKE cluster management fee")
    for lb in ctx.of_type("aws:lb/loadBalancer:LoadBalancer"):
        kind = get(lb.props, "loadBalancerType", "application")
        key = "nlb" if kind == "network" else "alb"
        _item(ctx, report, priced, lb, key, description=f"{'NLB' if key == 'nlb' else 'ALB'} {lb.name}")
    for nat in ctx.of_type("aws:ec2/natGateway:NatGateway"):
        _item(ctx, report, priced, nat, "nat-gateway", description=f"NAT gateway {nat.name}")
    for acl in ctx.of_type("aws:wafv2/webAcl:WebAcl"):
        rules = len(as_list(get(acl.props, "rules")))
        extra = platform_price("waf-rule").price * rules
        _item(ctx, report, priced, acl, "waf-web-acl", extra_month=extra, description=f"WAF web ACL with {rules} rules")
    for key in ctx.of_type("aws:kms/key:Key"):
        _item(ctx, report, priced, key, "aws-kms-key", description=f"KMS key {key.name}")
    for key in ctx.of_type("gcp:kms/cryptoKey:CryptoKey"):
        _item(
            ctx,
            report,
            priced,
            key,
            "gcp-kms-key-version",
            description=f"Cloud KMS key {key.name} (1 version; each rotation adds one)",
        )
    for rule in ctx.of_type(
        "gcp:compute/globalForwardingRule:GlobalForwardingRule", "gcp:compute/forwardingRule:ForwardingRule"
    ):
        _item(ctx, report, priced, rule, "gcp-forwarding-rule", description=f"forwarding rule {rule.name}")
    for gateway in ctx.of_type("kubernetes:gateway.networking.k8s.io/v1:Gateway"):
        if str(get(gateway.props, "spec.gatewayClassName") or "").startswith("gke-l7-"):
            _item(
                ctx,
                report,
                priced,
                gateway,
                "gcp-forwarding-rule",
                description=f"GKE Gateway {gateway.name} forwarding rule",
            )
    _network(ctx, report, priced)
    for policy in ctx.of_type("gcp:compute/securityPolicy:SecurityPolicy"):
        rules = len(as_list(get(policy.props, "rules")))
        extra = platform_price("cloud-armor-rule").price * rules
        _item(
            ctx,
            report,
            priced,
            policy,
            "cloud-armor-policy",
            extra_month=extra,
            description=f"Cloud Armor policy with {rules} rules",
        )


HTTPS_CHECKS = ("HTTPS", "HTTPS_STR_MATCH")
STRING_MATCH_CHECKS = ("HTTP_STR_MATCH", "HTTPS_STR_MATCH")
ENDPOINT_CHECKS = ("HTTP", "HTTPS", "HTTP_STR_MATCH", "HTTPS_STR_MATCH", "TCP")


def _network(ctx: PlanContext, report: CostReport, priced: set[str]) -> None:
    """Public addresses, gateway endpoints, Route 53 health checks and Cloud NAT."""
    for eip in ctx.of_type("aws:ec2/eip:Eip"):
        _item(ctx, report, priced, eip, "public-ipv4", description=f"public IPv4 address {eip.name} (Elastic IP)")
    for endpoint in ctx.of_type("aws:ec2/vpcEndpoint:VpcEndpoint"):
        if str(get(endpoint.props, "vpcEndpointType") or "Gateway") == "Gateway":
            _item(
                ctx,
                report,
                priced,
                endpoint,
                "vpc-gateway-endpoint",
                description=f"VPC gateway endpoint {endpoint.name}",
            )
    for check in ctx.of_type("aws:route53/healthCheck:HealthCheck"):
        _health_check(ctx, report, priced, check)
    rules = ctx.of_type(
        "gcp:compute/globalForwardingRule:GlobalForwardingRule", "gcp:compute/forwardingRule:ForwardingRule"
    )
    for address in ctx.of_type("gcp:compute/globalAddress:GlobalAddress", "gcp:compute/address:Address"):
        target = ctx.target_of(address)
        in_use = any(get(r.props, "ipAddress") and ctx.target_of(r) == target for r in rules)
        key = "gcp-address-in-use" if in_use else "gcp-address-unused"
        state = "attached to a forwarding rule" if in_use else "reserved, not in use"
        _item(ctx, report, priced, address, key, description=f"external address {address.name} ({state})")
    for nat in ctx.of_type("gcp:compute/routerNat:RouterNat"):
        _cloud_nat(ctx, report, priced, nat)


def _health_check(ctx: PlanContext, report: CostReport, priced: set[str], check: Resource) -> None:
    props = check.props
    kind_of = {str(t.get("name")): str(t.get("kind")) for t in ctx.settings.targets}
    checked = next((t for t in sorted(kind_of, key=len, reverse=True) if check.name.endswith(f"-{t}-health")), None)
    type_ = str(get(props, "type") or "")
    features = []
    if type_ in ENDPOINT_CHECKS:
        features = [
            name
            for name, on in (
                ("HTTPS", type_ in HTTPS_CHECKS),
                ("string matching", type_ in STRING_MATCH_CHECKS),
                ("fast interval", quantity(get(props, "requestInterval")) == 10),
                ("latency measurement", bool(get(props, "measureLatency"))),
            )
            if on
        ]
    # An endpoint check counts as one of an AWS endpoint when it checks an AWS target; any other
    # (or unknown) endpoint is priced as non-AWS, the dearer rate.
    aws = type_ not in ENDPOINT_CHECKS or (checked is not None and kind_of[checked] == "aws")
    suffix = "aws" if aws else "non-aws"
    extra = platform_price(f"route53-health-check-feature-{suffix}").price * len(features)
    where = "AWS" if aws else "non-AWS"
    extras = f" + {', '.join(features)}" if features else ""
    _item(
        ctx,
        report,
        priced,
        check,
        f"route53-health-check-{suffix}",
        extra_month=extra,
        description=f"Route 53 health check {check.name} ({where} endpoint{extras})",
    )
    if checked is not None:
        report.items[-1].target = checked  # charged to the target whose endpoint it checks


def _cloud_nat(ctx: PlanContext, report: CostReport, priced: set[str], nat: Resource) -> None:
    target = ctx.target_of(nat)
    vms = report.nodes_by_target.get(target or "(stack)", Monthly())
    per_vm, cap = platform_price("cloud-nat-vm"), platform_price("cloud-nat-gateway-max")
    ip = platform_price("cloud-nat-ip")
    manual = str(get(nat.props, "natIpAllocateOption") or "AUTO_ONLY") == "MANUAL_ONLY"
    ips = len(as_list(get(nat.props, "natIps"))) if manual else 1

    def month(count: float) -> float:
        gateway = per_vm.hourly * count if count <= 32 else cap.hourly
        return (gateway + ip.hourly * ips) * HOURS_PER_MONTH

    monthly = Monthly(month(vms.floor), month(vms.expected), month(vms.ceiling))
    description = (
        f"Cloud NAT {nat.name}: {vms.floor:g}-{vms.ceiling:g} VMs (expected {vms.expected:g}) x "
        f"${per_vm.price:g}/VM-h (${cap.price:g}/h above 32 VMs) + {ips} NAT IP x ${ip.price:g}/h "
        f"(+ usage: {per_vm.usage})"
    )
    sources = "; ".join(sorted({catalogue().cite(per_vm.source), catalogue().cite(ip.source)}))
    report.items.append(CostItem(nat.urn, nat.type, description, monthly, sources, target))
    priced.add(nat.urn)


def _unpriced(ctx: PlanContext, report: CostReport, priced: set[str]) -> None:
    from policy.rules.stack.cost.missing_cost_allocation_tags import BILLABLE

    usage_based = {
        "aws:s3/bucket:Bucket": "storage and requests (usage-based)",
        "gcp:storage/bucket:Bucket": "storage and operations (usage-based)",
        "aws:ecr/repository:Repository": "image storage (usage-based)",
        "gcp:artifactregistry/repository:Repository": "image storage (usage-based)",
        "aws:cloudwatch/logGroup:LogGroup": "log ingestion and storage (usage-based)",
        "aws:amp/workspace:Workspace": "samples ingested and queries (usage-based)",
        "aws:sqs/queue:Queue": "requests (usage-based)",
    }
    untaggable = {"gcp:compute/routerNat:RouterNat": "Cloud NAT gateway-hours and GB processed (not in the catalogue)"}
    usage_based.update(untaggable)
    reported = {u["urn"] for u in report.unpriced}
    for type_ in (*BILLABLE, *untaggable):
        for resource in ctx.of_type(type_):
            if resource.urn in priced or resource.urn in reported:
                continue
            if type_ in ("aws:eks/nodeGroup:NodeGroup", "gcp:container/nodePool:NodePool"):
                reason = _node_pool_reason(resource, type_)
                if reason is None:
                    continue
            elif type_ == "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass":
                continue  # its instances are priced through the NodePool's GPU pool
            else:
                reason = usage_based.get(type_, "not in the price catalogue")
            report.unpriced.append({"urn": resource.urn, "type": type_, "name": resource.name, "reason": reason})


def _node_pool_reason(resource: Resource, type_: str) -> str | None:
    if type_ == "aws:eks/nodeGroup:NodeGroup":
        types = [str(t) for t in as_list(get(resource.props, "instanceTypes"))]
        cloud = "aws"
    else:
        types = [str(get(resource.props, "nodeConfig.machineType") or "")]
        cloud = "gcp"
    known = [t for t in types if instance_price(cloud, t)]
    if known:
        return f"instance types {known} are priced through the stack's GPU pools only"
    return f"instance types {types} are not in the price catalogue"


# ---------------------------------------------------------------------------
# Candidates for the capacity planner's --recommend
# ---------------------------------------------------------------------------


def instance_candidates(
    gpu: str | None = None, cloud: str | None = None, capacity: str = "on-demand", allowed: list[str] | None = None
) -> list[tuple[str, str, float]]:
    """``(cloud, instanceType, hourly)`` of every catalogue instance, cheapest first.

    Filter by GPU type id, cloud and an allow-list; ``capacity`` 'spot' prices at the middle
    of the spot range. This is the ``candidates`` argument of
    ``serving.recommend.recommend_instance``.
    """
    rows: list[InstancePrice] = [
        r
        for r in catalogue().instances
        if (gpu is None or r.gpu == gpu)
        and (cloud is None or r.cloud == cloud)
        and (allowed is None or r.type in allowed)
    ]
    out = [(r.cloud, r.type, round(r.hourly(capacity, "mid"), 6)) for r in rows]
    return sorted(out, key=lambda c: (c[2], c[0], c[1]))


def cost_summary_line(report: CostReport) -> str:
    """One line for `llmfleet plan`: floor, expected, ceiling against the budget."""
    return report.summary_line()
