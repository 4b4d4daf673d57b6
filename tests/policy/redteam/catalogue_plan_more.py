"""More Plan mutations, second round: quieter ways to reach the same risks (a header that skips
the WAF, an OIDC trust for every service account, exposure set in Helm values rather than in a
Service, logs that keep the API key, an IRSA-style wildcard...)."""

from __future__ import annotations

from typing import Any

from tests.policy.redteam.catalogue_plan import (
    ALB,
    ARMOR,
    BUCKET_POLICY,
    GCP_BUDGET,
    GCS,
    GKE,
    GKE_POOL,
    LOG_GROUP,
    NETPOL,
    QUEUE_POLICY,
    ROLE,
    SA_EMAIL,
    SA_MEMBER,
    SERVER_ROLE,
    WAF,
    _project_member,
    _values,
)
from tests.policy.redteam.edits import (
    ACCOUNT,
    AWS,
    AWS_BUDGET_TYPE,
    COST,
    EDGE,
    ENCRYPTION,
    IDENTITY,
    NETWORK,
    PROJECT,
    SECRETS,
    SUPPLY,
    WORKLOADS,
    Doc,
    Mutation,
    add,
    add_statement,
    doc,
    drop,
    k8s,
    on,
    put,
)

OIDC = "oidc.eks.us-east-1.amazonaws.com/id/19228EE83E84878E4C6D3B028B659781"
WAF_LOGGING = "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration"
ROUTE = "aws:ec2/route:Route"


def _waf_first(rule: Doc) -> Any:
    def change(p: Doc) -> None:
        for r in p["rules"]:
            r["priority"] += 1
        p["rules"].insert(0, rule)

    return on(WAF, "aws-use1-edge-waf", change)


def _visibility(name: str) -> Doc:
    return {"metricName": name, "sampledRequestsEnabled": True, "cloudwatchMetricsEnabled": True}


def _header_match(header: str, value: str) -> Doc:
    return {
        "byteMatchStatement": {
            "searchString": value,
            "positionalConstraint": "EXACTLY",
            "fieldToMatch": {"singleHeader": {"name": header}},
            "textTransformations": [{"priority": 0, "type": "NONE"}],
        }
    }


