"""REL-04: in prod, every long-running workload has a PodDisruptionBudget."""

from policy.props import get, selector_matches
from policy.rules._helpers import is_workload, object_name
from policy.rules.base import Violation, stack_rule

PDB = "kubernetes:policy/v1:PodDisruptionBudget"
SKIP = (
    "kubernetes:batch/v1:Job",
    "kubernetes:batch/v1:CronJob",
    "kubernetes:apps/v1:DaemonSet",
    "kubernetes:core/v1:Pod",
)
LWS = "kubernetes:leaderworkerset.x-k8s.io/v1:LeaderWorkerSet"


def _pod_labels(workload) -> dict:
    if workload.type == LWS:
        labels = dict(get(workload.props, "spec.leaderWorkerTemplate.leaderTemplate.metadata.labels") or {})
        labels["leaderworkerset.sigs.k8s.io/name"] = object_name(workload)
        return labels
    return dict(get(workload.props, "spec.template.metadata.labels") or {})


@stack_rule(
    id="REL-04",
    title="In prod, every long-running workload has a PodDisruptionBudget",
    severity="medium",
    category="reliability",
    types=(PDB, "kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet", LWS),
    remediation="Declare a policy/v1 PodDisruptionBudget selecting the workload's pods (maxUnavailable 1, or "
    "minAvailable = replicas.min - 1).",
    references=("custom",),
)
def missing_pod_disruption_budget(ctx):
    if ctx.settings.environment != "prod":
        return
    pdbs: dict = {}
    for pdb in ctx.of_type(PDB):
        pdbs.setdefault((ctx.cluster_key(pdb), get(pdb.props, "metadata.namespace")), []).append(pdb)
    for type_ in list(ctx.types):
        for workload in ctx.of_type(type_):
            if (
                type_ in SKIP
                or not is_workload(workload)
                or type_ not in ("kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet", LWS)
            ):
                continue
            labels = _pod_labels(workload)
            candidates = pdbs.get((ctx.cluster_key(workload), get(workload.props, "metadata.namespace")), [])
            if not any(
                labels
                and selector_matches(get(p.props, "spec.selector") or {}, labels)
                and (get(p.props, "spec.selector.matchLabels") or get(p.props, "spec.selector.matchExpressions"))
                for p in candidates
            ):
                yield Violation(f"no PodDisruptionBudget selects the pods of {object_name(workload)!r}", workload.urn)
