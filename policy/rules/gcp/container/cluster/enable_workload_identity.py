"""GKE-03: GKE clusters enable Workload Identity."""

from policy.rules.base import Expect, value_rule

rule = value_rule(
    Expect("workloadIdentityConfig.workloadPool", present=True, insecure=""),
    id="GKE-03",
    title="GKE clusters enable Workload Identity",
    severity="high",
    category="security",
    types=("gcp:container/cluster:Cluster",),
    remediation="Set workloadIdentityConfig.workloadPool to '<project>.svc.id.goog'.",
    references=("CIS GKE 1.6 5.2.2", "CKV_GCP_69"),
)
