"""K8S-03: containers drop ALL capabilities and add none."""

from policy.props import as_list, get
from policy.rules._helpers import WORKLOAD_TYPES, workload_containers
from policy.rules.base import resource_rule


@resource_rule(
    id="K8S-03",
    title="Containers drop ALL capabilities and add none",
    severity="high",
    category="security",
    types=WORKLOAD_TYPES,
    remediation="Set securityContext.capabilities = {drop: ['ALL']} and no add list.",
    references=("CKV_K8S_37", "CKV_K8S_28", "CKV_K8S_25", "CKV_K8S_39"),
    doc="https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted",
)
def enforce_drop_all_capabilities(resource, ctx):
    for where, _, _, container in workload_containers(resource):
        drop = as_list(get(container, "securityContext.capabilities.drop"))
        if "ALL" not in drop:
            yield f"{where}: securityContext.capabilities.drop does not contain 'ALL'; expected ['ALL']"
        add = as_list(get(container, "securityContext.capabilities.add"))
        if add:
            yield f"{where}: securityContext.capabilities.add is {add!r}; expected none"
