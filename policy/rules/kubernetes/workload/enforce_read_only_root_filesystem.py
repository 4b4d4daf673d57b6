"""K8S-05: containers have a read-only root filesystem."""

from policy.props import get
from policy.rules._helpers import WORKLOAD_TYPES, workload_containers
from policy.rules.base import resource_rule


@resource_rule(
    id="K8S-05",
    title="Containers have a read-only root filesystem",
    severity="medium",
    category="security",
    types=WORKLOAD_TYPES,
    remediation="Set securityContext.readOnlyRootFilesystem true and mount emptyDirs where the process writes "
    "(vLLM: /tmp, HOME, caches, and /dev/shm as a Memory emptyDir).",
    references=("CKV_K8S_22",),
)
def enforce_read_only_root_filesystem(resource, ctx):
    for where, _, _, container in workload_containers(resource):
        if get(container, "securityContext.readOnlyRootFilesystem") is not True:
            yield f"{where}: securityContext.readOnlyRootFilesystem is not true; expected true"
