"""ROUTE-01: InferencePool endpoint pickers are pinned by digest, and highly available in prod."""

from policy.props import as_list, get, image_pinned
from policy.rules._pools import DEPLOYMENT, POOL, SERVICE, picker_deployments, where
from policy.rules.base import Violation, stack_rule

HA_FLAG = "--ha-enable-leader-election"
MIN_REPLICAS = 2


@stack_rule(
    id="ROUTE-01",
    title="InferencePool endpoint pickers are pinned by digest, and highly available in prod",
    severity="high",
    category="reliability",
    types=(POOL, SERVICE, DEPLOYMENT),
    remediation="Run the pool's picker (endpointPickerRef: a Service backed by a Deployment) from an image "
    "pinned by digest; in prod with at least 2 replicas and --ha-enable-leader-election (only the leader serves, "
    "so the prefix state stays whole).",
    references=("custom",),
)
def enforce_pinned_available_picker(ctx):
    prod = ctx.settings.environment == "prod"
    for pool in ctx.of_type(POOL):
        pickers = picker_deployments(ctx, pool)
        if not pickers:
            yield Violation(
                f"InferencePool {where(pool)}: endpointPickerRef "
                f"{get(pool.props, 'spec.endpointPickerRef.name')!r} names no Service backed by a Deployment "
                "in the Plan",
                pool.urn,
            )
            continue
        for picker in pickers:
            containers = as_list(get(picker.props, "spec.template.spec.containers"))
            for container in containers:
                image = str(get(container, "image") or "")
                if not image_pinned(image):
                    yield Violation(
                        f"picker {where(picker)} of InferencePool {where(pool)}: image {image!r} is not pinned by "
                        "digest",
                        picker.urn,
                    )
            if not prod:
                continue
            replicas = get(picker.props, "spec.replicas")
            if not isinstance(replicas, int) or replicas < MIN_REPLICAS:
                yield Violation(
                    f"picker {where(picker)} of InferencePool {where(pool)}: replicas {replicas!r}; expected >= "
                    f"{MIN_REPLICAS} in prod",
                    picker.urn,
                )
            if not any(HA_FLAG in [str(a) for a in as_list(get(c, "args"))] for c in containers):
                yield Violation(
                    f"picker {where(picker)} of InferencePool {where(pool)}: no {HA_FLAG}; replicas without "
                    "leader election split the prefix-cache state",
                    picker.urn,
                )
