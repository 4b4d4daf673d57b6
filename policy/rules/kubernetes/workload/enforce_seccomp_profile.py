"""K8S-04: containers run under the RuntimeDefault (or a Localhost) seccomp profile."""

from policy.props import effective, get
from policy.rules._helpers import WORKLOAD_TYPES, workload_containers
from policy.rules.base import resource_rule


@resource_rule(
    id="K8S-04",
    title="Containers run under the RuntimeDefault (or a Localhost) seccomp profile",
    severity="medium",
    category="security",
    types=WORKLOAD_TYPES,
    remediation="Set securityContext.seccompProfile.type 'RuntimeDefault' on the pod.",
    references=("CKV_K8S_31",),
    doc="https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted",
)
def enforce_seccomp_profile(resource, ctx):
    for where, spec, _, container in workload_containers(resource):
        profile = effective(container, spec, "seccompProfile")
        kind = get(profile, "type") if profile else None
        if kind not in ("RuntimeDefault", "Localhost"):
            yield f"{where}: securityContext.seccompProfile.type is {kind!r}; expected 'RuntimeDefault'"
