"""K8S-20: Helm values give no pod host access, privileged mode or privilege escalation."""

from policy.props import as_list, get, is_list, is_map
from policy.rules.base import resource_rule

HOST_KEYS = ("hostNetwork", "hostPID", "hostIPC", "privileged", "allowPrivilegeEscalation")
"""Pod and container settings that, true, give the pod the node (the chart passes values into its pod specs)."""
DANGEROUS_CAPABILITIES = {"ALL", "SYS_ADMIN", "NET_ADMIN", "SYS_PTRACE", "SYS_MODULE", "DAC_READ_SEARCH", "BPF"}


def _walk(node, path):
    if is_map(node):
        for key in node:
            value = node[key]
            where = f"{path}.{key}"
            if key in HOST_KEYS and value is True:
                yield f"{where} is true; expected false or unset"
            elif key == "hostPort" and value:
                yield f"{where} is {value}; expected none"
            elif key == "add" and path.endswith("capabilities"):
                added = sorted({str(c).upper().removeprefix("CAP_") for c in as_list(value)} & DANGEROUS_CAPABILITIES)
                if added:
                    yield f"{where} adds {added}; expected none"
            else:
                yield from _walk(value, where)
    elif is_list(node):
        for index, item in enumerate(as_list(node)):
            yield from _walk(item, f"{path}[{index}]")


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
    yield from _walk(get(resource.props, "values") or {}, "values")
