"""Cases for GKE (gcp/container), GCS (gcp/storage, stack/gcp/storage), Cloud KMS (gcp/kms),
Artifact Registry (gcp/artifactregistry) and the GCP load balancer / Cloud Armor rules
(gcp/compute, stack/gcp/compute)."""

import pytest

from tests.policy.harness import Case, cases_params, chain, check, drop, remove, set_

CL, NP = "gcp1-cluster", "gcp1-h100"
B, LOGS = "gcp1-weights", "gcp1-logs"
AR, ARMOR = "gcp1-serving", "gcp1-armor"

CASES = {
    "GKE-01": [
        Case("baseline"),
        Case(
            "public-nodes",
            set_(CL, "privateClusterConfig.enablePrivateNodes", False),
            {CL: ["privateClusterConfig.enablePrivateNodes is false; expected true"]},
        ),
    ],
    "GKE-02": [
        Case("baseline"),
        Case(
            "private-endpoint",
            chain(
                set_(CL, "privateClusterConfig.enablePrivateEndpoint", True), drop(CL, "masterAuthorizedNetworksConfig")
            ),
        ),
        Case(
            "open",
            drop(CL, "masterAuthorizedNetworksConfig"),
            {
                CL: [
                    "the endpoint is public and masterAuthorizedNetworksConfig is not set; expected a private endpoint or authorized networks"
                ]
            },
        ),
        Case(
            "world",
            set_(CL, "masterAuthorizedNetworksConfig.cidrBlocks", [{"cidrBlock": "0.0.0.0/0"}]),
            {CL: ["masterAuthorizedNetworksConfig.cidrBlocks contains '0.0.0.0/0'; expected specific CIDRs"]},
        ),
        Case(
            "empty",
            set_(CL, "masterAuthorizedNetworksConfig.cidrBlocks", []),
            {CL: ["masterAuthorizedNetworksConfig.cidrBlocks is empty on a public endpoint; expected operator CIDRs"]},
        ),
        Case(
            "google-ips",
            set_(CL, "masterAuthorizedNetworksConfig.gcpPublicCidrsAccessEnabled", True),
            {CL: ["masterAuthorizedNetworksConfig.gcpPublicCidrsAccessEnabled is true; expected false"]},
        ),
    ],
    "GKE-03": [
        Case("baseline"),
        Case(
            "off",
            drop(CL, "workloadIdentityConfig"),
            {CL: ["workloadIdentityConfig.workloadPool is not set; expected a value"]},
        ),
    ],
    "GKE-04": [
        Case("baseline"),
        Case(
            "gce-metadata",
            set_(NP, "nodeConfig.workloadMetadataConfig.mode", "GCE_METADATA"),
            {NP: ["nodeConfig.workloadMetadataConfig.mode is 'GCE_METADATA'; expected 'GKE_METADATA'"]},
        ),
    ],
    "GKE-05": [
        Case("baseline"),
        Case(
            "unset",
            drop(NP, "nodeConfig.serviceAccount"),
            {
                NP: [
                    "nodeConfig.serviceAccount is not set (the Compute Engine default); expected a dedicated service account"
                ]
            },
        ),
        Case(
            "compute-default",
            set_(NP, "nodeConfig.serviceAccount", "123-compute@developer.gserviceaccount.com"),
            {
                NP: [
                    "nodeConfig.serviceAccount is '123-compute@developer.gserviceaccount.com' (the Compute Engine default); "
                    "expected a dedicated service account"
                ]
            },
        ),
    ],
    "GKE-06": [
        Case("baseline"),
        Case(
            "no-secure-boot",
            drop(NP, "nodeConfig.shieldedInstanceConfig.enableSecureBoot"),
            {NP: ["nodeConfig.shieldedInstanceConfig.enableSecureBoot is not set; expected true"]},
        ),
        Case(
            "no-integrity",
            set_(NP, "nodeConfig.shieldedInstanceConfig.enableIntegrityMonitoring", False),
            {NP: ["nodeConfig.shieldedInstanceConfig.enableIntegrityMonitoring is false; expected true"]},
        ),
    ],
    "GKE-07": [
        Case("baseline"),
        Case("off", set_(CL, "enableShieldedNodes", False), {CL: ["enableShieldedNodes is false; expected true"]}),
    ],
    "GKE-08": [
        Case("baseline"),
        Case(
            "decrypted",
            set_(CL, "databaseEncryption.state", "DECRYPTED"),
            {CL: ["databaseEncryption.state is 'DECRYPTED'; expected 'ENCRYPTED'"]},
        ),
        Case(
            "missing",
            drop(CL, "databaseEncryption"),
            {
                CL: [
                    "databaseEncryption.state is not set; expected 'ENCRYPTED'",
                    "databaseEncryption.keyName is not set; expected a value",
                ]
            },
        ),
    ],
    "GKE-09": [
        Case("baseline"),
        Case(
            "google-key",
            drop(NP, "nodeConfig.bootDiskKmsKey"),
            {NP: ["nodeConfig.bootDiskKmsKey is not set; expected a value"]},
        ),
    ],
    "GKE-10": [
        Case("baseline"),
        Case(
            "calico",
            chain(drop(CL, "datapathProvider"), set_(CL, "networkPolicy", {"enabled": True, "provider": "CALICO"})),
        ),
        Case(
            "legacy",
            set_(CL, "datapathProvider", "LEGACY_DATAPATH"),
            {
                CL: [
                    "datapathProvider is 'LEGACY_DATAPATH' and networkPolicy is not enabled; expected 'ADVANCED_DATAPATH'"
                ]
            },
        ),
    ],
    "GKE-11": [
        Case("baseline"),
        Case(
            "unspecified",
            set_(CL, "releaseChannel.channel", "UNSPECIFIED"),
            {
                CL: [
                    "releaseChannel.channel is 'UNSPECIFIED'; expected one of ['RAPID', 'REGULAR', 'STABLE', 'EXTENDED']"
                ]
            },
        ),
    ],
    "GKE-12": [
        Case("baseline"),
        Case("defaults-on", drop(NP, "management")),
        Case(
            "no-repair",
            set_(NP, "management.autoRepair", False),
            {NP: ["management.autoRepair is false; expected true"]},
        ),
    ],
    "GKE-13": [
        Case("baseline"),
        Case(
            "logging-none",
            set_(CL, "loggingService", "none"),
            {CL: ["loggingService is 'none'; expected the Cloud Logging/Monitoring Kubernetes service"]},
        ),
        Case(
            "no-system-logs",
            set_(CL, "loggingConfig.enableComponents", ["WORKLOADS"]),
            {CL: ["loggingConfig.enableComponents does not contain 'SYSTEM_COMPONENTS'; expected it"]},
        ),
    ],
    "GKE-14": [
        Case("baseline"),
        Case("abac", set_(CL, "enableLegacyAbac", True), {CL: ["enableLegacyAbac is true; expected false"]}),
    ],
    "GKE-15": [
        Case("baseline"),
        Case(
            "client-cert",
            set_(CL, "masterAuth", {"clientCertificateConfig": {"issueClientCertificate": True}}),
            {CL: ["masterAuth.clientCertificateConfig.issueClientCertificate is true; expected false"]},
        ),
    ],
    "GKE-16": [
        Case("baseline"),
        Case(
            "disabled",
            set_(CL, "binaryAuthorization.evaluationMode", "DISABLED"),
            {CL: ["binaryAuthorization.evaluationMode is 'DISABLED'; expected 'PROJECT_SINGLETON_POLICY_ENFORCE'"]},
        ),
    ],
    "GKE-17": [
        Case("baseline"),
        Case("default-cos", drop(NP, "nodeConfig.imageType")),
        Case(
            "ubuntu",
            set_(NP, "nodeConfig.imageType", "UBUNTU_CONTAINERD"),
            {NP: ["nodeConfig.imageType is 'UBUNTU_CONTAINERD'; expected one of ['COS_CONTAINERD']"]},
        ),
    ],
    "GKE-18": [
        Case("baseline"),
        Case("kept", drop(CL, "removeDefaultNodePool"), {CL: ["removeDefaultNodePool is not set; expected true"]}),
    ],
    "GCS-01": [
        Case("baseline"),
        Case(
            "inherited",
            set_(B, "publicAccessPrevention", "inherited"),
            {B: ["publicAccessPrevention is 'inherited'; expected 'enforced'"]},
        ),
    ],
    "GCS-02": [
        Case("baseline"),
        Case(
            "acls",
            set_(B, "uniformBucketLevelAccess", False),
            {B: ["uniformBucketLevelAccess is false; expected true"]},
        ),
    ],
    "GCS-03": [
        Case("baseline"),
        Case("google-key", drop(B, "encryption"), {B: ["encryption.defaultKmsKeyName is not set; expected a value"]}),
    ],
    "GCS-04": [
        Case("baseline"),
        Case("off", set_(B, "versioning.enabled", False), {B: ["versioning.enabled is false; expected true"]}),
    ],
    "GCS-05": [
        Case("baseline"),
        Case(
            "no-logs",
            drop(B, "logging"),
            {
                B: ["logging.logBucket is not set; expected a log bucket"],
                LOGS: ["logging.logBucket is not set; expected a log bucket"],
            },
        ),
    ],
    "GCS-06": [
        Case("baseline"),
        Case(
            "all-users",
            set_("gcp1-weights-reader", "member", "allUsers"),
            {"gcp1-weights-reader": ["member 'allUsers' makes the bucket public; expected specific principals"]},
        ),
    ],
    "KMS-04": [
        Case("baseline"),
        Case(
            "yearly",
            set_("gcp1-key", "rotationPeriod", "31536000s"),
            {"gcp1-key": ["rotationPeriod is '31536000s'; expected at most '7776000s'"]},
        ),
        Case(
            "never",
            drop("gcp1-key", "rotationPeriod"),
            {"gcp1-key": ["rotationPeriod is not set; expected at most '7776000s'"]},
        ),
    ],
    "KMS-05": [
        Case("baseline"),
        Case(
            "authenticated",
            set_("gcp1-key-gke", "member", "allAuthenticatedUsers"),
            {"gcp1-key-gke": ["member 'allAuthenticatedUsers' makes the key public; expected specific principals"]},
        ),
    ],
    "AR-01": [
        Case("baseline"),
        Case(
            "mutable",
            set_(AR, "dockerConfig.immutableTags", False),
            {AR: ["dockerConfig.immutableTags is false; expected true"]},
        ),
    ],
    "AR-02": [
        Case("baseline"),
        Case(
            "disabled",
            set_(AR, "vulnerabilityScanningConfig.enablementConfig", "DISABLED"),
            {AR: ["vulnerabilityScanningConfig.enablementConfig is 'DISABLED'; expected one of ['INHERITED']"]},
        ),
    ],
    "AR-03": [
        Case("baseline"),
        Case("google-key", drop(AR, "kmsKeyName"), {AR: ["kmsKeyName is not set; expected a value"]}),
    ],
    "AR-04": [
        Case("baseline"),
        Case(
            "public",
            set_("gcp1-serving-reader", "member", "allUsers"),
            {"gcp1-serving-reader": ["member 'allUsers' makes the repository public; expected specific principals"]},
        ),
    ],
    "ALB-07": [
        Case("baseline"),
        Case(
            "tls10",
            set_("gcp1-ssl", "minTlsVersion", "TLS_1_0"),
            {"gcp1-ssl": ["minTlsVersion is 'TLS_1_0'; expected one of ['TLS_1_2', 'TLS_1_3']"]},
        ),
        Case(
            "compatible-default",
            drop("gcp1-ssl", "profile"),
            {"gcp1-ssl": ["profile is 'COMPATIBLE'; expected one of ['MODERN', 'RESTRICTED', 'CUSTOM']"]},
        ),
    ],
    "ALB-08": [
        Case("baseline"),
        Case(
            "no-policy",
            drop("gcp1-https-proxy", "sslPolicy"),
            {"gcp1-https-proxy": ["sslPolicy is not set; expected a value"]},
        ),
    ],
    "ALB-09": [
        Case("baseline"),
        Case(
            "serves-http",
            drop("gcp1-redirect", "defaultUrlRedirect"),
            {
                "gcp1-http-proxy": [
                    "URL map 'gcp1-redirect' serves plain HTTP; expected defaultUrlRedirect.httpsRedirect true"
                ]
            },
        ),
        Case(
            "unknown-map",
            set_("gcp1-http-proxy", "urlMap", "projects/p/global/urlMaps/elsewhere"),
            {
                "gcp1-http-proxy": [
                    "urlMap 'projects/p/global/urlMaps/elsewhere' is not a URL map of this stack; expected an HTTPS-redirect map"
                ]
            },
        ),
    ],
    "ARMOR-01": [
        Case("baseline"),
        Case(
            "internal-backend",
            chain(
                set_("gcp1-backend", "loadBalancingScheme", "INTERNAL_MANAGED"), drop("gcp1-backend", "securityPolicy")
            ),
        ),
        Case(
            "unprotected-backend",
            drop("gcp1-backend", "securityPolicy"),
            {"gcp1-backend": ["external backend service has no securityPolicy; expected a Cloud Armor policy"]},
        ),
        Case(
            "gateway-without-policy",
            remove("gcp1-backend-policy"),
            {
                "gcp1-gke-gateway": [
                    "external GKE Gateway has no GCPBackendPolicy with spec.default.securityPolicy in its cluster"
                ]
            },
        ),
    ],
    "ARMOR-02": [
        Case("baseline"),
        Case(
            "preview-log4j",
            set_(ARMOR, "rules.4.preview", True),
            {
                ARMOR: [
                    "no enforced deny rule with evaluatePreconfiguredWaf('cve-canary-...') (Log4j (CVE-2021-44228)); expected one"
                ]
            },
        ),
        Case(
            "unversioned-name", set_(ARMOR, "rules.4.match.expr.expression", "evaluatePreconfiguredWaf('cve-canary')")
        ),
        Case(
            "no-sqli",
            drop(ARMOR, "rules.0"),
            {ARMOR: ["no enforced deny rule with evaluatePreconfiguredWaf('sqli-...') (SQL injection); expected one"]},
        ),
    ],
    "ARMOR-03": [
        Case("baseline"),
        Case(
            "no-throttle",
            drop(ARMOR, "rules.5"),
            {ARMOR: ["no throttle or rate_based_ban rule with rateLimitOptions; expected a rate limit"]},
        ),
    ],
}


@pytest.mark.parametrize(("rule_id", "case"), cases_params(CASES))
def test_rule_case(rule_id, case):
    check(rule_id, case)
