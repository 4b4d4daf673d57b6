"""GKE-14: GKE clusters have legacy ABAC off."""

from policy.rules.base import Expect, value_rule

rule = value_rule(
    Expect("enableLegacyAbac", equals=False, default=False, insecure=True),
    id="GKE-14",
    title="GKE clusters have legacy ABAC off",
    severity="high",
    category="security",
    types=("gcp:container/cluster:Cluster",),
    remediation="Leave enableLegacyAbac unset or false (RBAC only).",
    references=("CIS GKE 1.6 5.8.3", "CKV_GCP_7"),
)
