"""GKE-17: GKE nodes run Container-Optimized OS with containerd."""

from policy.rules.base import Expect, value_rule

rule = value_rule(
    Expect("nodeConfig.imageType", one_of=("COS_CONTAINERD",), default="COS_CONTAINERD", insecure="UBUNTU_CONTAINERD"),
    id="GKE-17",
    title="GKE nodes run Container-Optimized OS with containerd",
    severity="low",
    category="security",
    types=("gcp:container/nodePool:NodePool",),
    remediation="Leave nodeConfig.imageType unset or 'COS_CONTAINERD'.",
    references=("CIS GKE 1.6 5.5.1", "CKV_GCP_22"),
)
