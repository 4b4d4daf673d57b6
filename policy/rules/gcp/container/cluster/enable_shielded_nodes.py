"""GKE-07: GKE clusters keep Shielded GKE Nodes on."""

from policy.rules.base import Expect, value_rule

rule = value_rule(
    Expect("enableShieldedNodes", equals=True, default=True, insecure=False),
    id="GKE-07",
    title="GKE clusters keep Shielded GKE Nodes on",
    severity="medium",
    category="security",
    types=("gcp:container/cluster:Cluster",),
    remediation="Leave enableShieldedNodes unset or true.",
    references=("CIS GKE 1.6 5.5.5", "CKV_GCP_71"),
)
