"""GKE-16: GKE enforces Binary Authorization."""

from policy.rules.base import Expect, value_rule

rule = value_rule(
    Expect("binaryAuthorization.evaluationMode", equals="PROJECT_SINGLETON_POLICY_ENFORCE", insecure="DISABLED"),
    id="GKE-16",
    title="GKE enforces Binary Authorization",
    severity="medium",
    category="security",
    types=("gcp:container/cluster:Cluster",),
    remediation="Set binaryAuthorization.evaluationMode 'PROJECT_SINGLETON_POLICY_ENFORCE' with a project policy "
    "that admits the stack's own registries.",
    references=("CIS GKE 1.6 5.10.4", "CKV_GCP_66"),
)
