"""REL-05: in prod, workload replicas spread across zones (on-prem: across nodes)."""

from policy.props import as_list, get
from policy.rules._helpers import workload_pods
from policy.rules.base import Violation, stack_rule

TYPES = (
    "kubernetes:apps/v1:Deployment",
    "kubernetes:apps/v1:StatefulSet",
    "kubernetes:leaderworkerset.x-k8s.io/v1:LeaderWorkerSet",
)
ZONE = "topology.kubernetes.io/zone"
HOST = "kubernetes.io/hostname"


def _spread_keys(spec) -> set[str]:
    keys = {str(get(c, "topologyKey")) for c in as_list(get(spec, "topologySpreadConstraints"))}
    for term in as_list(get(spec, "affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution")):
        keys.add(str(get(term, "topologyKey")))
    for term in as_list(get(spec, "affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution")):
        keys.add(str(get(term, "podAffinityTerm.topologyKey")))
    return keys


@stack_rule(
    id="REL-05",
    title="In prod, workload replicas spread across zones (on-prem: across nodes)",
    severity="medium",
    category="reliability",
    types=TYPES,
    remediation=f"Add topologySpreadConstraints on {ZONE} (cloud targets) or {HOST} (on-prem) with a labelSelector "
    "for the workload's pods.",
    references=("custom",),
)
def enforce_zone_spread(ctx):
    if ctx.settings.environment != "prod":
        return
    for workload in ctx.of_type(*TYPES):
        wanted = {ZONE, HOST} if ctx.target_kind_of(workload) == "onprem" else {ZONE}
        for path, spec in workload_pods(workload):
            if not (_spread_keys(spec) & wanted):
                yield Violation(f"{path}: no topology spread on {' or '.join(sorted(wanted))}", workload.urn)
