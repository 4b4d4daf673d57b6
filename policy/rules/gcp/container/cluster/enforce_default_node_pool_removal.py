"""GKE-18: GKE clusters remove the default node pool (it runs as the Compute default account)."""

from policy.rules.base import Expect, value_rule

rule = value_rule(
    Expect("removeDefaultNodePool", equals=True, insecure=False),
    id="GKE-18",
    title="GKE clusters remove the default node pool (it runs as the Compute default account)",
    severity="medium",
    category="security",
    types=("gcp:container/cluster:Cluster",),
    remediation="Set removeDefaultNodePool true (initialNodeCount 1) and declare every pool as gcp.container.NodePool.",
    references=("CIS GKE 1.6 5.2.1", "custom"),
)
