"""ROUTE-02: InferencePools select only model-server pods serving on the pool's target ports."""

from policy.props import get, selector_matches
from policy.rules._pools import POOL, container_ports, place, pod_templates, target_ports, where, workloads_in
from policy.rules.base import Violation, stack_rule


@stack_rule(
    id="ROUTE-02",
    title="InferencePools select only model-server pods serving on the pool's target ports",
    severity="high",
    category="reliability",
    types=(POOL, "kubernetes:*"),
    remediation="Select the server pods by their selector labels (in a LeaderWorkerSet, the leaders only) and set "
    "targetPorts to the server port; the picker, the stager and workers must not match.",
    references=("custom",),
)
def enforce_pool_selects_servers(ctx):
    for pool in ctx.of_type(POOL):
        selector = get(pool.props, "spec.selector") or {}
        if not get(selector, "matchLabels"):
            yield Violation(f"InferencePool {where(pool)}: empty selector selects every pod of the namespace", pool.urn)
            continue
        ports = target_ports(pool)
        members = 0
        for workload in workloads_in(ctx, place(ctx, pool)):
            for path, labels, spec in pod_templates(workload):
                if not selector_matches(selector, labels):
                    continue
                members += 1
                if not ports & container_ports(spec):
                    yield Violation(
                        f"InferencePool {where(pool)} selects {workload.type.rsplit(':', 1)[-1]} {where(workload)} "
                        f"({path}), which serves none of its targetPorts {sorted(ports)}",
                        pool.urn,
                    )
        if members == 0:
            yield Violation(f"InferencePool {where(pool)}: selects no pod of any workload in its namespace", pool.urn)
