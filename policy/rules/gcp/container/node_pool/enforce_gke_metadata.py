"""GKE-04: GKE node pools expose only the GKE metadata server to pods."""

from policy.rules.base import Expect, value_rule

rule = value_rule(
    Expect("nodeConfig.workloadMetadataConfig.mode", equals="GKE_METADATA", insecure="GCE_METADATA"),
    id="GKE-04",
    title="GKE node pools expose only the GKE metadata server to pods",
    severity="high",
    category="security",
    types=("gcp:container/nodePool:NodePool",),
    remediation="Set nodeConfig.workloadMetadataConfig.mode 'GKE_METADATA'.",
    references=("CIS GKE 1.6 5.4.1", "CKV_GCP_69"),
)
