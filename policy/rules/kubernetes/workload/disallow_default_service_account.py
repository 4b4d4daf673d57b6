"""K8S-10: pods run as their own service account, not 'default'."""

from policy.props import get
from policy.rules._helpers import WORKLOAD_TYPES, workload_pods
from policy.rules.base import resource_rule


@resource_rule(
    id="K8S-10",
    title="Pods run as their own service account, not 'default'",
    severity="medium",
    category="security",
    types=WORKLOAD_TYPES,
    remediation="Create a ServiceAccount per workload and set serviceAccountName.",
    references=("CKV_K8S_41", "CKV_K8S_42"),
)
def disallow_default_service_account(resource, ctx):
    for path, spec in workload_pods(resource):
        name = get(spec, "serviceAccountName") or get(spec, "serviceAccount")
        if not name or name == "default":
            yield f"{path}: serviceAccountName is {name!r}; expected a dedicated service account"
