"""K8S-20: Helm values give no pod host access, privileged mode or privilege escalation."""

from policy.props import as_list, get
from policy.rules._walk import find_keyed
from policy.rules.base import resource_rule

HOST_KEYS = ("hostNetwork", "hostPID", "hostIPC", "privileged", "allowPrivilegeEscalation")
"""Pod and container settings that, true, give the pod the node (the chart passes values into its pod specs)."""
DANGEROUS_CAPABILITIES = {"ALL", "SYS_ADMIN", "NET_ADMIN", "SYS_PTRACE", "SYS_MODULE", "DAC_READ_SEARCH", "BPF"}


def _judged(path, key, value) -> bool:
    """The settings this rule reads; a capabilities.add list is judged whole, even when it adds nothing dangerous."""
    return (
        (key in HOST_KEYS and value is True)
        or (key == "hostPort" and bool(value))
        or (key == "add" and path.endswith("capabilities.add"))
    )


@resource_rule(
    id="K8S-20",
    title="Helm values give no pod host access, privileged mode or privilege escalation",
    severity="high",
    category="security",
    types=("kubernetes:helm.sh/v3:Release", "kubernetes:helm.sh/v4:Chart"),
    remediation="Leave hostNetwork/hostPID/hostIPC, privileged, allowPrivilegeEscalation, hostPort and added "
    "capabilities at the chart's defaults; a chart whose defaults need host access (GPU Operator) runs in a "
    "namespace with a justified Pod Security exception (K8S-13), and its values do not widen it.",
    references=("CKV_K8S_16", "CKV_K8S_19", "custom"),
)
def disallow_privileged_pod_values(resource, ctx):
    for where, key, value in find_keyed(get(resource.props, "values") or {}, _judged, "values"):
        if key == "hostPort":
            yield f"{where} is {value}; expected none"
        elif key == "add":
            added = sorted({str(c).upper().removeprefix("CAP_") for c in as_list(value)} & DANGEROUS_CAPABILITIES)
            if added:
                yield f"{where} adds {added}; expected none"
        else:
            yield f"{where} is true; expected false or unset"
