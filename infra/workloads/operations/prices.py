"""What one model-server replica costs per hour, for the dashboards' cost panel.

The figure is an estimate with a stated basis, never a bill: the GPU share of the node(s) a
replica holds, at list price (cloud; spot at the top of its range) or at amortised hardware
plus power (on-prem, from ``gpuPools[].hardware``). Idle nodes, control planes, load
balancers, storage and traffic are not in it (``llmfleet cost`` covers the whole stack).
"""

from __future__ import annotations

from dataclasses import dataclass

from infra.config import AwsTarget, GcpTarget, GpuPool, OnPremTarget
from infra.targets import pool_gpu
from policy.catalog.prices import HOURS_PER_MONTH, catalogue, instance_price


@dataclass(frozen=True)
class ReplicaCost:
    usd_per_hour: float
    basis: str
    """Human-readable basis of the figure (shown in the dashboard panel description)."""


def node_hourly_usd(target: AwsTarget | GcpTarget | OnPremTarget, pool: GpuPool) -> tuple[float, str] | None:
    """Price of one node of ``pool`` per hour and its basis, or None when no price is known."""
    if target.kind == "onprem":
        hw = pool.hardware
        if hw is None:
            return None
        amortised = hw.node_price_usd / (hw.amortization_months * HOURS_PER_MONTH)
        power = hw.power_kw * hw.price_per_kwh_usd
        return amortised + power, (
            f"on-prem node: {hw.node_price_usd:.0f} USD over {hw.amortization_months} months "
            f"+ {hw.power_kw} kW at {hw.price_per_kwh_usd} USD/kWh"
        )
    region = getattr(target, "region", None)
    rows = [instance_price(target.kind, t, region) for t in pool.instance_types]
    if not rows or any(r is None for r in rows):
        return None
    spot = pool.capacity_type == "spot"
    # A pool may mix instance types of one GPU shape: take the dearest (an upper bound);
    # spot at the top of its range, the same price the cost model uses for a ceiling.
    priced = [(r.hourly(pool.capacity_type, "high"), r) for r in rows if r is not None]
    price, row = max(priced, key=lambda p: p[0])
    kind = "spot (top of range)" if spot and row.spot_high is not None else "on-demand list"
    return price, f"{row.type} {kind} price, {row.region} ({catalogue().cite(row.source)})"


def replica_cost(
    target: AwsTarget | GcpTarget | OnPremTarget, pool: GpuPool, gpus_per_replica: int
) -> ReplicaCost | None:
    """GPU share of the nodes one replica occupies, per hour."""
    node = node_hourly_usd(target, pool)
    if node is None:
        return None
    price, basis = node
    _, gpus_per_node = pool_gpu(target, pool)
    share = gpus_per_replica / gpus_per_node
    return ReplicaCost(
        usd_per_hour=round(price * share, 4),
        basis=f"{gpus_per_replica}/{gpus_per_node} of a node; {basis}",
    )
