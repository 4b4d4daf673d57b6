"""Everything the report shows, gathered from a Plan and the parts that judge it.

The Plan's config (camelCase, validated, secrets already references only) gives the fleet:
targets, pools, edges, placements, routing. Findings come from policy.engine, money from
policy.cost, memory from serving.capacity: this module calls their public functions and
never recomputes what they compute. A part that is not importable yet yields a
:class:`Missing` with the reason, and its section says "not available".
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from infra.config import StackConfig, parse_stack_config
from infra.plan.model import Plan

SEVERITY_ORDER = ("critical", "high", "medium", "low")


@dataclass(frozen=True)
class Missing:
    """A section whose source part is not available (e.g. not written yet)."""

    reason: str


@dataclass(frozen=True)
class PoolView:
    name: str
    gpu: str
    gpus_per_node: int
    instance_types: tuple[str, ...]
    capacity_type: str
    """'spot' or 'on-demand' in a cloud; 'owned' on-prem (bought hardware, not rented)."""
    min_nodes: int
    """The floor as priced by policy.cost (the one source of truth): the larger of nodes.min
    and the nodes the placements' minimum replicas need."""
    max_nodes: int


@dataclass(frozen=True)
class PlacementView:
    target: str
    pool: str
    model: str
    architecture: str
    tensor_parallel: int | None
    min_replicas: int
    max_replicas: int
    routing: str = "inference-aware"
    """How the cluster's gateway picks a replica (models[].routing)."""


@dataclass(frozen=True)
class TargetView:
    name: str
    kind: str
    where: str
    """Region, or 'existing cluster' on-prem."""
    cluster: str
    domain: str
    waf: bool
    tls_issuer: str
    rate_limit_per_minute: int
    allowed_cidrs: tuple[str, ...]
    pools: tuple[PoolView, ...]
    resources: int
    """Resources the Plan declares under this target (providers left out)."""


@dataclass(frozen=True)
class RouteView:
    hostname: str
    mode: str
    models: tuple[str, ...]
    endpoints: tuple[tuple[str, str], ...]
    """(target, 'primary' / 'secondary' / 'NN%')."""


@dataclass(frozen=True)
class FindingView:
    rule: str
    title: str
    severity: str
    category: str
    enforcement: str
    resource: str
    urn: str
    message: str
    remediation: str
    references: tuple[str, ...]
    suppressed: bool
    justification: str | None


@dataclass(frozen=True)
class SuppressionView:
    rule: str
    resource: str
    owner: str
    justification: str
    expires: dt.date
    days_left: int
    matched: int


@dataclass(frozen=True)
class PolicyView:
    findings: tuple[FindingView, ...]
    summary: dict[str, int]


@dataclass(frozen=True)
class Range:
    floor: float
    expected: float
    ceiling: float


@dataclass(frozen=True)
class PlacementCostView:
    target: str
    model: str
    gpus_per_replica: int | None
    replica_hourly: float | None
    decode_tokens_per_second: float | None
    usd_per_million_output_tokens: float | None
    """Worst case: every stream holds max_model_len tokens."""
    expected_usd_per_million_output_tokens: float | None = None
    """From the model's declared traffic (replicas at peak)."""
    assumptions: str | None = None


@dataclass(frozen=True)
class ClientCostView:
    """Showback of one API client (policy/showback.py): its share of the monthly cost."""

    client: str
    owner: str
    monthly: Range
    by_model: dict[str, Range]


@dataclass(frozen=True)
class CostView:
    currency: str
    monthly: Range
    by_target: dict[str, Range]
    by_category: dict[str, Range]
    per_placement: tuple[PlacementCostView, ...]
    unpriced: int = 0
    """Billable resources the price catalogue has no (fixed) price for."""
    by_client: tuple[ClientCostView, ...] = ()
    unallocated: Range | None = None
    showback_basis: str = ""


@dataclass(frozen=True)
class CapacityView:
    target: str
    model: str
    gpu: str
    tp: int
    max_model_len: int
    usable_gib: float
    weights_gib: float
    kv_cache_gib: float
    activation_gib: float
    overhead_gib: float
    unreserved_gib: float
    max_concurrency: float
    fits: bool
    problems: tuple[str, ...]
    weight_dtype: str = "bfloat16"
    """Of the weights as served (fp8 after FP8 quantization), from the planner."""
    kv_cache_dtype: str = "auto"
    """vLLM's --kv-cache-dtype (auto: the model's dtype; fp8*: 1 byte per element)."""


