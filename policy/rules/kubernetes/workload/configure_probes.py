"""K8S-11: long-running containers have liveness and readiness probes."""

from policy.props import JOB_TYPES, get
from policy.rules._helpers import WORKLOAD_TYPES, workload_containers
from policy.rules.base import resource_rule


@resource_rule(
    id="K8S-11",
    title="Long-running containers have liveness and readiness probes",
    severity="medium",
    category="reliability",
    types=WORKLOAD_TYPES,
    remediation="Give every container of a long-running workload a readinessProbe and a livenessProbe "
    "(vLLM: httpGet /health).",
    references=("CKV_K8S_8", "CKV_K8S_9"),
)
def configure_probes(resource, ctx):
    if resource.type in JOB_TYPES:
        return  # run-to-completion pods are not probed
    for where, _, _, container in workload_containers(resource, ("containers",)):
        for probe in ("readinessProbe", "livenessProbe"):
            if not get(container, probe):
                yield f"{where}: {probe} is not set; expected one"
