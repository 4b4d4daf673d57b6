"""K8S-08: pods use no hostPath volumes or host ports and share no host namespaces."""

from policy.props import as_list, container_label, containers, get
from policy.rules._helpers import WORKLOAD_TYPES, workload_pods
from policy.rules.base import resource_rule


@resource_rule(
    id="K8S-08",
    title="Pods use no hostPath volumes or host ports and share no host namespaces",
    severity="high",
    category="security",
    types=WORKLOAD_TYPES,
    remediation="Remove hostPath volumes (use emptyDir, PVCs or CSI volumes), hostNetwork/hostPID/hostIPC and "
    "ports[].hostPort (reach pods through a Service and the gateway).",
    references=("CKV_K8S_19", "CKV_K8S_17", "CKV_K8S_18", "CKV_K8S_26", "custom"),
)
def disallow_host_access(resource, ctx):
    for path, spec in workload_pods(resource):
        for key in ("hostNetwork", "hostPID", "hostIPC"):
            if get(spec, key) is True:
                yield f"{path}: {key} is true; expected false"
        for volume in as_list(get(spec, "volumes")):
            if get(volume, "hostPath") is not None:
                yield f"{path}: volume {get(volume, 'name')!r} is a hostPath; expected none"
        if get(spec, "securityContext.windowsOptions.hostProcess") is True:
            yield f"{path}: securityContext.windowsOptions.hostProcess is true; expected false"
        for kind, container in containers(spec):
            if get(container, "securityContext.windowsOptions.hostProcess") is True:
                yield f"{path}: {container_label(kind, container)} runs as a Windows host process; expected not"
            for port in as_list(get(container, "ports")):
                if get(port, "hostPort"):
                    yield (
                        f"{path}: {container_label(kind, container)} port {get(port, 'containerPort')} has hostPort "
                        f"{get(port, 'hostPort')}; expected none"
                    )
