"""GKE-09: GKE node boot disks are encrypted with a Cloud KMS key (CMEK)."""

from policy.rules.base import Expect, value_rule

rule = value_rule(
    Expect("nodeConfig.bootDiskKmsKey", present=True, insecure=""),
    id="GKE-09",
    title="GKE node boot disks are encrypted with a Cloud KMS key (CMEK)",
    severity="medium",
    category="security",
    types=("gcp:container/nodePool:NodePool",),
    remediation="Set nodeConfig.bootDiskKmsKey to a crypto key the Compute Engine service agent may use.",
    references=("CIS GKE 1.6 5.9.2", "custom"),
)
