"""ALB-08: GCP HTTPS proxies carry an SSL policy (the default allows TLS 1.0)."""

from policy.rules.base import Expect, value_rule

rule = value_rule(
    Expect("sslPolicy", present=True, insecure=""),
    id="ALB-08",
    title="GCP HTTPS proxies carry an SSL policy (the default allows TLS 1.0)",
    severity="high",
    category="security",
    types=("gcp:compute/targetHttpsProxy:TargetHttpsProxy",),
    remediation="Set sslPolicy to a gcp.compute.SSLPolicy with minTlsVersion 'TLS_1_2'.",
    references=("CKV_GCP_4",),
)