@dataclass(frozen=True)
class ReportData:
    stack: str
    environment: str
    owner: str
    budget_usd: float
    enforcement: str
    today: dt.date
    targets: tuple[TargetView, ...]
    placements: tuple[PlacementView, ...]
    routes: tuple[RouteView, ...]
    policy: PolicyView | Missing
    suppressions: tuple[SuppressionView, ...]
    cost: CostView | Missing
    capacity: tuple[CapacityView, ...] | Missing


# ---------------------------------------------------------------------------
# Fleet (config + Plan)
# ---------------------------------------------------------------------------

CLUSTER_BY_KIND = {"aws": "EKS", "gcp": "GKE", "onprem": "existing cluster"}


def stack_config(plan: Plan) -> StackConfig:
    """The Plan's config as the typed StackConfig (it was validated when the Plan was made)."""
    return parse_stack_config(plan.config, plan.stack)


def _targets(plan: Plan, config: StackConfig) -> tuple[TargetView, ...]:
    from infra.targets import pool_gpu

    floors = _pool_node_floors(plan)

    counts: dict[str, int] = {}
    for resource in plan.resources:
        if resource.type.startswith("pulumi:providers:"):
            continue
        target = plan.target_of(resource)
        if target is not None:
            counts[target] = counts.get(target, 0) + 1
    views = []
    for target in config.targets:
        pools = []
        for pool in target.gpu_pools:
            gpu, per_node = pool_gpu(target, pool)
            pools.append(
                PoolView(
                    name=pool.name,
                    gpu=gpu,
                    gpus_per_node=per_node,
                    instance_types=tuple(pool.instance_types),
                    capacity_type="owned" if target.kind == "onprem" else pool.capacity_type,
                    min_nodes=int(floors.get(f"{target.name}/{pool.name}", pool.nodes.min)),
                    max_nodes=pool.nodes.max,
                )
            )
        if target.kind == "aws":
            where, cluster = target.region, f"EKS {target.kubernetes_version}"
        elif target.kind == "gcp":
            where, cluster = f"{target.region} · {target.project}", f"GKE {target.release_channel.lower()} channel"
        else:
            where, cluster = "on-prem", "existing cluster" + (f" ({target.context})" if target.context else "")
        views.append(
            TargetView(
                name=target.name,
                kind=target.kind,
                where=where,
                cluster=cluster,
                domain=target.edge.domain,
                waf=target.edge.waf,
                tls_issuer=target.edge.tls_issuer,
                rate_limit_per_minute=target.edge.rate_limit_per_minute,
                allowed_cidrs=tuple(target.edge.allowed_cidrs),
                pools=tuple(pools),
                resources=counts.get(target.name, 0),
            )
        )
    return tuple(views)


def _placements(config: StackConfig) -> tuple[PlacementView, ...]:
    return tuple(
        PlacementView(
            target=p.target,
            pool=p.pool,
            model=m.name,
            architecture=m.architecture,
            tensor_parallel=p.tensor_parallel,
            min_replicas=p.replicas.min,
            max_replicas=p.replicas.max,
            routing=m.routing,
        )
        for m, p in config.placements()
    )


def _routes(config: StackConfig) -> tuple[RouteView, ...]:
    views = []
    for route in config.routing:
        if route.mode == "weighted":
            total = sum(e.weight or 0 for e in route.endpoints) or 1
            endpoints = tuple((e.target, f"{100 * (e.weight or 0) / total:.0f}%") for e in route.endpoints)
        else:
            endpoints = tuple((e.target, e.role or "") for e in route.endpoints)
        views.append(RouteView(route.hostname, route.mode, tuple(route.models), endpoints))
    return tuple(views)


# ---------------------------------------------------------------------------
# Policy
# ---------------------------------------------------------------------------


def _as_dict(report: Any) -> dict[str, Any]:
    """A part's report object as its JSON contract (to_json() gives a dict or a JSON string)."""
    data = report.to_json() if hasattr(report, "to_json") else report
    if isinstance(data, str):
        data = json.loads(data)
    if not isinstance(data, dict):
        raise TypeError(f"expected a JSON object from {type(report).__name__}.to_json(), got {type(data).__name__}")
    return data


