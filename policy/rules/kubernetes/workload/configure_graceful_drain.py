"""REL-03: GPU model servers drain in-flight requests before they stop."""

import re

from policy.props import as_list, get, gpu_request, number
from policy.rules._helpers import WORKLOAD_TYPES, workload_containers
from policy.rules.base import resource_rule

MARGIN_S = 15


def _sleep_seconds(pre_stop) -> float:
    seconds = number(get(pre_stop, "sleep.seconds"))
    if seconds is not None:
        return seconds
    command = " ".join(str(c) for c in as_list(get(pre_stop, "exec.command")))
    match = re.search(r"sleep\s+([0-9.]+)", command)
    return float(match.group(1)) if match else 0.0


def _shutdown_timeout(container) -> float:
    args = [str(a) for a in as_list(get(container, "command")) + as_list(get(container, "args"))]
    for index, arg in enumerate(args):
        if arg.startswith("--shutdown-timeout="):
            return number(arg.split("=", 1)[1]) or 0.0
        if arg == "--shutdown-timeout" and index + 1 < len(args):
            return number(args[index + 1]) or 0.0
    return 0.0


@resource_rule(
    id="REL-03",
    title="GPU model servers drain in-flight requests before they stop",
    severity="medium",
    category="reliability",
    types=WORKLOAD_TYPES,
    remediation="Give the server a lifecycle.preStop sleep (endpoints leave the load balancer) and vLLM a "
    "--shutdown-timeout; terminationGracePeriodSeconds >= preStop + shutdown timeout + 15 s.",
    references=("custom",),
)
def configure_graceful_drain(resource, ctx):
    for where, spec, _, container in workload_containers(resource, ("containers",)):
        if not gpu_request(container):
            continue
        pre_stop = get(container, "lifecycle.preStop")
        if not pre_stop:
            yield f"{where}: lifecycle.preStop is not set; expected a sleep so the endpoint is removed before shutdown"
            continue
        grace = number(get(spec, "terminationGracePeriodSeconds"))
        grace = 30.0 if grace is None else grace
        needed = _sleep_seconds(pre_stop) + _shutdown_timeout(container) + MARGIN_S
        if grace < needed:
            yield f"{where}: terminationGracePeriodSeconds is {grace:g}; expected at least {needed:g} (preStop + shutdown timeout + {MARGIN_S} s)"
