"""K8S-15: pods stay confined by AppArmor and SELinux (no unconfined profile, no spc_t)."""

from policy.props import as_map, get
from policy.rules._helpers import WORKLOAD_TYPES, workload_containers, workload_pods
from policy.rules.base import resource_rule

APPARMOR_ANNOTATION = "container.apparmor.security.beta.kubernetes.io/"
SELINUX_TYPES = ("container_t", "container_init_t", "container_kvm_t", "container_engine_t")
"""The SELinux types the Pod Security Standard 'baseline' allows; spc_t ("super privileged
container") and unconfined_t switch confinement off."""


def _template_metadata(resource, path: str):
    """Metadata beside a pod spec: 'spec.template.spec' -> 'spec.template.metadata'; a Pod's own."""
    if path == "spec":
        return as_map(get(resource.props, "metadata"))
    if path.endswith(".spec") and "[" not in path:
        return as_map(get(resource.props, path[: -len(".spec")] + ".metadata"))
    return {}


def _context_problems(where: str, context) -> list[str]:
    out = []
    if get(context, "appArmorProfile.type") == "Unconfined":
        out.append(f"{where}: securityContext.appArmorProfile.type is 'Unconfined'; expected RuntimeDefault")
    selinux = get(context, "seLinuxOptions")
    kind = get(selinux, "type")
    if kind and kind not in SELINUX_TYPES:
        out.append(f"{where}: securityContext.seLinuxOptions.type is {kind!r}; expected one of {list(SELINUX_TYPES)}")
    for key in ("user", "role"):
        if get(selinux, key):
            out.append(f"{where}: securityContext.seLinuxOptions.{key} is set; expected unset")
    return out


@resource_rule(
    id="K8S-15",
    title="Pods stay confined by AppArmor and SELinux (no unconfined profile, no spc_t)",
    severity="high",
    category="security",
    types=WORKLOAD_TYPES,
    remediation="Remove 'unconfined' AppArmor annotations and appArmorProfile {type: Unconfined}; leave "
    "seLinuxOptions unset or use a container_t type (never spc_t), without user or role.",
    references=("custom",),
    doc="https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline",
)
def disallow_unconfined_security_modules(resource, ctx):
    for path, spec in workload_pods(resource):
        annotations = as_map(get(_template_metadata(resource, path), "annotations"))
        for key, value in annotations.items():
            if str(key).startswith(APPARMOR_ANNOTATION) and str(value) == "unconfined":
                yield f"{path}: annotation {key} is 'unconfined'; expected runtime/default"
        yield from _context_problems(path, get(spec, "securityContext"))
    for where, _, _, container in workload_containers(resource):
        yield from _context_problems(where, get(container, "securityContext"))
