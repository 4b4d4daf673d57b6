"""REL-02: GPU model servers have a startup probe sized for model load, readiness and liveness probes."""

from policy.props import get, gpu_request, number
from policy.rules._helpers import WORKLOAD_TYPES, workload_containers
from policy.rules.base import resource_rule

STARTUP_BUDGET_S = 600  # weights load, profiling and CUDA-graph capture: minutes for large models


def _budget(probe) -> float:
    period = number(get(probe, "periodSeconds")) or 10
    failures = number(get(probe, "failureThreshold")) or 3
    return (number(get(probe, "initialDelaySeconds")) or 0) + period * failures


@resource_rule(
    id="REL-02",
    title="GPU model servers have a startup probe sized for model load, readiness and liveness probes",
    severity="medium",
    category="reliability",
    types=WORKLOAD_TYPES,
    remediation="On the server container: startupProbe httpGet /health with periodSeconds x failureThreshold >= 600 s, "
    "readinessProbe on /health, livenessProbe on /health with failureThreshold >= 3.",
    references=("CKV_K8S_8", "CKV_K8S_9", "custom"),
    doc="https://docs.vllm.ai/en/latest/deployment/k8s.html",
)
def configure_model_server_probes(resource, ctx):
    for where, _, _, container in workload_containers(resource, ("containers",)):
        if not gpu_request(container):
            continue
        startup = get(container, "startupProbe")
        if not startup:
            yield f"{where}: startupProbe is not set; expected one with a budget of at least {STARTUP_BUDGET_S} s"
        elif _budget(startup) < STARTUP_BUDGET_S:
            yield f"{where}: startupProbe allows {_budget(startup):g} s; expected at least {STARTUP_BUDGET_S} s for model load"
        if not get(container, "readinessProbe"):
            yield f"{where}: readinessProbe is not set; expected one"
        liveness = get(container, "livenessProbe")
        if not liveness:
            yield f"{where}: livenessProbe is not set; expected one"
        elif (number(get(liveness, "failureThreshold")) or 3) < 3:
            yield f"{where}: livenessProbe.failureThreshold is {get(liveness, 'failureThreshold')}; expected at least 3"
