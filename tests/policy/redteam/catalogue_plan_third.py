"""Plan mutations, third round: the same risks through other resources and fields (a policy inside
the Role resource, NotPrincipal, legacy bucket ACLs, conditions that do not restrict, an Ingress
beside the Gateway, spoofable rate-limit keys, lookalike registries, per-zone pool limits)."""

from __future__ import annotations

import json

from tests.policy.redteam.catalogue_plan import (
    ARMOR,
    BUCKET_POLICY,
    GKE_POOL,
    PROJECT_MEMBER,
    ROLE,
    SERVER_ROLE,
    WAF,
    WEIGHTS_ARN,
    _cluster_role,
    _crb,
    _pod_template,
    _subject_sa,
)
from tests.policy.redteam.edits import (
    ACCOUNT,
    AWS,
    COST,
    DC1,
    DIGEST,
    EDGE,
    ENCRYPTION,
    GCP,
    IDENTITY,
    NETWORK,
    PROJECT,
    SUPPLY,
    WORKLOADS,
    Mutation,
    add,
    add_statement,
    doc,
    k8s,
    on,
    on_container,
    put,
)

SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
M = Mutation
PLAN_MUTATIONS_THIRD: list[Mutation] = [
    M(
        "ID-36",
        IDENTITY,
        "CKV_AWS_62 (inline policy in the Role)",
        "admin policy embedded in the server Role's inlinePolicies",
        put(
            ROLE,
            SERVER_ROLE,
            "inlinePolicies",
            [{"name": "debug", "policy": doc({"Effect": "Allow", "Action": "*", "Resource": "*"})}],
        ),
    ),
    M(
        "ID-37",
        IDENTITY,
        "CKV_AWS_70 (NotPrincipal)",
        "bucket policy Allow with NotPrincipal: everyone except one role may read",
        add_statement(
            BUCKET_POLICY,
            "aws-use1-storage-weights-policy",
            {
                "Effect": "Allow",
                "NotPrincipal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/blocked"},
                "Action": "s3:GetObject",
                "Resource": f"{WEIGHTS_ARN}/*",
            },
        ),
    ),
    M(
        "ID-38",
        IDENTITY,
        "CKV_AWS_70 (condition that does not restrict)",
        "Principal * with aws:SecureTransport true as its only condition",
        add_statement(
            BUCKET_POLICY,
            "aws-use1-storage-weights-policy",
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": f"{WEIGHTS_ARN}/*",
                "Condition": {"Bool": {"aws:SecureTransport": "true"}},
            },
        ),
    ),
    M(
        "GID-17",
        IDENTITY,
        "CKV_GCP_117 (conditional grant)",
        "roles/owner for a user with an always-true IAM condition",
        add(
            (PROJECT_MEMBER, "gcp-usc1-gke-nodes-logging-logwriter"),
            PROJECT_MEMBER,
            "gcp-usc1-contractor-owner-conditional",
            {
                "project": PROJECT,
                "role": "roles/owner",
                "member": "user:contractor@gmail.com",
                "condition": {"title": "temporary", "expression": "request.time > timestamp('2020-01-01T00:00:00Z')"},
            },
        ),
    ),
    M(
        "GID-18",
        IDENTITY,
        "CKV_GCP_117 (policy data)",
        "authoritative project IAM policy with allUsers as viewer",
        add(
            (PROJECT_MEMBER, "gcp-usc1-gke-nodes-logging-logwriter"),
            "gcp:projects/iAMPolicy:IAMPolicy",
            "gcp-usc1-project-policy",
            {
                "project": PROJECT,
                "policyData": json.dumps({"bindings": [{"role": "roles/viewer", "members": ["allUsers"]}]}),
            },
        ),
    ),
    M(
        "GID-19",
        IDENTITY,
        "CKV_GCP_28 (legacy ACL)",
        "legacy bucket ACL makes the weights bucket readable by allUsers",
        add(
            ("gcp:storage/bucketIAMMember:BucketIAMMember", "gcp-usc1-weights-server"),
            "gcp:storage/bucketACL:BucketACL",
            "gcp-usc1-weights-acl",
            {
                "bucket": "acme-llm-prod-gcp-usc1-weights",
                "roleEntities": ["OWNER:project-owners-123456789012", "READER:allUsers"],
            },
        ),
    ),
    M(
        "NET-41",
        NETWORK,
        "kubernetes-core-v1-service-disallow-load-balancer (Ingress)",
        "an Ingress publishes the model server beside the Gateway (no WAF, no API key)",
        k8s(
            AWS,
            "kubernetes:networking.k8s.io/v1:Ingress",
            "aws-use1-llama-8b-ingress",
            {
                "metadata": {
                    "name": "llama-8b",
                    "namespace": "llm-llama-8b",
                    "annotations": {"alb.ingress.kubernetes.io/scheme": "internet-facing"},
                },
                "spec": {
                    "ingressClassName": "alb",
                    "rules": [
                        {
                            "http": {
                                "paths": [
                                    {
                                        "path": "/",
                                        "pathType": "Prefix",
                                        "backend": {"service": {"name": "llama-8b-server", "port": {"number": 8000}}},
                                    }
                                ]
                            }
                        }
                    ],
                },
            },
        ),
    ),
    M(
        "EDGE-37",
        EDGE,
        "Cloud Armor rate limiting (spoofable key)",
        "throttle keyed on the client-supplied X-Forwarded-For (XFF_IP)",
        on(
            ARMOR,
            "gcp-usc1-edge-armor",
            lambda p: next(r for r in p["rules"] if r.get("action") == "throttle")["rateLimitOptions"].__setitem__(
                "enforceOnKey", "XFF_IP"
            ),
        ),
    ),
    M(
        "EDGE-39",
        EDGE,
        "CKV2_AWS_28 (aws_alb as well as aws_lb: public ALB behind WAF)",
        "a second internet-facing ALB declared through the aws.alb alias token, no web ACL",
        add(
            ("aws:lb/loadBalancer:LoadBalancer", "aws-use1-edge"),
            "aws:alb/loadBalancer:LoadBalancer",
            "aws-use1-side-door",
            {
                "accessLogs": {"bucket": "llm-fleet-prod-aws-use1-logs-100afc99", "enabled": True, "prefix": "alb2"},
                "desyncMitigationMode": "strictest",
                "dropInvalidHeaderFields": True,
                "enableDeletionProtection": True,
                "internal": False,
                "loadBalancerType": "application",
                "securityGroups": ["aws-use1-edge-alb-8433b83f"],
                "subnets": ["aws-use1-network-public-0-00ca3ffd", "aws-use1-network-public-1-bec31742"],
            },
        ),
    ),
    M(
        "EDGE-38",
        EDGE,
        "AWS WAF rate-based rules (spoofable key)",
        "rate rule aggregates on X-Forwarded-For, which clients set",
        on(
            WAF,
            "aws-use1-edge-waf",
            lambda p: next(r for r in p["rules"] if "rateBasedStatement" in r["statement"])["statement"][
                "rateBasedStatement"
            ].update(
                aggregateKeyType="FORWARDED_IP",
                forwardedIpConfig={"headerName": "X-Forwarded-For", "fallbackBehavior": "MATCH"},
            ),
        ),
    ),
    M(
        "K-33",
        WORKLOADS,
        "CIS K8s 5.1.8 (impersonate)",
        "ClusterRole that may impersonate users and groups, bound to the server SA",
        lambda plan: [
            e(plan)
            for e in (
                _cluster_role(
                    AWS,
                    "impersonator",
                    [
                        {
                            "apiGroups": [""],
                            "resources": ["users", "groups", "serviceaccounts"],
                            "verbs": ["impersonate"],
                        }
                    ],
                ),
                _crb(AWS, "impersonator", "impersonator", _subject_sa(AWS)),
            )
        ],
    ),
    M(
        "K-34",
        WORKLOADS,
        "CIS K8s 5.1.x (nodes/proxy)",
        "ClusterRole with nodes/proxy (the kubelet API) bound to the server SA",
        lambda plan: [
            e(plan)
            for e in (
                _cluster_role(
                    GCP,
                    "kubelet-reader",
                    [{"apiGroups": [""], "resources": ["nodes/proxy"], "verbs": ["get", "create"]}],
                ),
                _crb(GCP, "kubelet-reader", "kubelet-reader", _subject_sa(GCP)),
            )
        ],
    ),
    M(
        "K-35",
        WORKLOADS,
        "CIS K8s 5.1.4 (create pods)",
        "Role lets the server SA create pods in kube-system",
        lambda plan: [
            e(plan)
            for e in (
                k8s(
                    DC1,
                    "kubernetes:rbac.authorization.k8s.io/v1:Role",
                    "dc1-kube-system-pod-creator",
                    {
                        "metadata": {"name": "pod-creator", "namespace": "kube-system"},
                        "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["create", "get"]}],
                    },
                ),
                k8s(
                    DC1,
                    "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
                    "dc1-kube-system-pod-creator-binding",
                    {
                        "metadata": {"name": "pod-creator", "namespace": "kube-system"},
                        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "pod-creator"},
                        "subjects": [_subject_sa(DC1)],
                    },
                ),
            )
        ],
    ),
    M(
        "SC-20",
        SUPPLY,
        "CKV_K8S_43 (StatefulSet)",
        "a cache StatefulSet runs a tag-only Docker Hub image",
        k8s(
            GCP,
            "kubernetes:apps/v1:StatefulSet",
            "gcp-usc1-prefix-cache",
            {
                "metadata": {"name": "prefix-cache", "namespace": "llm-llama-8b"},
                "spec": {
                    "serviceName": "prefix-cache",
                    "replicas": 1,
                    "selector": {"matchLabels": {"app.kubernetes.io/name": "extra"}},
                    "template": _pod_template("docker.io/library/redis:7"),
                },
            },
        ),
    ),
    M(
        "SC-21",
        SUPPLY,
        "CKV_K8S_43 (trusted registry, lookalike host)",
        "image from a host that only starts like the stack's ECR",
        on_container(
            AWS,
            lambda c: c.__setitem__(
                "image", f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com.mirror.example.net/llm-fleet-serving@{DIGEST}"
            ),
        ),
    ),
    M(
        "C-15",
        COST,
        "GKE node pool sizing (per-zone limit)",
        "H100 pool autoscaling switched to a per-zone max of 20 nodes",
        on(
            GKE_POOL,
            "gcp-usc1-gpu-h100",
            lambda p: p.__setitem__("autoscaling", {"minNodeCount": 0, "maxNodeCount": 20, "locationPolicy": "ANY"}),
        ),
    ),
    M(
        "E-38",
        ENCRYPTION,
        "CKV_AWS_145 (customer-managed key of the stack)",
        "weights bucket encrypted with a key in another account",
        on(
            SSE,
            "aws-use1-storage-weights-encryption",
            lambda p: p["rules"][0]["applyServerSideEncryptionByDefault"].__setitem__(
                "kmsMasterKeyId", "arn:aws:kms:us-east-1:999988887777:key/0000-1111"
            ),
        ),
    ),
]