M = Mutation
PLAN_MUTATIONS_MORE: list[Mutation] = [
    M(
        "ID-30",
        IDENTITY,
        "CKV_AWS_60 (federated trust)",
        "OIDC trust lets every service account of the cluster assume the server role",
        put(
            ROLE,
            SERVER_ROLE,
            "assumeRolePolicy",
            doc(
                {
                    "Effect": "Allow",
                    "Principal": {"Federated": f"arn:aws:iam::{ACCOUNT}:oidc-provider/{OIDC}"},
                    "Action": "sts:AssumeRoleWithWebIdentity",
                    "Condition": {"StringLike": {f"{OIDC}:sub": "system:serviceaccount:*:*"}},
                }
            ),
        ),
    ),
    M(
        "ID-31",
        IDENTITY,
        "CKV_AWS_60 (federated trust)",
        "GitHub OIDC trust for any repository assumes the stager role",
        put(
            ROLE,
            "aws-use1-identities-llama-8b-stager",
            "assumeRolePolicy",
            doc(
                {
                    "Effect": "Allow",
                    "Principal": {
                        "Federated": f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"
                    },
                    "Action": "sts:AssumeRoleWithWebIdentity",
                    "Condition": {"StringLike": {"token.actions.githubusercontent.com:sub": "repo:*"}},
                }
            ),
        ),
    ),
    M(
        "ID-32",
        IDENTITY,
        "CKV_AWS_273 / CKV_AWS_40",
        "an IAM user with a long-lived access key and AdministratorAccess for CI",
        lambda plan: [
            e(plan)
            for e in (
                add((ROLE, SERVER_ROLE), "aws:iam/user:User", "aws-use1-ci", {"name": "llm-fleet-ci"}),
                add((ROLE, SERVER_ROLE), "aws:iam/accessKey:AccessKey", "aws-use1-ci-key", {"user": "llm-fleet-ci"}),
                add(
                    (ROLE, SERVER_ROLE),
                    "aws:iam/userPolicyAttachment:UserPolicyAttachment",
                    "aws-use1-ci-admin",
                    {"user": "llm-fleet-ci", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"},
                ),
            )
        ],
    ),
    M(
        "ID-33",
        IDENTITY,
        "CKV_AWS_33 (grants)",
        "KMS grant lets a foreign account decrypt with the weights key",
        add(
            ("aws:kms/key:Key", "aws-use1-keys-s3"),
            "aws:kms/grant:Grant",
            "aws-use1-keys-s3-partner",
            {
                "keyId": "f5e2503d-9586-f447-27b4-b8e729af8f25",
                "granteePrincipal": "arn:aws:iam::999988887777:root",
                "operations": ["Decrypt", "DescribeKey"],
            },
        ),
    ),
    M(
        "ID-34",
        IDENTITY,
        "confused deputy (aws:SourceArn/SourceAccount)",
        "queue accepts SendMessage from any EventBridge rule of any account",
        add_statement(
            QUEUE_POLICY,
            "aws-use1-karpenter-interruptions",
            {
                "Sid": "AnyEventBridge",
                "Effect": "Allow",
                "Principal": {"Service": "events.amazonaws.com"},
                "Action": "sqs:SendMessage",
                "Resource": f"arn:aws:sqs:us-east-1:{ACCOUNT}:llm-fleet-prod-aws-use1-karpenter",
            },
        ),
    ),
    M(
        "ID-35",
        IDENTITY,
        "CKV_AWS_379",
        "TLS-only deny statement inverted (denies HTTPS, allows plain HTTP)",
        on(
            BUCKET_POLICY,
            "aws-use1-storage-weights-policy",
            lambda p: p.__setitem__(
                "policy", p["policy"].replace('"aws:SecureTransport": "false"', '"aws:SecureTransport": "true"')
            ),
        ),
    ),
    M(
        "GID-13",
        IDENTITY,
        "CIS GKE 5.2.2 (Workload Identity)",
        "workloadIdentityUser at project level: the KSA may impersonate every GSA",
        _project_member(
            "gcp-usc1-wi-everything",
            "roles/iam.workloadIdentityUser",
            f"serviceAccount:{PROJECT}.svc.id.goog[llm-llama-8b/llama-8b-server]",
        ),
    ),
    M(
        "GID-14",
        IDENTITY,
        "CIS GKE 5.2.2 (Workload Identity)",
        "the default KSA of the default namespace may impersonate the server GSA",
        add(
            (SA_MEMBER, "gcp-usc1-wi-llama-8b-server"),
            SA_MEMBER,
            "gcp-usc1-wi-default",
            {
                "serviceAccountId": f"projects/{PROJECT}/serviceAccounts/{SA_EMAIL}",
                "role": "roles/iam.workloadIdentityUser",
                "member": f"serviceAccount:{PROJECT}.svc.id.goog[default/default]",
            },
        ),
    ),
    M(
        "GID-15",
        IDENTITY,
        "CIS GCP 1.4 (user-managed service account keys)",
        "a JSON key created for the server GSA",
        add(
            (SA_MEMBER, "gcp-usc1-wi-llama-8b-server"),
            "gcp:serviceaccount/key:Key",
            "gcp-usc1-server-key",
            {"serviceAccountId": SA_EMAIL, "keyAlgorithm": "KEY_ALG_RSA_2048"},
        ),
    ),
    M(
        "GID-16",
        IDENTITY,
        "CKV_GCP_44 (KMS separation of duties)",
        "the server GSA administers the weights key",
        add(
            ("gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember", "gcp-usc1-kms-weights-gcs"),
            "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember",
            "gcp-usc1-kms-weights-server-admin",
            {
                "cryptoKeyId": f"projects/{PROJECT}/locations/us-central1/keyRings/gcp-usc1-kms-ring/cryptoKeys/weights",
                "role": "roles/cloudkms.admin",
                "member": f"serviceAccount:{SA_EMAIL}",
            },
        ),
    ),
    M(
        "NET-35",
        NETWORK,
        "CIS EKS 4.x (instance metadata)",
        "server egress NetworkPolicy no longer excludes the instance metadata range",
        on(
            NETPOL,
            "aws-use1-llama-8b-netpol-server",
            lambda p: p["spec"]["egress"][0]["to"][0]["ipBlock"].pop("except"),
        ),
    ),
    M(
        "NET-36",
        NETWORK,
        "kubernetes-core-v1-service-disallow-load-balancer (chart values)",
        "Grafana exposed through a LoadBalancer set in Helm values",
        _values(
            "aws-use1-ops-kube-prometheus-stack",
            lambda v: v["grafana"].__setitem__("service", {"type": "LoadBalancer"}),
        ),
    ),
    M(
        "NET-37",
        NETWORK,
        "kubernetes-core-v1-service-disallow-load-balancer (gateway)",
        "AWS gateway proxies get their own public LoadBalancer, bypassing the ALB and its WAF",
        put(
            "kubernetes:gateway.envoyproxy.io/v1alpha1:EnvoyProxy",
            "aws-use1-gateway-envoy-proxy",
            "spec.provider.kubernetes.envoyService",
            {
                "type": "LoadBalancer",
                "annotations": {"service.beta.kubernetes.io/aws-load-balancer-scheme": "internet-facing"},
            },
        ),
    ),
    M(
        "NET-38",
        NETWORK,
        "CKV_AWS_232 (NACL)",
        "network ACL rule admits SSH from the internet",
        add(
            ("aws:ec2/subnet:Subnet", "aws-use1-network-private-0"),
            "aws:ec2/networkAclRule:NetworkAclRule",
            "aws-use1-nacl-ssh",
            {
                "networkAclId": "acl-0a1b2c3d",
                "ruleNumber": 100,
                "egress": False,
                "protocol": "tcp",
                "ruleAction": "allow",
                "cidrBlock": "0.0.0.0/0",
                "fromPort": 22,
                "toPort": 22,
            },
        ),
    ),
    M(
        "NET-39",
        NETWORK,
        "CIS AWS 5.x (private subnets)",
        "a private route table sends 0.0.0.0/0 straight to the internet gateway",
        on(
            ROUTE,
            "aws-use1-network-private-0-default",
            lambda p: (p.pop("natGatewayId"), p.__setitem__("gatewayId", "aws-use1-network-igw-5b1f")),
        ),
    ),
    M(
        "NET-40",
        NETWORK,
        "CIS K8s 5.1.x (anonymous)",
        "view ClusterRole bound to system:unauthenticated",
        k8s(
            AWS,
            "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding",
            "aws-use1-anonymous-view",
            {
                "metadata": {"name": "anonymous-view"},
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"},
                "subjects": [
                    {"kind": "Group", "name": "system:unauthenticated", "apiGroup": "rbac.authorization.k8s.io"}
                ],
            },
        ),
    ),
    M(
        "EDGE-31",
        EDGE,
        "AWS WAF rule order",
        "requests with header x-internal: 1 are allowed before any managed rule",
        _waf_first(
            {
                "name": "internal-bypass",
                "priority": 0,
                "action": {"allow": {}},
                "statement": _header_match("x-internal", "1"),
                "visibilityConfig": _visibility("internal-bypass"),
            }
        ),
    ),
    M(
        "EDGE-32",
        EDGE,
        "Cloud Armor rule order",
        "requests with a debug header are allowed before the WAF rules",
        on(
            ARMOR,
            "gcp-usc1-edge-armor",
            lambda p: p["rules"].insert(
                0,
                {
                    "action": "allow",
                    "priority": 10,
                    "description": "debug",
                    "match": {"expr": {"expression": "request.headers['x-debug'] == 'on'"}},
                },
            ),
        ),
    ),
    M(
        "EDGE-33",
        EDGE,
        "Cloud Armor preconfigured WAF (JSON bodies)",
        "JSON parsing disabled: the WAF no longer inspects JSON request bodies",
        put(ARMOR, "gcp-usc1-edge-armor", "advancedOptionsConfig.jsonParsing", "DISABLED"),
    ),
    M(
        "EDGE-34",
        EDGE,
        "CKV_AWS_176 (WAF logging)",
        "WAF logging filter drops every record",
        put(
            WAF_LOGGING,
            "aws-use1-edge-waf-logs",
            "loggingFilter",
            {
                "defaultBehavior": "DROP",
                "filters": [
                    {
                        "behavior": "DROP",
                        "requirement": "MEETS_ANY",
                        "conditions": [{"actionCondition": {"action": "ALLOW"}}],
                    }
                ],
            },
        ),
    ),
    M(
        "EDGE-35",
        EDGE,
        "CKV2_AWS_28 (ALB behind WAF)",
        "WAF associated with some other load balancer than the edge ALB",
        put(
            "aws:wafv2/webAclAssociation:WebAclAssociation",
            "aws-use1-edge-waf",
            "resourceArn",
            f"arn:aws:elasticloadbalancing:us-east-1:{ACCOUNT}:loadbalancer/app/legacy/0123456789abcdef",
        ),
    ),
    M(
        "EDGE-36",
        EDGE,
        "X-Forwarded-For spoofing",
        "ALB passes the client's X-Forwarded-For through unchanged",
        put(ALB, "aws-use1-edge", "xffHeaderProcessingMode", "preserve"),
    ),
    M(
        "S-13",
        SECRETS,
        "secrets in logs (WAF redacted fields)",
        "WAF logs keep the Authorization and x-api-key headers",
        drop(WAF_LOGGING, "aws-use1-edge-waf-logs", "redactedFields"),
    ),
    M(
        "S-14",
        SECRETS,
        "CKV_SECRET (Slack webhook)",
        "Alertmanager Slack webhook URL in Helm values",
        _values(
            "dc1-ops-kube-prometheus-stack",
            lambda v: v["alertmanager"].__setitem__(
                "config",
                {
                    "receivers": [
                        {
                            "name": "slack",
                            "slack_configs": [
                                {
                                    "api_url": "https://hooks.slack.com/services/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"
                                }
                            ],
                        }
                    ]
                },
            ),
        ),
        planted="4fQk2LmP7xZ4Rt2Wc9Hn5Kd3",
    ),
    M(
        "S-15",
        SECRETS,
        "CKV_SECRET (token in metadata)",
        "Grafana service-account token in a dashboard ConfigMap annotation",
        on(
            "kubernetes:core/v1:ConfigMap",
            "aws-use1-ops-fleet-dashboard",
            lambda p: (
                p["metadata"]
                .setdefault("annotations", {})
                .__setitem__("grafana.example.com/api-token", "glsa_" + "Zx81Qm4Lt7Rb2Wc9Hn5Kd3Fv6Jp0Ys1G_8e4f2a1c")
            ),
        ),
        planted="Zx81Qm4Lt7Rb2Wc9Hn5Kd3Fv6Jp0Ys1G",
    ),
    M(
        "S-16",
        SECRETS,
        "Helm values (Grafana anonymous admin)",
        "Grafana anonymous access with the Admin role",
        _values(
            "aws-use1-ops-kube-prometheus-stack",
            lambda v: v["grafana"].__setitem__(
                "grafana.ini", {"auth.anonymous": {"enabled": True, "org_role": "Admin"}}
            ),
        ),
    ),
    M(
        "K-31",
        WORKLOADS,
        "CIS K8s 5.1.6 (service account tokens)",
        "long-lived token Secret for the model server SA",
        k8s(
            AWS,
            "kubernetes:core/v1:Secret",
            "aws-use1-llama-8b-sa-token",
            {
                "metadata": {
                    "name": "llama-8b-server-token",
                    "namespace": "llm-llama-8b",
                    "annotations": {"kubernetes.io/service-account.name": "llama-8b-server"},
                },
                "type": "kubernetes.io/service-account-token",
            },
        ),
    ),
    M(
        "K-32",
        WORKLOADS,
        "CKV_K8S_25 / CKV_K8S_37",
        "model server adds ALL capabilities",
        on(
            "kubernetes:apps/v1:Deployment",
            "gcp-usc1-llama-8b-server",
            lambda p: p["spec"]["template"]["spec"]["containers"][0]["securityContext"].__setitem__(
                "capabilities", {"add": ["ALL"]}
            ),
        ),
    ),
    M(
        "SC-19",
        SUPPLY,
        "CKV_GCP_10",
        "GPU pool auto-upgrade off (no node security patches)",
        put(GKE_POOL, "gcp-usc1-gpu-l4", "management.autoUpgrade", False),
    ),
    M(
        "C-13",
        COST,
        "budget alerts (nobody notified)",
        "AWS budget notifications without subscribers",
        on(
            AWS_BUDGET_TYPE,
            "aws-use1-budget",
            lambda p: [n.__setitem__("subscriberEmailAddresses", []) for n in p["notifications"]],
        ),
    ),
    M(
        "C-14",
        COST,
        "budget alerts (nobody notified)",
        "GCP budget notifies no channel and no billing admin",
        put(
            GCP_BUDGET,
            "gcp-usc1-budget-budget",
            "allUpdatesRule",
            {"disableDefaultIamRecipients": True, "monitoringNotificationChannels": []},
        ),
    ),
    M(
        "E-33",
        ENCRYPTION,
        "CKV_AWS_158",
        "WAF log group not KMS-encrypted",
        drop(LOG_GROUP, "aws-use1-edge-waf-logs", "kmsKeyId"),
    ),
    M(
        "E-34",
        ENCRYPTION,
        "CIS GKE 5.9.x (CMEK boot disks)",
        "GPU pool boot disks without the customer-managed key",
        drop(GKE_POOL, "gcp-usc1-gpu-h100", "nodeConfig.bootDiskKmsKey"),
    ),
    M(
        "E-35",
        ENCRYPTION,
        "CKV_GCP_63",
        "weights bucket logs into itself",
        put(GCS, "gcp-usc1-weights-bucket", "logging.logBucket", "acme-llm-prod-gcp-usc1-weights"),
    ),
    M(
        "E-36",
        ENCRYPTION,
        "CIS GKE 5.4.1 (legacy metadata endpoints)",
        "GPU pool re-enables the legacy metadata endpoints",
        put(GKE_POOL, "gcp-usc1-gpu-h100", ("nodeConfig", "metadata", "disable-legacy-endpoints"), "false"),
    ),
    M(
        "E-37",
        ENCRYPTION,
        "CKV_GCP_71",
        "GKE shielded nodes off",
        put(GKE, "gcp-usc1-gke-cluster", "enableShieldedNodes", False),
    ),
]
