"""K8S-06: containers set CPU and memory requests and limits."""

from policy.props import get
from policy.rules._helpers import WORKLOAD_TYPES, workload_containers
from policy.rules.base import resource_rule


@resource_rule(
    id="K8S-06",
    title="Containers set CPU and memory requests and limits",
    severity="medium",
    category="reliability",
    types=WORKLOAD_TYPES,
    remediation="Set resources.requests and resources.limits for cpu and memory on every container.",
    references=("CKV_K8S_10", "CKV_K8S_11", "CKV_K8S_12", "CKV_K8S_13"),
)
def configure_resources(resource, ctx):
    for where, _, _, container in workload_containers(resource, ("initContainers", "containers")):
        missing = [
            f"{section}.{name}"
            for section in ("requests", "limits")
            for name in ("cpu", "memory")
            if get(container, ("resources", section, name)) in (None, "")
        ]
        if missing:
            yield f"{where}: resources {', '.join(missing)} not set; expected cpu and memory requests and limits"
