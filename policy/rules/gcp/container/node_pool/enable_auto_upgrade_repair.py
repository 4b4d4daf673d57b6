"""GKE-12: GKE node pools auto-upgrade and auto-repair."""

from policy.rules.base import Expect, value_rule

rule = value_rule(
    Expect("management.autoUpgrade", equals=True, default=True, insecure=False),
    Expect("management.autoRepair", equals=True, default=True, insecure=False),
    id="GKE-12",
    title="GKE node pools auto-upgrade and auto-repair",
    severity="medium",
    category="reliability",
    types=("gcp:container/nodePool:NodePool",),
    remediation="Set management = {autoUpgrade: true, autoRepair: true}.",
    references=("CIS GKE 1.6 5.5.2", "CIS GKE 1.6 5.5.3", "CKV_GCP_10", "CKV_GCP_9"),
)
