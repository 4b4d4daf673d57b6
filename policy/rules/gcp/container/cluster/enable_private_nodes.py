"""GKE-01: GKE nodes have private IP addresses only."""

from policy.rules.base import Expect, value_rule

rule = value_rule(
    Expect("privateClusterConfig.enablePrivateNodes", equals=True, insecure=False),
    id="GKE-01",
    title="GKE nodes have private IP addresses only",
    severity="high",
    category="security",
    types=("gcp:container/cluster:Cluster",),
    remediation="Set privateClusterConfig.enablePrivateNodes true (with masterIpv4CidrBlock) and reach the internet through Cloud NAT.",
    references=("CIS GKE 1.6 5.6.5", "CKV_GCP_64", "CKV_GCP_25"),
)
