"""K8S-02: containers are not privileged and cannot escalate privileges."""

from policy.props import get
from policy.rules._helpers import WORKLOAD_TYPES, workload_containers
from policy.rules.base import resource_rule


@resource_rule(
    id="K8S-02",
    title="Containers are not privileged and cannot escalate privileges",
    severity="high",
    category="security",
    types=WORKLOAD_TYPES,
    remediation="Set securityContext.allowPrivilegeEscalation false on every container and never privileged: true.",
    references=("CKV_K8S_20", "CKV_K8S_16"),
    doc="https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted",
)
def disallow_privilege_escalation(resource, ctx):
    for where, _, _, container in workload_containers(resource):
        if get(container, "securityContext.allowPrivilegeEscalation") is not False:
            yield f"{where}: securityContext.allowPrivilegeEscalation is not false; expected false"
        if get(container, "securityContext.privileged") is True:
            yield f"{where}: securityContext.privileged is true; expected false"
