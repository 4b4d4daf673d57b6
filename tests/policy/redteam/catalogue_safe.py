"""Safe variants: realistic changes that must NOT produce a mandatory finding in prod."""

from __future__ import annotations

import json
from typing import Any

from tests.policy.redteam.catalogue_plan import (
    ARMOR,
    BUCKET_POLICY,
    CONFIG_MAP,
    ECR_POLICY,
    GCS_MEMBER,
    GKE_POOL,
    KMS_KEY,
    LOG_GROUP,
    NETPOL,
    NODEPOOL,
    QUEUE_POLICY,
    ROLE_BINDING,
    ROLE_K8S,
    ROLE_POLICY,
    SA_EMAIL,
    SERVER_ROLE,
    WAF,
    WEIGHTS_ARN,
    WEIGHTS_POLICY,
    _project_member,
    _subject_sa,
    _values,
)
from tests.policy.redteam.edits import (
    ACCOUNT,
    AWS,
    COST,
    DEPLOYMENT,
    EDGE,
    ENCRYPTION,
    GCP,
    IDENTITY,
    NETWORK,
    SERVER,
    SUPPLY,
    WORKLOADS,
    Doc,
    Mutation,
    add,
    add_statement,
    append,
    cfg,
    cfg_pool,
    image_of,
    k8s,
    on,
    on_container,
    put,
)

S = Mutation


def _waf_append(rule: Doc) -> Any:
    return on(WAF, "aws-use1-edge-waf", lambda p: p["rules"].append(rule))


def _label(key: str, value: str) -> Any:
    return on(
        DEPLOYMENT,
        SERVER[AWS],
        lambda p: (
            p["metadata"]["labels"].__setitem__(key, value),
            p["spec"]["template"]["metadata"]["labels"].__setitem__(key, value),
        ),
    )

def _new_digest(target: str, digest: str):
    """A promotion of a newer digest: the target's servers run it and its copy into the target's
    registry (command:local:Command, DESTINATION/DIGEST) copies it, as the program would write both."""

    def edit(plan: Doc) -> None:
        repository, _, old = image_of(plan, target).partition("@")
        text = json.dumps(plan["resources"]).replace(f"{repository}@{old}", f"{repository}@{digest}")
        plan["resources"] = json.loads(text)
        for r in plan["resources"]:
            env = r["props"].get("environment") if r["type"] == "command:local:Command" else None
            if env and env.get("DESTINATION") == repository and env.get("DIGEST") == old:
                env["DIGEST"] = digest

    return edit



SAFE_CONFIG: list[Mutation] = [
    S("SAFE-CFG01", COST, "budget", "budget raised to 300k", cfg("budget.monthlyUsd", 300_000)),
    S(
        "SAFE-CFG02",
        COST,
        "capacity",
        "one more 8B replica within the pool",
        cfg("models.0.placements.0.replicas", {"min": 3, "max": 6}),
    ),
    S(
        "SAFE-CFG03",
        NETWORK,
        "CIS GKE 5.6.3",
        "GKE authorized networks tightened to a /25",
        cfg(f"{GCP}.masterAuthorizedCidrs", ["203.0.113.0/25"]),
    ),
    S(
        "SAFE-CFG04",
        NETWORK,
        "CKV_AWS_38",
        "EKS API opened to one office /24 only",
        cfg(f"{AWS}.endpointPublicAccessCidrs", ["203.0.113.0/24"]),
    ),
    S(
        "SAFE-CFG05",
        EDGE,
        "AWS WAF rate-based rules",
        "AWS edge rate limit lowered to 600/min",
        cfg(f"{AWS}.edge.rateLimitPerMinute", 600),
    ),
    S(
        "SAFE-CFG06",
        COST,
        "budget alerts",
        "an extra alert at 90%",
        cfg("budget.alertThresholdsPercent", [50, 80, 90, 100]),
    ),
    S(
        "SAFE-CFG07",
        NETWORK,
        "edge client CIDRs",
        "edge limited to two client CIDRs",
        cfg(f"{AWS}.edge.allowedCidrs", ["198.51.100.0/24", "203.0.113.0/24"]),
    ),
    S("SAFE-CFG08", COST, "capacity", "GCP L4 pool max lowered to 3", cfg_pool(GCP, "l4", "nodes.max", 3)),
]

