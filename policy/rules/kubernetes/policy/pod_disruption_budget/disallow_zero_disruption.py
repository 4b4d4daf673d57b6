"""REL-08: PodDisruptionBudgets allow voluntary disruption."""

from policy.props import get
from policy.rules.base import resource_rule


def _zero(value) -> bool:
    return str(value).strip() in ("0", "0%")


@resource_rule(
    id="REL-08",
    title="PodDisruptionBudgets allow voluntary disruption",
    severity="medium",
    category="reliability",
    types=("kubernetes:policy/v1:PodDisruptionBudget",),
    remediation="Use maxUnavailable 1 (or minAvailable below the replica count): a budget that allows no "
    "disruption blocks node drains, upgrades and GPU node consolidation forever.",
    references=("custom",),
    doc="https://kubernetes.io/docs/tasks/run-application/configure-pdb/",
)
def disallow_zero_disruption(resource, ctx):
    spec = get(resource.props, "spec") or {}
    if "maxUnavailable" in spec and _zero(spec["maxUnavailable"]):
        yield f"maxUnavailable is {spec['maxUnavailable']!r}; expected at least 1"
    if str(spec.get("minAvailable", "")).strip() == "100%":
        yield "minAvailable is '100%'; expected fewer than all pods"
