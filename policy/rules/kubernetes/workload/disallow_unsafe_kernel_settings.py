"""K8S-19: pods keep the default /proc mask and set only namespaced, safe sysctls."""

from policy.props import as_list, get
from policy.rules._helpers import WORKLOAD_TYPES, workload_containers, workload_pods
from policy.rules.base import resource_rule

SAFE_SYSCTLS = (
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
    "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
)
"""The sysctls the Pod Security Standard 'baseline' allows (Kubernetes 1.29+): namespaced and
isolated from the node; any other (kernel.core_pattern, vm.*, ...) reaches the host kernel."""


@resource_rule(
    id="K8S-19",
    title="Pods keep the default /proc mask and set only namespaced, safe sysctls",
    severity="high",
    category="security",
    types=WORKLOAD_TYPES,
    remediation="Leave securityContext.procMount unset (Default) and set only the safe sysctls of the Pod Security "
    "Standard 'baseline' in securityContext.sysctls.",
    references=("custom",),
    doc="https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline",
)
def disallow_unsafe_kernel_settings(resource, ctx):
    for path, spec in workload_pods(resource):
        for sysctl in as_list(get(spec, "securityContext.sysctls")):
            name = str(get(sysctl, "name") or "")
            if name not in SAFE_SYSCTLS:
                yield f"{path}: securityContext.sysctls sets {name!r}; expected only the baseline's safe sysctls"
    for where, _, _, container in workload_containers(resource):
        mount = get(container, "securityContext.procMount")
        if mount not in (None, "Default"):
            yield f"{where}: securityContext.procMount is {mount!r}; expected 'Default'"
