"""GKE-15: GKE clusters issue no client certificates."""

from policy.rules.base import Expect, value_rule

rule = value_rule(
    Expect("masterAuth.clientCertificateConfig.issueClientCertificate", equals=False, default=False, insecure=True),
    id="GKE-15",
    title="GKE clusters issue no client certificates",
    severity="high",
    category="security",
    types=("gcp:container/cluster:Cluster",),
    remediation="Leave masterAuth.clientCertificateConfig.issueClientCertificate unset or false.",
    references=("CIS GKE 1.6 5.8.1", "CKV_GCP_13"),
)
