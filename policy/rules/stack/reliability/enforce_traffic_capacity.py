"""CAP-01: every placement carries its declared peak traffic within its TTFT/ITL SLOs, without idle minimums.

The share of the peak a placement carries follows the routing (policy.capacity.traffic_share); the sizing is
serving.traffic's (the decode model at the operating batch that meets both SLOs)."""

from collections.abc import Mapping

from policy.capacity import placement_plan, placement_sizing, replica_bounds, traffic_share
from policy.props import as_list
from policy.rules.base import Violation, stack_rule
from serving.errors import LlmFleetError

OVERSIZED_FACTOR = 2
"""A minimum above this many times the replicas the peak needs (and above 2, kept for availability) is
paid-for idle capacity."""


@stack_rule(
    id="CAP-01",
    title="Every placement carries its declared peak traffic within its TTFT/ITL SLOs, without idle minimums",
    severity="high",
    category="reliability",
    types=(),
    remediation="Raise replicas.max (or the pool's nodes.max), lower the model's slo or traffic only if they were "
    "wrong, or lower replicas.min to what the peak needs; `llmfleet capacity --model M --gpu G --prompt-tokens P "
    "--output-tokens O --requests-per-second R` shows the sizing.",
    references=("custom",),
)
def enforce_traffic_capacity(ctx):
    settings = ctx.settings
    routing = [r for r in as_list(settings.raw.get("routing")) if isinstance(r, Mapping)]
    for model, placement in settings.placements():
        where = f"models.{model.get('name')} on {placement.get('target')}/{placement.get('pool')}"
        target = settings.target(placement.get("target"))
        pool = next((p for p in settings.pools(target or {}) if p.get("name") == placement.get("pool")), None)
        if target is None or pool is None:
            continue  # REL-01 reports a missing target or pool
        try:
            plan = placement_plan(model, placement, target, pool)
        except LlmFleetError:
            continue  # REL-01 reports it
        if plan is None or not plan.fits:
            continue
        share = traffic_share(routing, model, placement)
        traffic, sizing = placement_sizing(model, plan, share)
        low, high = replica_bounds(placement)
        rate = traffic.peak_requests_per_second
        lengths = f"{traffic.prompt_tokens:,} in / {traffic.output_tokens:,} out"
        slo = model.get("slo") if isinstance(model.get("slo"), Mapping) else {}
        if rate > 0 and not sizing.meets_slo:
            yield Violation(
                f"{where}: no batch meets the SLOs for {lengths}: one stream already takes {sizing.tpot_ms:.1f} "
                f"ms/token (itlP95Ms {slo.get('itlP95Ms')}) and {sizing.ttft_ms:.0f} ms to the first token "
                f"(ttftP95Ms {slo.get('ttftP95Ms')})"
            )
        elif sizing.replicas_needed > high:
            yield Violation(
                f"{where}: peak {rate:.3g} req/s ({share:.0%} of the model's) of {lengths} needs "
                f"{sizing.replicas_needed} replicas within the SLOs ({sizing.requests_per_second_per_replica:.2f} req/s "
                f"each at batch {sizing.batch}, {sizing.tpot_ms:.0f} ms/token, bound by {sizing.limit}); "
                f"replicas.max is {high}"
            )
        if low > max(2, OVERSIZED_FACTOR * sizing.replicas_needed):
            yield Violation(
                f"{where}: replicas.min {low} is more than {OVERSIZED_FACTOR}x the {sizing.replicas_needed} "
                f"replica(s) its peak {rate:.3g} req/s needs: idle GPUs are paid for"
            )
