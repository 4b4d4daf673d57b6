"""ALB-06: load balancers outside dev have deletion protection."""

from policy.rules._helpers import environment_is_dev
from policy.rules._load_balancers import AWS_LOAD_BALANCER_TYPES
from policy.rules.base import Expect, value_rule

rule = value_rule(
    Expect("enableDeletionProtection", equals=True, insecure=False),
    applies=lambda resource, ctx: not environment_is_dev(ctx),
    id="ALB-06",
    title="Load balancers outside dev have deletion protection",
    severity="low",
    category="reliability",
    types=AWS_LOAD_BALANCER_TYPES,
    remediation="Set enableDeletionProtection true (dev stacks are exempt so they can be torn down).",
    references=("CKV_AWS_150",),
)
