"""Per-client cost showback: the stack's monthly cost split over its API clients.

Offline there is no measured usage, so the split is an estimate with two stated steps:

1. Each model carries a share of the stack's whole cost (GPU nodes, control planes, network,
   storage) equal to its share of the serving capacity: the sum over its placements of one
   replica's hourly GPU cost times its maximum replicas (``CostReport.placements``).
2. Within a model, each client allowed it gets a share proportional to its monthly token quota
   (``tokensPerMonth``, prompt + completion): the quota stands in for its usage. When a client
   of the model has no monthly quota, the model's share is split equally among its clients.

A model no client may call stays unallocated. Measured usage per client and model is the
Prometheus series ``gen_ai_client_token_usage_sum`` (the gateway's dashboards); replace the
quota by that measure to turn this estimate into a bill.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

BASIS = (
    "model share = its placements' GPU cost at max replicas / the fleet's; client share of a model = its "
    "tokensPerMonth / the model's clients' (equal split when a client has none)"
)


@dataclass
class ClientCost:
    client: str
    owner: str
    by_model: dict[str, Any] = field(default_factory=dict)
    """Model -> Monthly."""

    def monthly(self, zero: Any) -> Any:
        total = zero
        for value in self.by_model.values():
            total = total + value
        return total


def showback(total: Any, placements: list[Any], clients: list[Mapping[str, Any]], models: list[Mapping[str, Any]],
             zero: Any) -> tuple[list[ClientCost], Any]:
    """(cost per client, unallocated) of ``total`` (a Monthly); ``zero`` is Monthly()."""
    max_replicas: dict[tuple[str, str], int] = {}
    for model in models:
        for placement in model.get("placements") or []:
            replicas = placement.get("replicas") or {}
            max_replicas[(str(model.get("name")), str(placement.get("target")))] = int(replicas.get("max") or 0)
    weights: dict[str, float] = {}
    for p in placements:
        weights[p.model] = weights.get(p.model, 0.0) + p.replica_hourly * max_replicas.get((p.model, p.target), 0)
    fleet = sum(weights.values())
    out = {str(c.get("name")): ClientCost(str(c.get("name")), str(c.get("owner") or "")) for c in clients}
    unallocated = zero
    for model, weight in sorted(weights.items()):
        share = weight / fleet if fleet > 0 else 0.0
        model_cost = total.scaled(share)
        allowed = [c for c in clients if model in (c.get("models") or [])]
        if not allowed:
            unallocated = unallocated + model_cost
            continue
        quotas = [c.get("tokensPerMonth") for c in allowed]
        if all(isinstance(q, (int, float)) and q > 0 for q in quotas):
            parts = [float(q) / float(sum(quotas)) for q in quotas]
        else:
            parts = [1.0 / len(allowed)] * len(allowed)
        for client, part in zip(allowed, parts, strict=True):
            out[str(client.get("name"))].by_model[model] = model_cost.scaled(part)
    return list(out.values()), unallocated
