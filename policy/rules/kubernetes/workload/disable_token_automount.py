"""K8S-09: pods do not mount a service-account token automatically."""

from policy.props import get
from policy.rules._helpers import WORKLOAD_TYPES, workload_pods
from policy.rules.base import resource_rule


@resource_rule(
    id="K8S-09",
    title="Pods do not mount a service-account token automatically",
    severity="medium",
    category="security",
    types=WORKLOAD_TYPES,
    remediation="Set automountServiceAccountToken false on the pod spec (Pod Identity, IRSA and Workload Identity "
    "do not need it).",
    references=("CKV_K8S_38",),
)
def disable_token_automount(resource, ctx):
    for path, spec in workload_pods(resource):
        if get(spec, "automountServiceAccountToken") is not False:
            yield f"{path}: automountServiceAccountToken is not false; expected false"
