"""ALB-06: load balancers outside dev have deletion protection."""

from policy.rules._helpers import environment_is_dev
from policy.rules.base import Expect, value_rule

rule = value_rule(
    Expect("enableDeletionProtection", equals=True, insecure=False),
    applies=lambda resource, ctx: not environment_is_dev(ctx),
    id="ALB-06",
    title="Load balancers outside dev have deletion protection",
    severity="low",
    category="reliability",
    types=("aws:lb/loadBalancer:LoadBalancer",),
    remediation="Set enableDeletionProtection true (dev stacks are exempt so they can be torn down).",
    references=("CKV_AWS_150",),
)