SAFE_PLAN: list[Mutation] = [
    S(
        "SAFE-01",
        WORKLOADS,
        "kubernetes-apps-v1-deployment-configure-recommended-labels",
        "a version label on the server",
        _label("app.kubernetes.io/version", "0.32.0"),
    ),
    S(
        "SAFE-02",
        WORKLOADS,
        "CKV_K8S_12",
        "server memory request trimmed below its limit",
        on_container(AWS, lambda c: c["resources"]["requests"].__setitem__("memory", "24Gi")),
    ),
    S(
        "SAFE-03",
        WORKLOADS,
        "vLLM tuning",
        "server gets --max-num-seqs 64",
        on_container(GCP, lambda c: c.setdefault("args", []).extend(["--max-num-seqs", "64"])),
    ),
    S(
        "SAFE-04",
        IDENTITY,
        "CKV_AWS_70",
        "bucket policy also denies unencrypted uploads",
        add_statement(
            BUCKET_POLICY,
            WEIGHTS_POLICY,
            {
                "Sid": "DenyUnencryptedUploads",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:PutObject",
                "Resource": f"{WEIGHTS_ARN}/*",
                "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}},
            },
        ),
    ),
    S(
        "SAFE-05",
        IDENTITY,
        "CKV_AWS_70",
        "Principal * restricted to the organization (aws:PrincipalOrgID)",
        add_statement(
            BUCKET_POLICY,
            WEIGHTS_POLICY,
            {
                "Sid": "OrgRead",
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": "s3:GetObject",
                "Resource": f"{WEIGHTS_ARN}/*",
                "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}},
            },
        ),
    ),
    S(
        "SAFE-06",
        IDENTITY,
        "CKV_AWS_33",
        "KMS key: Principal * limited by kms:CallerAccount and kms:ViaService",
        add_statement(
            KMS_KEY,
            "aws-use1-keys-s3",
            {
                "Sid": "ViaS3",
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": ["kms:Decrypt"],
                "Resource": "*",
                "Condition": {
                    "StringEquals": {"kms:CallerAccount": ACCOUNT, "kms:ViaService": "s3.us-east-1.amazonaws.com"}
                },
            },
        ),
    ),
    S(
        "SAFE-07",
        IDENTITY,
        "CKV_AWS_168",
        "queue policy: Principal * limited by aws:SourceAccount",
        add_statement(
            QUEUE_POLICY,
            "aws-use1-karpenter-interruptions",
            {
                "Sid": "SameAccount",
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": "sqs:GetQueueAttributes",
                "Resource": f"arn:aws:sqs:us-east-1:{ACCOUNT}:llm-fleet-prod-aws-use1-karpenter",
                "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}},
            },
        ),
    ),
    S(
        "SAFE-08",
        IDENTITY,
        "CKV_AWS_355",
        "server role may read one more weights prefix",
        add_statement(
            ROLE_POLICY,
            SERVER_ROLE,
            {
                "Sid": "ReadAdapters",
                "Effect": "Allow",
                "Action": ["s3:GetObject"],
                "Resource": [f"{WEIGHTS_ARN}/adapters/*"],
            },
        ),
    ),
    S(
        "SAFE-09",
        IDENTITY,
        "CKV_AWS_32",
        "ECR policy lets a same-account CI role push",
        add_statement(
            ECR_POLICY,
            "aws-use1-registry-serving-perimeter",
            {
                "Sid": "CiPush",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/ci-image-push"},
                "Action": ["ecr:PutImage", "ecr:InitiateLayerUpload", "ecr:UploadLayerPart", "ecr:CompleteLayerUpload"],
            },
        ),
    ),
    S(
        "SAFE-10",
        IDENTITY,
        "CKV_GCP_117",
        "monitoring viewer for the platform group",
        _project_member("gcp-usc1-platform-monitoring", "roles/monitoring.viewer", "group:ml-platform@example.com"),
    ),
    S(
        "SAFE-11",
        IDENTITY,
        "CKV_GCP_28",
        "stager SA may also list the weights bucket",
        add(
            (GCS_MEMBER, "gcp-usc1-weights-server"),
            GCS_MEMBER,
            "gcp-usc1-weights-lister",
            {
                "bucket": "acme-llm-prod-gcp-usc1-weights",
                "role": "roles/storage.legacyBucketReader",
                "member": f"serviceAccount:{SA_EMAIL}",
            },
        ),
    ),
    S(
        "SAFE-12",
        EDGE,
        "CKV_AWS_192",
        "extra managed rule group (Linux) at the end",
        _waf_append(
            {
                "name": "AWSManagedRulesLinuxRuleSet",
                "priority": 4,
                "overrideAction": {"none": {}},
                "statement": {
                    "managedRuleGroupStatement": {"vendorName": "AWS", "name": "AWSManagedRulesLinuxRuleSet"}
                },
                "visibilityConfig": {
                    "metricName": "linux",
                    "sampledRequestsEnabled": True,
                    "cloudwatchMetricsEnabled": True,
                },
            }
        ),
    ),
    S(
        "SAFE-13",
        EDGE,
        "AWS WAF",
        "block a known-bad IP set after the managed rules",
        _waf_append(
            {
                "name": "block-abusers",
                "priority": 5,
                "action": {"block": {}},
                "statement": {
                    "ipSetReferenceStatement": {"arn": f"arn:aws:wafv2:us-east-1:{ACCOUNT}:regional/ipset/abusers/1111"}
                },
                "visibilityConfig": {
                    "metricName": "abusers",
                    "sampledRequestsEnabled": True,
                    "cloudwatchMetricsEnabled": True,
                },
            }
        ),
    ),
    S(
        "SAFE-14",
        EDGE,
        "AWS WAF rate-based rules",
        "rate limit lowered to 600",
        on(
            WAF,
            "aws-use1-edge-waf",
            lambda p: [
                r["statement"]["rateBasedStatement"].__setitem__("limit", 600)
                for r in p["rules"]
                if "rateBasedStatement" in r["statement"]
            ],
        ),
    ),
    S(
        "SAFE-15",
        EDGE,
        "Cloud Armor",
        "deny a hostile CIDR before the WAF rules",
        on(
            ARMOR,
            "gcp-usc1-edge-armor",
            lambda p: p["rules"].insert(
                0,
                {
                    "action": "deny(403)",
                    "priority": 500,
                    "description": "abusive range",
                    "match": {"versionedExpr": "SRC_IPS_V1", "config": {"srcIpRanges": ["198.51.100.0/24"]}},
                },
            ),
        ),
    ),
    S(
        "SAFE-16",
        EDGE,
        "Cloud Armor preconfigured WAF",
        "SQLi sensitivity raised to 2",
        on(
            ARMOR,
            "gcp-usc1-edge-armor",
            lambda p: [
                r["match"]["expr"].__setitem__(
                    "expression", "evaluatePreconfiguredWaf('sqli-v422-stable', {'sensitivity': 2})"
                )
                for r in p["rules"]
                if "sqli-v422-stable" in json.dumps(r)
            ],
        ),
    ),
    S(
        "SAFE-17",
        NETWORK,
        "CIS K8s 5.3.2",
        "NetworkPolicy admitting only the gateway to port 8000 (duplicate, narrower)",
        k8s(
            AWS,
            NETPOL,
            "aws-use1-llama-8b-gateway-only",
            {
                "metadata": {"name": "gateway-only", "namespace": "llm-llama-8b"},
                "spec": {
                    "podSelector": {"matchLabels": {"app.kubernetes.io/name": "llama-8b"}},
                    "policyTypes": ["Ingress"],
                    "ingress": [
                        {
                            "from": [
                                {
                                    "namespaceSelector": {
                                        "matchLabels": {"kubernetes.io/metadata.name": "envoy-gateway-system"}
                                    }
                                }
                            ],
                            "ports": [{"port": 8000, "protocol": "TCP"}],
                        }
                    ],
                },
            },
        ),
    ),
    S(
        "SAFE-18",
        WORKLOADS,
        "CIS K8s 5.1.x",
        "Role reading ConfigMaps in the model namespace for the server SA",
        lambda plan: [
            e(plan)
            for e in (
                k8s(
                    AWS,
                    ROLE_K8S,
                    "aws-use1-llama-8b-cm-reader",
                    {
                        "metadata": {"name": "cm-reader", "namespace": "llm-llama-8b"},
                        "rules": [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "list", "watch"]}],
                    },
                ),
                k8s(
                    AWS,
                    ROLE_BINDING,
                    "aws-use1-llama-8b-cm-reader-binding",
                    {
                        "metadata": {"name": "cm-reader", "namespace": "llm-llama-8b"},
                        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "cm-reader"},
                        "subjects": [_subject_sa(AWS)],
                    },
                ),
            )
        ],
    ),
    S(
        "SAFE-19",
        COST,
        "Karpenter NodePool limits",
        "H100 NodePool GPU limit lowered to 8",
        put(NODEPOOL, "aws-use1-karpenter-h100-nodepool", ("spec", "limits", "nvidia.com/gpu"), 8),
    ),
    S(
        "SAFE-20",
        COST,
        "GKE node pool sizing",
        "GCP H100 pool max lowered to 1",
        put(GKE_POOL, "gcp-usc1-gpu-h100", "autoscaling.totalMaxNodeCount", 1),
    ),
    S(
        "SAFE-21",
        ENCRYPTION,
        "CKV_AWS_338",
        "flow-log retention raised to 400 days",
        put(LOG_GROUP, "aws-use1-network-flow-logs", "retentionInDays", 400),
    ),
    S(
        "SAFE-22",
        WORKLOADS,
        "kubernetes labels",
        "dashboard ConfigMap gets a folder annotation",
        on(
            CONFIG_MAP,
            "aws-use1-ops-fleet-dashboard",
            lambda p: p["metadata"].setdefault("annotations", {}).__setitem__("grafana_folder", "LLM fleet"),
        ),
    ),
    S(
        "SAFE-23",
        EDGE,
        "Helm values",
        "Grafana admin password from an existing Secret with a different key",
        _values(
            "aws-use1-ops-kube-prometheus-stack", lambda v: v["grafana"]["admin"].__setitem__("passwordKey", "password")
        ),
    ),
    S(
        "SAFE-24",
        NETWORK,
        "CKV_GCP_106",
        "Google front-end firewall adds Google's IPv6 health-check range",
        append("gcp:compute/firewall:Firewall", "gcp-usc1-edge-from-google", "sourceRanges", "2600:2d00:1:b029::/64"),
    ),
    S(
        "SAFE-25",
        WORKLOADS,
        "CKV_K8S_8",
        "server liveness probe a little more patient",
        on_container(AWS, lambda c: c["livenessProbe"].__setitem__("failureThreshold", 8)),
    ),
    S(
        "SAFE-26",
        IDENTITY,
        "CIS EKS 4.1.1",
        "a view-only ClusterRoleBinding for the platform group",
        k8s(
            AWS,
            "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding",
            "aws-use1-platform-view",
            {
                "metadata": {"name": "platform-view"},
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"},
                "subjects": [{"kind": "Group", "name": "ml-platform", "apiGroup": "rbac.authorization.k8s.io"}],
            },
        ),
    ),
    S(
        "SAFE-27",
        SUPPLY,
        "CKV_K8S_43",
        "server image moved to a newer digest in its own registry",
        _new_digest(AWS, "sha256:" + "5e" * 32),
    ),
]