def _policy(plan: Plan, today: dt.date) -> PolicyView | Missing:
    try:
        from policy.engine import evaluate_plan
    except ImportError as exc:
        return Missing(f"the policy engine is not available ({exc})")
    report = evaluate_plan(plan.to_json(), today=today)
    findings = []
    for f in report.findings:
        rule = f.meta  # the rule's metadata (policy.rules RuleMeta): title, severity, remediation, references
        findings.append(
            FindingView(
                rule=rule.id,
                title=rule.title,
                severity=rule.severity,
                category=rule.category,
                enforcement=f.enforcement,
                resource=f.name,
                urn=f.urn,
                message=f.message,
                remediation=rule.remediation,
                references=tuple(r for r in rule.references if r != "custom"),
                suppressed=f.suppressed,
                justification=f.justification,
            )
        )
    rank = {s: i for i, s in enumerate(SEVERITY_ORDER)}
    findings.sort(key=lambda f: (rank.get(f.severity, len(rank)), f.enforcement != "mandatory", f.rule, f.resource))
    return PolicyView(tuple(findings), dict(report.summary()))


def _suppressions(config: StackConfig, policy: PolicyView | Missing, today: dt.date) -> tuple[SuppressionView, ...]:
    views = []
    for s in config.policy.suppressions:
        matched = 0
        if isinstance(policy, PolicyView):
            from policy.engine import suppression_matches

            matched = sum(
                1 for f in policy.findings if f.rule == s.rule and suppression_matches(s.resource, f.resource, f.urn)
            )
        views.append(
            SuppressionView(
                rule=s.rule,
                resource=s.resource,
                owner=s.owner,
                justification=s.justification,
                expires=s.expires,
                days_left=(s.expires - today).days,
                matched=matched,
            )
        )
    return tuple(sorted(views, key=lambda v: v.days_left))


# ---------------------------------------------------------------------------
# Cost
# ---------------------------------------------------------------------------


COST_CATEGORIES = {
    # Resource type of a cost item -> the category the report charts it under.
    "onprem-gpu-pool": "GPU nodes",
    "kubernetes:karpenter.sh/v1:NodePool": "GPU nodes",
    "gcp:container/nodePool:NodePool": "GPU nodes",
    "aws:eks/nodeGroup:NodeGroup": "nodes",
    "aws:eks/cluster:Cluster": "control plane",
    "gcp:container/cluster:Cluster": "control plane",
    "aws:lb/loadBalancer:LoadBalancer": "load balancer",
    "gcp:compute/globalForwardingRule:GlobalForwardingRule": "load balancer",
    "aws:ec2/natGateway:NatGateway": "NAT",
    "gcp:compute/routerNat:RouterNat": "NAT",
    "aws:wafv2/webAcl:WebAcl": "WAF / Cloud Armor",
    "gcp:compute/securityPolicy:SecurityPolicy": "WAF / Cloud Armor",
    "aws:kms/key:Key": "KMS",
    "gcp:kms/cryptoKey:CryptoKey": "KMS",
    "aws:ec2/eip:Eip": "network",
    "aws:ec2/vpcEndpoint:VpcEndpoint": "network",
    "gcp:compute/globalAddress:GlobalAddress": "network",
    "gcp:compute/address:Address": "network",
    "aws:route53/healthCheck:HealthCheck": "DNS",
}
"""Cost items carry a resource type, not a category; anything not listed is charted as 'other'."""


def cost_category(item: dict[str, Any]) -> str:
    return str(item.get("category") or COST_CATEGORIES.get(str(item.get("type")), "other"))


def _range(data: dict[str, Any]) -> Range:
    return Range(float(data.get("floor", 0.0)), float(data.get("expected", 0.0)), float(data.get("ceiling", 0.0)))


def _pool_node_floors(plan: Plan) -> dict[str, float]:
    """Each GPU pool's minimum node count as the cost model prices it ("target/pool")."""
    try:
        from policy.cost import estimate_cost
    except ImportError:
        return {}
    return {name: nodes.floor for name, nodes in estimate_cost(plan.to_json()).nodes_by_pool.items()}


