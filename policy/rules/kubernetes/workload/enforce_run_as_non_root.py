"""K8S-01: containers run as non-root with a non-zero UID."""

from policy.props import effective
from policy.rules._helpers import WORKLOAD_TYPES, workload_containers
from policy.rules.base import resource_rule


@resource_rule(
    id="K8S-01",
    title="Containers run as non-root with a non-zero UID",
    severity="high",
    category="security",
    types=WORKLOAD_TYPES,
    remediation="Set securityContext.runAsNonRoot true and runAsUser to a non-zero UID (the vLLM image's user is 2000) "
    "on the pod or every container.",
    references=("CKV_K8S_23", "CKV_K8S_40"),
    doc="https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted",
)
def enforce_run_as_non_root(resource, ctx):
    for where, spec, _, container in workload_containers(resource):
        if effective(container, spec, "runAsNonRoot") is not True:
            yield f"{where}: securityContext.runAsNonRoot is not true; expected true"
        if effective(container, spec, "runAsUser") == 0:
            yield f"{where}: securityContext.runAsUser is 0; expected a non-zero UID"
