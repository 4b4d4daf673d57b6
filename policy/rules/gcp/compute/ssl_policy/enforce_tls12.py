"""ALB-07: GCP SSL policies require TLS 1.2+ with a modern profile."""

from policy.rules.base import Expect, value_rule

rule = value_rule(
    Expect("minTlsVersion", one_of=("TLS_1_2", "TLS_1_3"), insecure="TLS_1_0"),
    Expect("profile", one_of=("MODERN", "RESTRICTED", "CUSTOM"), default="COMPATIBLE", insecure="COMPATIBLE"),
    id="ALB-07",
    title="GCP SSL policies require TLS 1.2+ with a modern profile",
    severity="high",
    category="security",
    types=("gcp:compute/sSLPolicy:SSLPolicy",),
    remediation="Set minTlsVersion 'TLS_1_2' and profile 'MODERN' (or 'RESTRICTED').",
    references=("CKV_GCP_4",),
)