def _cost(plan: Plan) -> CostView | Missing:
    try:
        from policy.cost import estimate_cost
    except ImportError as exc:
        return Missing(f"the cost model is not available ({exc})")
    data = _as_dict(estimate_cost(plan.to_json()))
    sums: dict[str, list[float]] = {}
    for item in data.get("items") or []:
        row = sums.setdefault(cost_category(item), [0.0, 0.0, 0.0])
        row[0] += float(item.get("monthlyFloor", 0.0))
        row[1] += float(item.get("monthlyExpected", item.get("monthlyFloor", 0.0)))
        row[2] += float(item.get("monthlyCeiling", 0.0))
    per_placement = tuple(
        PlacementCostView(
            target=str(p["target"]),
            model=str(p["model"]),
            gpus_per_replica=p.get("gpusPerReplica"),
            replica_hourly=p.get("replicaHourly"),
            decode_tokens_per_second=p.get("decodeTokensPerSecond"),
            usd_per_million_output_tokens=p.get("usdPerMillionOutputTokens"),
            expected_usd_per_million_output_tokens=p.get("expectedUsdPerMillionOutputTokens"),
            assumptions=(p.get("traffic") or {}).get("assumptions"),
        )
        for p in data.get("placements") or []
    )
    return CostView(
        currency=str(data.get("currency", "USD")),
        monthly=_range(data.get("monthly") or {}),
        by_target={name: _range(r) for name, r in (data.get("byTarget") or {}).items()},
        by_category={name: Range(*values) for name, values in sums.items()},
        per_placement=per_placement,
        unpriced=len(data.get("unpriced") or []),
        by_client=tuple(
            ClientCostView(
                client=str(name),
                owner=str(view.get("owner", "")),
                monthly=_range(view.get("monthly") or {}),
                by_model={m: _range(r) for m, r in (view.get("byModel") or {}).items()},
            )
            for name, view in (data.get("byClient") or {}).items()
        ),
        unallocated=_range(data["unallocated"]) if data.get("unallocated") else None,
        showback_basis=str(data.get("showbackBasis", "")),
    )


# ---------------------------------------------------------------------------
# Capacity
# ---------------------------------------------------------------------------


def _capacity(config: StackConfig, targets: tuple[TargetView, ...]) -> tuple[CapacityView, ...] | Missing:
    try:
        # The same sizing the reliability rule REL-01 judges (one place builds the planner call).
        from policy.capacity import placement_plan
    except ImportError as exc:
        return Missing(f"the capacity planner is not available ({exc})")
    pools = {(t.name, p.name): p for t in targets for p in t.pools}
    views = []
    for model, placement in config.placements():
        pool = pools[(placement.target, placement.pool)]
        target = config.target(placement.target)
        pool_config = next(p for p in target.gpu_pools if p.name == placement.pool)
        plan = placement_plan(
            model.model_dump(by_alias=True),
            placement.model_dump(by_alias=True),
            target.model_dump(by_alias=True),
            pool_config.model_dump(by_alias=True),
        )
        if plan is None:
            continue
        views.append(
            CapacityView(
                target=placement.target,
                model=model.name,
                gpu=pool.gpu,
                tp=plan.tp,
                max_model_len=plan.max_model_len,
                usable_gib=plan.usable_memory_gib_per_gpu,
                weights_gib=plan.weights_gib_per_gpu,
                kv_cache_gib=max(plan.kv_cache_gib_per_gpu, 0.0),
                activation_gib=plan.activation_gib_per_gpu,
                overhead_gib=plan.overhead_gib_per_gpu,
                unreserved_gib=max(plan.usable_memory_gib_per_gpu - plan.budget_gib_per_gpu, 0.0),
                max_concurrency=plan.max_concurrency,
                fits=plan.fits,
                problems=tuple(plan.problems),
                weight_dtype=plan.weight_dtype,
                kv_cache_dtype=plan.kv_cache_dtype,
            )
        )
    return tuple(views)


# ---------------------------------------------------------------------------


def gather(plan: Plan, today: dt.date | None = None) -> ReportData:
    """All the report's facts for one Plan. ``today`` fixes the suppression countdown."""
    today = today or dt.date.today()
    config = stack_config(plan)
    targets = _targets(plan, config)
    policy = _policy(plan, today)
    return ReportData(
        stack=plan.stack,
        environment=config.environment,
        owner=config.owner,
        budget_usd=config.budget.monthly_usd,
        enforcement=config.enforcement,
        today=today,
        targets=targets,
        placements=_placements(config),
        routes=_routes(config),
        policy=policy,
        suppressions=_suppressions(config, policy, today),
        cost=_cost(plan),
        capacity=_capacity(config, targets),
    )
