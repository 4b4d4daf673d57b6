"""GKE-06: GKE nodes boot with Secure Boot and integrity monitoring."""

from policy.rules.base import Expect, value_rule

rule = value_rule(
    Expect("nodeConfig.shieldedInstanceConfig.enableSecureBoot", equals=True, insecure=False),
    Expect("nodeConfig.shieldedInstanceConfig.enableIntegrityMonitoring", equals=True, default=True, insecure=False),
    id="GKE-06",
    title="GKE nodes boot with Secure Boot and integrity monitoring",
    severity="medium",
    category="security",
    types=("gcp:container/nodePool:NodePool",),
    remediation="Set nodeConfig.shieldedInstanceConfig = {enableSecureBoot: true, enableIntegrityMonitoring: true}.",
    references=("CIS GKE 1.6 5.5.6", "CIS GKE 1.6 5.5.7", "CKV_GCP_68", "CKV_GCP_72"),
)
