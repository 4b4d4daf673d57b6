"""ALB-07: GCP SSL policies require TLS 1.2+ with a modern profile."""

from policy.props import as_list, get
from policy.rules.base import Expect, resource_rule

STRONG_CIPHERS = frozenset(
    {
        # Forward secrecy (ECDHE) with an AEAD cipher: the MODERN/RESTRICTED TLS 1.2 suites.
        "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
        "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
        "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
    }
)
CHECKS = (
    Expect("minTlsVersion", one_of=("TLS_1_2", "TLS_1_3"), insecure="TLS_1_0"),
    Expect("profile", one_of=("MODERN", "RESTRICTED", "CUSTOM"), default="COMPATIBLE", insecure="COMPATIBLE"),
)


@resource_rule(
    id="ALB-07",
    title="GCP SSL policies require TLS 1.2+ with a modern profile",
    severity="high",
    category="security",
    types=("gcp:compute/sSLPolicy:SSLPolicy",),
    remediation="Set minTlsVersion 'TLS_1_2' and profile 'MODERN' (or 'RESTRICTED'); a CUSTOM profile may list only "
    "ECDHE suites with AES-GCM or ChaCha20-Poly1305 in customFeatures.",
    references=("CKV_GCP_4",),
    doc="https://cloud.google.com/load-balancing/docs/ssl-policies-concepts",
)
def enforce_tls12(resource, ctx):
    yield from (m for check in CHECKS if (m := check.check(resource.props)))
    if get(resource.props, "profile") == "CUSTOM":
        features = [str(f) for f in as_list(get(resource.props, "customFeatures"))]
        weak = sorted(f for f in features if f not in STRONG_CIPHERS)
        if not features:
            yield "profile is 'CUSTOM' with no customFeatures; expected ECDHE AES-GCM/ChaCha20 suites"
        elif weak:
            yield f"customFeatures include {weak} (no forward secrecy or not AEAD); expected only ECDHE AES-GCM/ChaCha20"
