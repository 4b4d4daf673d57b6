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
from dataclasses import dataclass, field
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
    min_nodes: int
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
class CostView:
    currency: str
    monthly: Range
    by_target: dict[str, Range]
    by_category: dict[str, Range]
    per_placement: tuple[tuple[str, str, float | None], ...]
    """(target, model, USD per 1M output tokens or None when the cost model gives none)."""


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
    notes: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------
# Fleet (config + Plan)
# ---------------------------------------------------------------------------

CLUSTER_BY_KIND = {"aws": "EKS", "gcp": "GKE", "onprem": "existing cluster"}


def stack_config(plan: Plan) -> StackConfig:
    """The Plan's config as the typed StackConfig (it was validated when the Plan was made)."""
    return parse_stack_config(plan.config, plan.stack)


def _targets(plan: Plan, config: StackConfig) -> tuple[TargetView, ...]:
    from infra.targets import pool_gpu

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
                    capacity_type=pool.capacity_type,
                    min_nodes=pool.nodes.min,
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


def _resource_label(urn: str | None) -> str:
    """The resource name of a URN (the part after the last '::'), or 'stack' for stack findings."""
    if not urn:
        return "stack"
    return urn.rsplit("::", 1)[-1]


def _policy(plan: Plan) -> PolicyView | Missing:
    try:
        from policy.engine import evaluate_plan
        from policy.rules import all_rules
    except ImportError as exc:
        return Missing(f"the policy engine is not available ({exc})")
    meta = {rule.meta.id: rule.meta for rule in all_rules()}
    data = _as_dict(evaluate_plan(plan.to_json()))
    findings = []
    for f in data.get("findings") or []:
        rule = meta.get(f["rule"])
        findings.append(
            FindingView(
                rule=f["rule"],
                title=rule.title if rule else "",
                severity=f.get("severity") or (rule.severity if rule else "low"),
                category=f.get("category") or (rule.category if rule else ""),
                enforcement=f.get("enforcement") or "",
                resource=_resource_label(f.get("urn")),
                message=f.get("message") or "",
                remediation=rule.remediation if rule else "",
                references=tuple(rule.references) if rule else (),
                suppressed=bool(f.get("suppressed")),
                justification=f.get("justification"),
            )
        )
    rank = {s: i for i, s in enumerate(SEVERITY_ORDER)}
    findings.sort(key=lambda f: (rank.get(f.severity, len(rank)), f.rule, f.resource))
    summary = {k: int(v) for k, v in (data.get("summary") or {}).items() if isinstance(v, int | float)}
    return PolicyView(tuple(findings), summary)


def _suppressions(config: StackConfig, policy: PolicyView | Missing, today: dt.date) -> tuple[SuppressionView, ...]:
    views = []
    for s in config.policy.suppressions:
        matched = 0
        if isinstance(policy, PolicyView):
            matched = sum(
                1 for f in policy.findings if f.suppressed and f.rule == s.rule and f.justification == s.justification
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


def _range(data: dict[str, Any]) -> Range:
    return Range(float(data.get("floor", 0.0)), float(data.get("expected", 0.0)), float(data.get("ceiling", 0.0)))


def _cost(plan: Plan) -> CostView | Missing:
    try:
        from policy.cost import estimate_cost
    except ImportError as exc:
        return Missing(f"the cost model is not available ({exc})")
    data = _as_dict(estimate_cost(plan.to_json()))
    by_category = {name: _range(r) for name, r in (data.get("byCategory") or {}).items()}
    per_placement = tuple(
        (p["target"], p["model"], p.get("usdPerMillionOutputTokens")) for p in data.get("placements") or []
    )
    return CostView(
        currency=str(data.get("currency", "USD")),
        monthly=_range(data.get("monthly") or {}),
        by_target={name: _range(r) for name, r in (data.get("byTarget") or {}).items()},
        by_category=by_category,
        per_placement=per_placement,
    )


# ---------------------------------------------------------------------------
# Capacity
# ---------------------------------------------------------------------------


def _capacity(config: StackConfig, targets: tuple[TargetView, ...]) -> tuple[CapacityView, ...] | Missing:
    try:
        from serving.capacity import plan_capacity
    except ImportError as exc:
        return Missing(f"the capacity planner is not available ({exc})")
    pools = {(t.name, p.name): p for t in targets for p in t.pools}
    views = []
    for model, placement in config.placements():
        pool = pools[(placement.target, placement.pool)]
        plan = plan_capacity(
            model.architecture,
            pool.gpu,
            tp=placement.tensor_parallel,
            max_model_len=model.max_model_len,
            kv_cache_dtype=model.kv_cache_dtype,
            gpu_memory_utilization=model.gpu_memory_utilization,
            quantization=model.quantization,
            max_num_seqs=model.max_num_seqs,
            strict=False,
        )
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
            )
        )
    return tuple(views)


# ---------------------------------------------------------------------------


def gather(plan: Plan, today: dt.date | None = None) -> ReportData:
    """All the report's facts for one Plan. ``today`` fixes the suppression countdown."""
    today = today or dt.date.today()
    config = stack_config(plan)
    targets = _targets(plan, config)
    policy = _policy(plan)
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
