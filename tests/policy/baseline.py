"""One compliant baseline Plan with a resource of every type the rules read.

Every rule passes on it (tests/policy/test_pack.py checks that); each rule's cases change
one thing and assert the exact findings. Names are short and stable: ``aws1-cluster``,
``gcp1-h100``, ``dc1-server``. Build a fresh copy per case with :func:`baseline`.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from typing import Any

TODAY = dt.date(2026, 11, 28)
STACK = "prod"
PROJECT = "llm-fleet"
DIGEST = "sha256:" + "4f1c8e2a9b7d6c5e" * 4
ACCOUNT = "123456789012"
COST = {
    "llm-fleet-environment": "prod",
    "llm-fleet-owner": "ml-platform",
    "llm-fleet-cost-center": "llm-prod",
    "managed-by": "pulumi-llm-fleet",
}
KEY_ARN = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1111-2222"
GCP_KEY = "projects/acme-prod-1/locations/us-central1/keyRings/gcp1/cryptoKeys/gcp1-key"
POOL_LABEL = "llm-fleet.dev/gpu-pool"

CONFIG: dict[str, Any] = {
    "environment": "prod",
    "owner": "ml-platform",
    "costCenter": "llm-prod",
    "image": {
        "tag": "0.32.0-llmfleet.1",
        "digest": DIGEST,
        "build": False,
        "source": "444455556666.dkr.ecr.us-east-1.amazonaws.com/llm-fleet/serving",
        "signer": {"repository": "acme/llm-fleet"},
    },
    "targets": [
        {
            "name": "aws1",
            "kind": "aws",
            "region": "us-east-1",
            "adminRoleArns": ["arn:aws:iam::111122223333:role/platform-admins"],
            "edge": {"domain": "llm-aws.example.com", "waf": True, "rateLimitPerMinute": 600},
            "gpuPools": [
                {
                    "name": "h100",
                    "instanceTypes": ["p5.48xlarge"],
                    "capacityType": "on-demand",
                    "nodes": {"min": 1, "max": 2},
                }
            ],
        },
        {
            "name": "gcp1",
            "kind": "gcp",
            "project": "acme-prod-1",
            "region": "us-central1",
            "billingAccount": "01A2B3-C4D5E6-F7A8B9",
            "edge": {"domain": "llm-gcp.example.com", "waf": True, "rateLimitPerMinute": 600},
            "gpuPools": [
                {
                    "name": "h100",
                    "instanceTypes": ["a3-highgpu-8g"],
                    "capacityType": "on-demand",
                    "nodes": {"min": 1, "max": 2},
                }
            ],
        },
        {
            "name": "dc1",
            "kind": "onprem",
            "registry": "registry.dc1.internal/llm-fleet/serving",
            "kubeconfig": {"config": "dc1Kubeconfig"},
            "weights": {"kind": "s3", "endpoint": "https://s3.dc1.internal", "bucket": "llm-weights"},
            "edge": {"domain": "llm-dc1.example.com", "waf": True, "rateLimitPerMinute": 600},
            "gpuPools": [
                {
                    "name": "h100",
                    "gpu": "H100-80GB",
                    "gpusPerNode": 8,
                    "nodes": {"min": 2, "max": 2},
                    "hardware": {
                        "nodePriceUsd": 280000,
                        "amortizationMonths": 48,
                        "powerKw": 10.2,
                        "pricePerKwhUsd": 0.11,
                    },
                }
            ],
        },
    ],
    "models": [
        {
            "name": "llama-8b",
            "architecture": "llama-3.1-8b",
            "source": {
                "uri": "hf://meta-llama/Llama-3.1-8B-Instruct",
                "revision": "0e9e39f249a16976918f6564b8830bc894c89659",
                "token": {"awsSecretsManager": "llm-fleet/prod/hf-token"},
            },
            "maxModelLen": 16384,
            "kvCacheDtype": "auto",
            "gpuMemoryUtilization": 0.9,
            "placements": [
                {"target": "dc1", "pool": "h100", "replicas": {"min": 2, "max": 4}},
                {"target": "aws1", "pool": "h100", "replicas": {"min": 1, "max": 2}},
                {"target": "gcp1", "pool": "h100", "replicas": {"min": 1, "max": 2}},
            ],
        }
    ],
    "budget": {"monthlyUsd": 1_000_000, "alertThresholdsPercent": [50, 80, 100], "notifyEmails": ["ops@example.com"]},
    "policy": {
        "allowedInstanceTypes": ["p5.48xlarge", "a3-highgpu-8g"],
        "allowedModelSources": ["hf://meta-llama/", "hf://Qwen/"],
        "overrides": {},
        "suppressions": [],
    },
}


def urn(type_: str, name: str) -> str:
    return f"urn:pulumi:{STACK}::{PROJECT}::{type_}::{name}"


TARGET_URN = {t: urn(f"llm-fleet:{k}:Target", t) for t, k in (("aws1", "aws"), ("gcp1", "gcp"), ("dc1", "onprem"))}
PROVIDERS = {
    "aws1-aws": urn("pulumi:providers:aws", "aws1-aws"),
    "gcp1-gcp": urn("pulumi:providers:gcp", "gcp1-gcp"),
    "aws1-k8s": urn("pulumi:providers:kubernetes", "aws1-k8s"),
    "gcp1-k8s": urn("pulumi:providers:kubernetes", "gcp1-k8s"),
    "dc1-k8s": urn("pulumi:providers:kubernetes", "dc1-k8s"),
}


def _res(
    type_: str, name: str, props: dict[str, Any], target: str, provider: str | None = None, protect: bool = False
) -> dict[str, Any]:
    return {
        "urn": urn(type_, name),
        "type": type_,
        "name": name,
        "custom": True,
        "parent": TARGET_URN[target],
        "provider": PROVIDERS[provider] if provider else None,
        "protect": protect,
        "props": props,
    }


def _policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


ROOT = {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}
DENY_HTTP = {
    "Effect": "Deny",
    "Principal": "*",
    "Action": "s3:*",
    "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
}


def _bucket(name: str, logged: bool, sse: dict[str, Any]) -> list[dict[str, Any]]:
    t = "aws:s3/"
    out = [
        _res(t + "bucket:Bucket", name, {"bucket": name, "tags": dict(COST)}, "aws1", "aws1-aws", protect=True),
        _res(
            t + "bucketPublicAccessBlock:BucketPublicAccessBlock",
            f"{name}-pab",
            {
                "bucket": name,
                "blockPublicAcls": True,
                "blockPublicPolicy": True,
                "ignorePublicAcls": True,
                "restrictPublicBuckets": True,
            },
            "aws1",
            "aws1-aws",
        ),
        _res(
            t + "bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
            f"{name}-sse",
            {"bucket": name, "rules": [{"applyServerSideEncryptionByDefault": sse, "bucketKeyEnabled": True}]},
            "aws1",
            "aws1-aws",
        ),
        _res(
            t + "bucketVersioning:BucketVersioning",
            f"{name}-versioning",
            {"bucket": name, "versioningConfiguration": {"status": "Enabled"}},
            "aws1",
            "aws1-aws",
        ),
        _res(
            t + "bucketPolicy:BucketPolicy",
            f"{name}-policy",
            {"bucket": name, "policy": _policy(DENY_HTTP)},
            "aws1",
            "aws1-aws",
        ),
        _res(
            t + "bucketOwnershipControls:BucketOwnershipControls",
            f"{name}-ownership",
            {"bucket": name, "rule": {"objectOwnership": "BucketOwnerEnforced"}},
            "aws1",
            "aws1-aws",
        ),
        _res(
            t + "bucketLifecycleConfiguration:BucketLifecycleConfiguration",
            f"{name}-lifecycle",
            {
                "bucket": name,
                "rules": [
                    {
                        "id": "abort-multipart",
                        "status": "Enabled",
                        "filter": {},
                        "abortIncompleteMultipartUpload": {"daysAfterInitiation": 7},
                    }
                ],
            },
            "aws1",
            "aws1-aws",
        ),
    ]
    if logged:
        out.append(
            _res(
                t + "bucketLogging:BucketLogging",
                f"{name}-logging",
                {"bucket": name, "targetBucket": "aws1-logs", "targetPrefix": f"{name}/"},
                "aws1",
                "aws1-aws",
            )
        )
    return out


def _aws() -> list[dict[str, Any]]:
    aws = "aws1-aws"
    waf_rules = [
        {
            "name": group,
            "priority": i,
            "overrideAction": {"none": {}},
            "statement": {"managedRuleGroupStatement": {"vendorName": "AWS", "name": group}},
            "visibilityConfig": {"metricName": group, "sampledRequestsEnabled": True, "cloudwatchMetricsEnabled": True},
        }
        for i, group in enumerate(
            (
                "AWSManagedRulesCommonRuleSet",
                "AWSManagedRulesKnownBadInputsRuleSet",
                "AWSManagedRulesAmazonIpReputationList",
            )
        )
    ]
    waf_rules.append(
        {
            "name": "rate-limit-v1",
            "priority": 10,
            "action": {"block": {}},
            "statement": {
                "rateBasedStatement": {
                    "limit": 600,
                    "aggregateKeyType": "IP",
                    "evaluationWindowSec": 60,
                    "scopeDownStatement": {
                        "regexMatchStatement": {
                            "regexString": "^/([^/]+/)?v1(/|$)",
                            "fieldToMatch": {"uriPath": {}},
                            "textTransformations": [{"priority": 0, "type": "NONE"}],
                        }
                    },
                }
            },
            "visibilityConfig": {
                "metricName": "rate",
                "sampledRequestsEnabled": True,
                "cloudwatchMetricsEnabled": True,
            },
        }
    )
    return [
        {
            "urn": PROVIDERS[aws],
            "type": "pulumi:providers:aws",
            "name": aws,
            "custom": True,
            "parent": TARGET_URN["aws1"],
            "provider": None,
            "protect": False,
            "props": {"region": "us-east-1", "defaultTags": json.dumps({"tags": COST})},
        },  # provider inputs are strings
        _res(
            "aws:eks/cluster:Cluster",
            "aws1-cluster",
            {
                "name": "aws1",
                "version": "1.35",
                "roleArn": f"arn:aws:iam::{ACCOUNT}:role/aws1-cluster",
                "vpcConfig": {"endpointPrivateAccess": True, "endpointPublicAccess": False, "subnetIds": ["subnet-a"]},
                "encryptionConfig": {"resources": ["secrets"], "provider": {"keyArn": KEY_ARN}},
                "enabledClusterLogTypes": ["api", "audit", "authenticator", "controllerManager", "scheduler"],
                "accessConfig": {"authenticationMode": "API"},
            },
            "aws1",
            aws,
        ),
        _res(
            "aws:cloudwatch/logGroup:LogGroup",
            "aws1-cluster-logs",
            {"name": "/aws/eks/aws1/cluster", "kmsKeyId": KEY_ARN, "retentionInDays": 90},
            "aws1",
            aws,
        ),
        _res(
            "aws:eks/addon:Addon",
            "aws1-pod-identity",
            {"addonName": "eks-pod-identity-agent", "clusterName": "aws1"},
            "aws1",
            aws,
        ),
        _res(
            "aws:ec2/launchTemplate:LaunchTemplate",
            "aws1-system-lt",
            {
                "metadataOptions": {"httpEndpoint": "enabled", "httpTokens": "required", "httpPutResponseHopLimit": 1},
                "blockDeviceMappings": [
                    {
                        "deviceName": "/dev/xvda",
                        "ebs": {"encrypted": "true", "kmsKeyId": KEY_ARN, "volumeSize": 100, "volumeType": "gp3"},
                    }
                ],
            },
            "aws1",
            aws,
        ),
        _res(
            "aws:eks/nodeGroup:NodeGroup",
            "aws1-system",
            {
                "clusterName": "aws1",
                "instanceTypes": ["m7i.large"],
                "launchTemplate": {"id": "lt-1", "version": "1"},
                "scalingConfig": {"minSize": 2, "maxSize": 3, "desiredSize": 2},
                "tags": dict(COST),
            },
            "aws1",
            aws,
        ),
        _res(
            "aws:ec2/subnet:Subnet",
            "aws1-private-a",
            {"cidrBlock": "10.40.0.0/19", "mapPublicIpOnLaunch": False},
            "aws1",
            aws,
        ),
        _res(
            "aws:ec2/securityGroup:SecurityGroup",
            "aws1-nodes",
            {"ingress": [{"protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrBlocks": ["10.40.0.0/16"]}]},
            "aws1",
            aws,
        ),
        _res(
            "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
            "aws1-alb-https",
            {"cidrIpv4": "0.0.0.0/0", "fromPort": 443, "toPort": 443, "ipProtocol": "tcp"},
            "aws1",
            aws,
        ),
        _res(
            "aws:ec2/securityGroupRule:SecurityGroupRule",
            "aws1-kubelet",
            {"type": "ingress", "protocol": "tcp", "fromPort": 10250, "toPort": 10250, "cidrBlocks": ["10.40.0.0/16"]},
            "aws1",
            aws,
        ),
        _res(
            "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
            "aws1-node-worker",
            {"role": "aws1-node", "policyArn": "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy"},
            "aws1",
            aws,
        ),
        _res(
            "aws:kms/key:Key",
            "aws1-key",
            {
                "enableKeyRotation": True,
                "deletionWindowInDays": 30,
                "tags": dict(COST),
                "policy": _policy({"Effect": "Allow", "Principal": ROOT, "Action": "kms:*", "Resource": "*"}),
            },
            "aws1",
            aws,
            protect=True,
        ),
        _res(
            "aws:kms/keyPolicy:KeyPolicy",
            "aws1-key-policy",
            {
                "keyId": "1111-2222",
                "policy": _policy(
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "logs.us-east-1.amazonaws.com"},
                        "Action": ["kms:Encrypt*"],
                        "Resource": "*",
                    }
                ),
            },
            "aws1",
            aws,
        ),
        *_bucket("aws1-weights", True, {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": KEY_ARN}),
        *_bucket("aws1-logs", False, {"sseAlgorithm": "AES256"}),
        _res(
            "aws:lb/loadBalancer:LoadBalancer",
            "aws1-alb",
            {
                "name": "aws1-alb",
                "loadBalancerType": "application",
                "internal": False,
                "dropInvalidHeaderFields": True,
                "desyncMitigationMode": "defensive",
                "enableDeletionProtection": True,
                "accessLogs": {"bucket": "aws1-logs", "enabled": True, "prefix": "alb"},
            },
            "aws1",
            aws,
        ),
        _res(
            "aws:lb/listener:Listener",
            "aws1-https",
            {
                "protocol": "HTTPS",
                "port": 443,
                "sslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
                "certificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/abc",
                "defaultActions": [{"type": "forward", "targetGroupArn": "arn:tg"}],
            },
            "aws1",
            aws,
        ),
        _res(
            "aws:lb/listener:Listener",
            "aws1-http",
            {
                "protocol": "HTTP",
                "port": 80,
                "defaultActions": [
                    {"type": "redirect", "redirect": {"protocol": "HTTPS", "port": "443", "statusCode": "HTTP_301"}}
                ],
            },
            "aws1",
            aws,
        ),
        _res(
            "aws:wafv2/webAcl:WebAcl",
            "aws1-waf",
            {"name": "aws1-waf", "scope": "REGIONAL", "defaultAction": {"allow": {}}, "rules": waf_rules},
            "aws1",
            aws,
        ),
        _res(
            "aws:wafv2/webAclAssociation:WebAclAssociation",
            "aws1-waf-association",
            {
                "resourceArn": f"arn:aws:elasticloadbalancing:us-east-1:{ACCOUNT}:loadbalancer/app/aws1-alb/50dc6c495c0c9188",
                "webAclArn": f"arn:aws:wafv2:us-east-1:{ACCOUNT}:regional/webacl/aws1-waf/abcd",
            },
            "aws1",
            aws,
        ),
        _res(
            "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration",
            "aws1-waf-logging",
            {
                "resourceArn": f"arn:aws:wafv2:us-east-1:{ACCOUNT}:regional/webacl/aws1-waf/abcd",
                "logDestinationConfigs": [f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:aws-waf-logs-aws1"],
                "redactedFields": [
                    {"singleHeader": {"name": "authorization"}},
                    {"singleHeader": {"name": "x-api-key"}},
                ],
            },
            "aws1",
            aws,
        ),
        _res(
            "aws:ecr/repository:Repository",
            "aws1-serving",
            {
                "name": "aws1-serving",
                "imageTagMutability": "IMMUTABLE",
                "imageScanningConfiguration": {"scanOnPush": True},
                "encryptionConfigurations": [{"encryptionType": "KMS", "kmsKey": KEY_ARN}],
            },
            "aws1",
            aws,
            protect=True,
        ),
        _res(
            "aws:ecr/repositoryPolicy:RepositoryPolicy",
            "aws1-serving-policy",
            {
                "repository": "aws1-serving",
                "policy": _policy(
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/aws1-node"},
                        "Action": ["ecr:BatchGetImage"],
                    }
                ),
            },
            "aws1",
            aws,
        ),
        _res(
            "aws:budgets/budget:Budget",
            "aws1-budget",
            {
                "budgetType": "COST",
                "limitAmount": "100000",
                "limitUnit": "USD",
                "timeUnit": "MONTHLY",
                "notifications": [
                    {
                        "notificationType": kind,
                        "comparisonOperator": "GREATER_THAN",
                        "threshold": 80,
                        "thresholdType": "PERCENTAGE",
                        "subscriberEmailAddresses": ["ops@example.com"],
                    }
                    for kind in ("ACTUAL", "FORECASTED")
                ],
            },
            "aws1",
            aws,
        ),
        _res("aws:ec2/natGateway:NatGateway", "aws1-nat", {"subnetId": "subnet-public-a"}, "aws1", aws),
        _res(
            "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass",
            "aws1-h100-class",
            {
                "apiVersion": "karpenter.k8s.aws/v1",
                "kind": "EC2NodeClass",
                "metadata": {"name": "h100"},
                "spec": {
                    "role": "aws1-node",
                    "amiSelectorTerms": [{"alias": "al2023@latest"}],
                    "metadataOptions": {
                        "httpEndpoint": "enabled",
                        "httpTokens": "required",
                        "httpPutResponseHopLimit": 1,
                    },
                    "blockDeviceMappings": [
                        {
                            "deviceName": "/dev/xvda",
                            "rootVolume": True,
                            "ebs": {"volumeSize": "500Gi", "volumeType": "gp3", "encrypted": True, "kmsKeyID": KEY_ARN},
                        }
                    ],
                    "tags": dict(COST),
                },
            },
            "aws1",
            "aws1-k8s",
        ),
        _res(
            "kubernetes:karpenter.sh/v1:NodePool",
            "aws1-h100",
            {
                "apiVersion": "karpenter.sh/v1",
                "kind": "NodePool",
                "metadata": {"name": "h100"},
                "spec": {
                    "template": {
                        "metadata": {"labels": {POOL_LABEL: "h100"}},
                        "spec": {
                            "nodeClassRef": {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": "h100"},
                            "requirements": [
                                {
                                    "key": "node.kubernetes.io/instance-type",
                                    "operator": "In",
                                    "values": ["p5.48xlarge"],
                                },
                                {"key": "karpenter.sh/capacity-type", "operator": "In", "values": ["on-demand"]},
                            ],
                            "taints": [{"key": "nvidia.com/gpu", "effect": "NoSchedule"}],
                        },
                    },
                    "limits": {"nvidia.com/gpu": 16},
                    "disruption": {"consolidationPolicy": "WhenEmpty", "consolidateAfter": "10m"},
                },
            },
            "aws1",
            "aws1-k8s",
        ),
    ]


def _gcp() -> list[dict[str, Any]]:
    gcp = "gcp1-gcp"
    labels = dict(COST)
    waf = [
        {
            "priority": 1000 + i,
            "action": "deny(403)",
            "match": {"expr": {"expression": f"evaluatePreconfiguredWaf('{family}-v33-stable', {{'sensitivity': 1}})"}},
        }
        for i, family in enumerate(("sqli", "xss", "lfi", "rce", "cve-canary"))
    ]
    waf.append(
        {
            "priority": 2000,
            "action": "throttle",
            "match": {"expr": {"expression": "request.path.matches('^/([^/]+/)?v1/')"}},
            "rateLimitOptions": {
                "rateLimitThreshold": {"count": 600, "intervalSec": 60},
                "enforceOnKey": "IP",
                "conformAction": "allow",
                "exceedAction": "deny(429)",
            },
        }
    )
    waf.append(
        {
            "priority": 2147483647,
            "action": "allow",
            "match": {"versionedExpr": "SRC_IPS_V1", "config": {"srcIpRanges": ["*"]}},
        }
    )
    node_config = {
        "machineType": "a3-highgpu-8g",
        "guestAccelerators": [{"type": "nvidia-h100-80gb", "count": 8}],
        "serviceAccount": "gke-nodes@acme-prod-1.iam.gserviceaccount.com",
        "workloadMetadataConfig": {"mode": "GKE_METADATA"},
        "shieldedInstanceConfig": {"enableSecureBoot": True, "enableIntegrityMonitoring": True},
        "bootDiskKmsKey": GCP_KEY,
        "imageType": "COS_CONTAINERD",
        "labels": {POOL_LABEL: "h100"},
        "resourceLabels": labels,
        "diskSizeGb": 500,
    }
    return [
        {
            "urn": PROVIDERS[gcp],
            "type": "pulumi:providers:gcp",
            "name": gcp,
            "custom": True,
            "parent": TARGET_URN["gcp1"],
            "provider": None,
            "protect": False,
            "props": {"project": "acme-prod-1", "region": "us-central1", "defaultLabels": json.dumps(COST)},
        },
        _res(
            "gcp:container/cluster:Cluster",
            "gcp1-cluster",
            {
                "name": "gcp1",
                "location": "us-central1",
                "removeDefaultNodePool": True,
                "initialNodeCount": 1,
                "privateClusterConfig": {
                    "enablePrivateNodes": True,
                    "enablePrivateEndpoint": False,
                    "masterIpv4CidrBlock": "172.16.0.32/28",
                },
                "masterAuthorizedNetworksConfig": {
                    "cidrBlocks": [{"cidrBlock": "203.0.113.0/24", "displayName": "ops"}]
                },
                "workloadIdentityConfig": {"workloadPool": "acme-prod-1.svc.id.goog"},
                "databaseEncryption": {"state": "ENCRYPTED", "keyName": GCP_KEY},
                "datapathProvider": "ADVANCED_DATAPATH",
                "releaseChannel": {"channel": "REGULAR"},
                "binaryAuthorization": {"evaluationMode": "PROJECT_SINGLETON_POLICY_ENFORCE"},
                "loggingConfig": {"enableComponents": ["SYSTEM_COMPONENTS", "WORKLOADS"]},
                "resourceLabels": labels,
            },
            "gcp1",
            gcp,
        ),
        _res(
            "gcp:container/nodePool:NodePool",
            "gcp1-h100",
            {
                "cluster": "gcp1",
                "nodeConfig": node_config,
                "management": {"autoUpgrade": True, "autoRepair": True},
                "autoscaling": {"totalMinNodeCount": 1, "totalMaxNodeCount": 2, "locationPolicy": "ANY"},
                "nodeLocations": ["us-central1-a", "us-central1-c"],
            },
            "gcp1",
            gcp,
        ),
        _res(
            "gcp:storage/bucket:Bucket",
            "gcp1-weights",
            {
                "name": "acme-prod-1-gcp1-weights",
                "location": "US-CENTRAL1",
                "publicAccessPrevention": "enforced",
                "uniformBucketLevelAccess": True,
                "encryption": {"defaultKmsKeyName": GCP_KEY},
                "versioning": {"enabled": True},
                "logging": {"logBucket": "acme-prod-1-gcp1-logs"},
                "labels": labels,
            },
            "gcp1",
            gcp,
            protect=True,
        ),
        _res(
            "gcp:storage/bucket:Bucket",
            "gcp1-logs",
            {
                "name": "acme-prod-1-gcp1-logs",
                "location": "US-CENTRAL1",
                "publicAccessPrevention": "enforced",
                "uniformBucketLevelAccess": True,
                "encryption": {"defaultKmsKeyName": GCP_KEY},
                "versioning": {"enabled": True},
                "labels": labels,
            },
            "gcp1",
            gcp,
            protect=True,
        ),
        _res(
            "gcp:storage/bucketIAMMember:BucketIAMMember",
            "gcp1-weights-reader",
            {
                "bucket": "acme-prod-1-gcp1-weights",
                "role": "roles/storage.objectViewer",
                "member": "principal://iam.googleapis.com/projects/123/locations/global/workloadIdentityPools/acme-prod-1.svc.id.goog/subject/ns/llm-llama-8b/sa/llama-8b-server",
            },
            "gcp1",
            gcp,
        ),
        _res(
            "gcp:kms/keyRing:KeyRing",
            "gcp1-ring",
            {"name": "gcp1", "location": "us-central1"},
            "gcp1",
            gcp,
            protect=True,
        ),
        _res(
            "gcp:kms/cryptoKey:CryptoKey",
            "gcp1-key",
            {
                "name": "gcp1-key",
                "keyRing": "projects/acme-prod-1/locations/us-central1/keyRings/gcp1",
                "rotationPeriod": "7776000s",
                "labels": labels,
            },
            "gcp1",
            gcp,
            protect=True,
        ),
        _res(
            "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember",
            "gcp1-key-gke",
            {
                "cryptoKeyId": GCP_KEY,
                "role": "roles/cloudkms.cryptoKeyEncrypterDecrypter",
                "member": "serviceAccount:service-123@container-engine-robot.iam.gserviceaccount.com",
            },
            "gcp1",
            gcp,
        ),
        _res(
            "gcp:artifactregistry/repository:Repository",
            "gcp1-serving",
            {
                "repositoryId": "gcp1-serving",
                "location": "us-central1",
                "format": "DOCKER",
                "dockerConfig": {"immutableTags": True},
                "vulnerabilityScanningConfig": {"enablementConfig": "INHERITED"},
                "kmsKeyName": GCP_KEY,
                "labels": labels,
            },
            "gcp1",
            gcp,
            protect=True,
        ),
        _res(
            "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember",
            "gcp1-serving-reader",
            {
                "repository": "gcp1-serving",
                "role": "roles/artifactregistry.reader",
                "member": "serviceAccount:gke-nodes@acme-prod-1.iam.gserviceaccount.com",
            },
            "gcp1",
            gcp,
        ),
        _res(
            "gcp:compute/sSLPolicy:SSLPolicy",
            "gcp1-ssl",
            {"minTlsVersion": "TLS_1_2", "profile": "MODERN"},
            "gcp1",
            gcp,
        ),
        _res(
            "gcp:compute/targetHttpsProxy:TargetHttpsProxy",
            "gcp1-https-proxy",
            {
                "urlMap": "projects/acme-prod-1/global/urlMaps/gcp1-api",
                "sslPolicy": "projects/acme-prod-1/global/sslPolicies/gcp1-ssl",
            },
            "gcp1",
            gcp,
        ),
        _res(
            "gcp:compute/uRLMap:URLMap",
            "gcp1-redirect",
            {
                "name": "gcp1-redirect",
                "defaultUrlRedirect": {
                    "httpsRedirect": True,
                    "redirectResponseCode": "MOVED_PERMANENTLY_DEFAULT",
                    "stripQuery": False,
                },
            },
            "gcp1",
            gcp,
        ),
        _res(
            "gcp:compute/targetHttpProxy:TargetHttpProxy",
            "gcp1-http-proxy",
            {"urlMap": "projects/acme-prod-1/global/urlMaps/gcp1-redirect"},
            "gcp1",
            gcp,
        ),
        _res(
            "gcp:compute/backendService:BackendService",
            "gcp1-backend",
            {
                "loadBalancingScheme": "EXTERNAL_MANAGED",
                "protocol": "HTTP",
                "securityPolicy": "projects/acme-prod-1/global/securityPolicies/gcp1-armor",
                "logConfig": {"enable": True, "sampleRate": 1},
            },
            "gcp1",
            gcp,
        ),
        _res(
            "gcp:compute/securityPolicy:SecurityPolicy",
            "gcp1-armor",
            {
                "name": "gcp1-armor",
                "rules": waf,
                "labels": labels,
                "adaptiveProtectionConfig": {"layer7DdosDefenseConfig": {"enable": True, "ruleVisibility": "STANDARD"}},
                "advancedOptionsConfig": {"jsonParsing": "STANDARD", "logLevel": "NORMAL"},
            },
            "gcp1",
            gcp,
        ),
        _res(
            "gcp:compute/globalForwardingRule:GlobalForwardingRule",
            "gcp1-https",
            {"loadBalancingScheme": "EXTERNAL_MANAGED", "portRange": "443", "labels": labels},
            "gcp1",
            gcp,
        ),
        _res(
            "gcp:billing/budget:Budget",
            "gcp1-budget",
            {
                "billingAccount": "01A2B3-C4D5E6-F7A8B9",
                "amount": {"specifiedAmount": {"currencyCode": "USD", "units": "100000"}},
                "thresholdRules": [
                    {"thresholdPercent": 0.8},
                    {"thresholdPercent": 1.0, "spendBasis": "FORECASTED_SPEND"},
                ],
            },
            "gcp1",
            gcp,
        ),
        _res(
            "kubernetes:gateway.networking.k8s.io/v1:Gateway",
            "gcp1-gke-gateway",
            {
                "apiVersion": "gateway.networking.k8s.io/v1",
                "kind": "Gateway",
                "metadata": {"name": "external", "namespace": "llm-edge"},
                "spec": {
                    "gatewayClassName": "gke-l7-global-external-managed",
                    "listeners": [{"name": "https", "protocol": "HTTPS", "port": 443}],
                },
            },
            "gcp1",
            "gcp1-k8s",
        ),
        _res(
            "kubernetes:networking.gke.io/v1:GCPBackendPolicy",
            "gcp1-backend-policy",
            {
                "apiVersion": "networking.gke.io/v1",
                "kind": "GCPBackendPolicy",
                "metadata": {"name": "armor", "namespace": "llm-edge"},
                "spec": {
                    "default": {"securityPolicy": "gcp1-armor"},
                    "targetRef": {"group": "", "kind": "Service", "name": "envoy"},
                },
            },
            "gcp1",
            "gcp1-k8s",
        ),
    ]


SECURITY = {
    "runAsNonRoot": True,
    "runAsUser": 2000,
    "allowPrivilegeEscalation": False,
    "readOnlyRootFilesystem": True,
    "capabilities": {"drop": ["ALL"]},
    "seccompProfile": {"type": "RuntimeDefault"},
}
IMAGE = f"registry.dc1.internal/llm-fleet/serving@{DIGEST}"
RESOURCES = {
    "requests": {"cpu": "8", "memory": "64Gi", "nvidia.com/gpu": "1"},
    "limits": {"cpu": "16", "memory": "96Gi", "nvidia.com/gpu": "1"},
}


def server_container(name: str = "server") -> dict[str, Any]:
    probe = {"httpGet": {"path": "/health", "port": 8000}}
    return {
        "name": name,
        "image": IMAGE,
        "args": ["--shutdown-timeout", "45"],
        "securityContext": copy.deepcopy(SECURITY),
        "resources": copy.deepcopy(RESOURCES),
        "env": [
            {"name": "VLLM_API_KEY", "valueFrom": {"secretKeyRef": {"name": "api-key", "key": "key"}}},
            {"name": "HF_HUB_OFFLINE", "value": "1"},
        ],
        "startupProbe": {**probe, "periodSeconds": 10, "failureThreshold": 90},
        "readinessProbe": {**probe, "periodSeconds": 5},
        "livenessProbe": {**probe, "periodSeconds": 10, "failureThreshold": 3},
        "lifecycle": {"preStop": {"sleep": {"seconds": 15}}},
        "volumeMounts": [{"name": "shm", "mountPath": "/dev/shm"}, {"name": "tmp", "mountPath": "/tmp"}],
    }


def pod_spec(labels: dict[str, str], *containers: dict[str, Any]) -> dict[str, Any]:
    return {
        "serviceAccountName": "llama-8b-server",
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,
        "terminationGracePeriodSeconds": 90,
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": 2000,
            "fsGroup": 0,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "containers": list(containers) or [server_container()],
        "volumes": [
            {"name": "shm", "emptyDir": {"medium": "Memory", "sizeLimit": "8Gi"}},
            {"name": "tmp", "emptyDir": {}},
        ],
        "topologySpreadConstraints": [
            {
                "maxSkew": 1,
                "topologyKey": "kubernetes.io/hostname",
                "whenUnsatisfiable": "ScheduleAnyway",
                "labelSelector": {"matchLabels": labels},
            }
        ],
    }


def _k8s(type_: str, name: str, body: dict[str, Any]) -> dict[str, Any]:
    group_version, kind = type_.split(":")[1], type_.split(":")[2]
    api = group_version.removeprefix("core/")
    return _res(type_, name, {"apiVersion": api, "kind": kind, **body}, "dc1", "dc1-k8s")


def _namespace(name: str, ns: str, **extra_labels: str) -> list[dict[str, Any]]:
    return [
        _k8s(
            "kubernetes:core/v1:Namespace",
            name,
            {
                "metadata": {
                    "name": ns,
                    "labels": {
                        "pod-security.kubernetes.io/enforce": "restricted",
                        "llm-fleet.dev/gateway-access": "true",
                        **extra_labels,
                    },
                }
            },
        ),
        _k8s(
            "kubernetes:networking.k8s.io/v1:NetworkPolicy",
            f"{name}-deny",
            {
                "metadata": {"name": "default-deny", "namespace": ns},
                "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
            },
        ),
    ]


SIGNER = "https://github.com/acme/llm-fleet/.github/workflows/main.yml@refs/heads/main"


def _admission() -> list[dict[str, Any]]:
    """The serving image's signature check (policy-controller) and its copy into the dc1 registry."""
    repository = IMAGE.split("@", 1)[0]
    return [
        _k8s(
            "kubernetes:policy.sigstore.dev/v1beta1:ClusterImagePolicy",
            "dc1-admission-serving-image-policy",
            {
                "metadata": {"name": "llm-fleet-serving-image"},
                "spec": {
                    "images": [{"glob": f"{repository}**"}],
                    "mode": "enforce",
                    "authorities": [
                        {
                            "name": "ci-workflow",
                            "signatureFormat": "bundle",
                            "keyless": {
                                "url": "https://fulcio.sigstore.dev",
                                "identities": [
                                    {"issuer": "https://token.actions.githubusercontent.com", "subject": SIGNER}
                                ],
                            },
                        }
                    ],
                },
            },
        ),
        _res(
            "command:local:Command",
            "dc1-image-copy",
            {
                "create": "oras cp -r ...",
                "environment": {
                    "SOURCE": CONFIG["image"]["source"],
                    "DIGEST": DIGEST,
                    "DESTINATION": repository,
                    "SIGNER_IDENTITY": SIGNER,
                    "SIGNER_ISSUER": "https://token.actions.githubusercontent.com",
                },
            },
            "dc1",
            None,
        ),
    ]


def _onprem() -> list[dict[str, Any]]:
    labels = {"app.kubernetes.io/name": "llama-8b-server"}
    job_container = {
        k: v
        for k, v in server_container("stage").items()
        if k not in ("startupProbe", "readinessProbe", "livenessProbe", "lifecycle")
    }
    job_container["resources"] = {"requests": {"cpu": "2", "memory": "4Gi"}, "limits": {"cpu": "4", "memory": "8Gi"}}
    lws_labels = {"app.kubernetes.io/name": "llama-70b-server"}
    route_ref = {"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "name": "llama-8b"}
    return [
        *_namespace("dc1-model-ns", "llm-llama-8b", **{"policy.sigstore.dev/include": "true"}),
        *_admission(),
        *_namespace("dc1-edge-ns", "llm-edge"),
        _k8s(
            "kubernetes:apps/v1:Deployment",
            "dc1-server",
            {
                "metadata": {"name": "llama-8b-server", "namespace": "llm-llama-8b", "labels": labels},
                "spec": {
                    "replicas": 2,
                    "selector": {"matchLabels": labels},
                    "template": {"metadata": {"labels": labels}, "spec": pod_spec(labels)},
                },
            },
        ),
        _k8s(
            "kubernetes:policy/v1:PodDisruptionBudget",
            "dc1-server-pdb",
            {
                "metadata": {"name": "llama-8b-server", "namespace": "llm-llama-8b"},
                "spec": {"maxUnavailable": 1, "selector": {"matchLabels": labels}},
            },
        ),
        _k8s(
            "kubernetes:leaderworkerset.x-k8s.io/v1:LeaderWorkerSet",
            "dc1-lws",
            {
                "metadata": {"name": "llama-70b-server", "namespace": "llm-llama-8b"},
                "spec": {
                    "replicas": 2,
                    "leaderWorkerTemplate": {
                        "size": 2,
                        "leaderTemplate": {"metadata": {"labels": lws_labels}, "spec": pod_spec(lws_labels)},
                        "workerTemplate": {"metadata": {"labels": lws_labels}, "spec": pod_spec(lws_labels)},
                    },
                },
            },
        ),
        _k8s(
            "kubernetes:policy/v1:PodDisruptionBudget",
            "dc1-lws-pdb",
            {
                "metadata": {"name": "llama-70b-server", "namespace": "llm-llama-8b"},
                "spec": {
                    "maxUnavailable": 1,
                    "selector": {"matchLabels": {"leaderworkerset.sigs.k8s.io/name": "llama-70b-server"}},
                },
            },
        ),
        _k8s(
            "kubernetes:batch/v1:Job",
            "dc1-stage",
            {
                "metadata": {"name": "llama-8b-stage", "namespace": "llm-llama-8b"},
                "spec": {
                    "backoffLimit": 3,
                    "template": {
                        "metadata": {"labels": {"app": "stage"}},
                        "spec": {**pod_spec({"app": "stage"}, job_container), "restartPolicy": "OnFailure"},
                    },
                },
            },
        ),
        _k8s(
            "kubernetes:core/v1:ConfigMap",
            "dc1-spec",
            {
                "metadata": {"name": "llama-8b-spec", "namespace": "llm-llama-8b"},
                "data": {"spec.json": json.dumps({"model": "s3://llm-weights/llama-8b", "tensorParallelSize": 1})},
            },
        ),
        _res(
            "kubernetes:helm.sh/v3:Release",
            "dc1-gpu-operator",
            {
                "name": "gpu-operator",
                "chart": "gpu-operator",
                "version": "v25.3.0",
                "repositoryOpts": {"repo": "https://helm.ngc.nvidia.com/nvidia"},
                "namespace": "gpu-operator",
                "values": {"driver": {"enabled": False}, "toolkit": {"enabled": True}},
            },
            "dc1",
            "dc1-k8s",
        ),
        _k8s(
            "kubernetes:gateway.networking.k8s.io/v1:Gateway",
            "dc1-gateway",
            {
                "metadata": {"name": "llm-gateway", "namespace": "llm-edge"},
                "spec": {
                    "gatewayClassName": "llm-fleet",
                    "listeners": [
                        {
                            "name": "https",
                            "protocol": "HTTPS",
                            "port": 443,
                            "tls": {
                                "mode": "Terminate",
                                "certificateRefs": [{"kind": "Secret", "name": "llm-gateway-tls"}],
                            },
                            "allowedRoutes": {
                                "namespaces": {
                                    "from": "Selector",
                                    "selector": {"matchLabels": {"llm-fleet.dev/gateway-access": "true"}},
                                }
                            },
                        },
                        {
                            "name": "http",
                            "protocol": "HTTP",
                            "port": 80,
                            "allowedRoutes": {"namespaces": {"from": "Same"}},
                        },
                    ],
                },
            },
        ),
        _k8s(
            "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute",
            "dc1-redirect",
            {
                "metadata": {"name": "https-redirect", "namespace": "llm-edge"},
                "spec": {
                    "parentRefs": [{"name": "llm-gateway", "sectionName": "http"}],
                    "rules": [
                        {
                            "filters": [
                                {"type": "RequestRedirect", "requestRedirect": {"scheme": "https", "statusCode": 301}}
                            ]
                        }
                    ],
                },
            },
        ),
        _k8s(
            "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute",
            "dc1-api",
            {
                "metadata": {"name": "llama-8b", "namespace": "llm-llama-8b"},
                "spec": {
                    "parentRefs": [{"kind": "Gateway", "name": "llm-gateway", "namespace": "llm-edge"}],
                    "hostnames": ["llm-dc1.example.com"],
                    "rules": [
                        {
                            "matches": [{"path": {"type": "PathPrefix", "value": "/v1"}}],
                            "backendRefs": [{"kind": "Service", "name": "llama-8b-server", "port": 8000}],
                        }
                    ],
                },
            },
        ),
        _k8s(
            "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute",
            "dc1-health",
            {
                "metadata": {"name": "llama-8b-health", "namespace": "llm-llama-8b"},
                "spec": {
                    "parentRefs": [{"kind": "Gateway", "name": "llm-gateway", "namespace": "llm-edge"}],
                    "rules": [
                        {
                            "matches": [{"path": {"type": "Exact", "value": "/llama-8b/health"}}],
                            "backendRefs": [{"kind": "Service", "name": "llama-8b-server", "port": 8000}],
                        }
                    ],
                },
            },
        ),
        _k8s(
            "kubernetes:gateway.envoyproxy.io/v1alpha1:SecurityPolicy",
            "dc1-auth",
            {
                "metadata": {"name": "llama-8b", "namespace": "llm-llama-8b"},
                "spec": {
                    "targetRefs": [route_ref],
                    "apiKeyAuth": {
                        "credentialRefs": [{"group": "", "kind": "Secret", "name": "llama-8b-api-keys"}],
                        "extractFrom": [{"headers": ["authorization"]}],
                    },
                },
            },
        ),
        _k8s(
            "kubernetes:gateway.envoyproxy.io/v1alpha1:BackendTrafficPolicy",
            "dc1-rate-limit",
            {
                "metadata": {"name": "llama-8b", "namespace": "llm-llama-8b"},
                "spec": {
                    "targetRefs": [route_ref],
                    "rateLimit": {
                        "type": "Local",
                        "local": {
                            "rules": [
                                {
                                    "clientSelectors": [
                                        {"headers": [{"name": "x-llm-fleet-client", "type": "Distinct"}]}
                                    ],
                                    "limit": {"requests": 300, "unit": "Minute"},
                                }
                            ]
                        },
                    },
                },
            },
        ),
        _k8s(
            "kubernetes:gateway.envoyproxy.io/v1alpha1:EnvoyExtensionPolicy",
            "dc1-waf",
            {
                "metadata": {"name": "llm-gateway-waf", "namespace": "llm-edge"},
                "spec": {
                    "targetRefs": [{"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "llm-gateway"}],
                    "wasm": [
                        {
                            "name": "coraza-owasp-crs",
                            "code": {
                                "type": "Image",
                                "image": {"url": f"registry.dc1.internal/llm-fleet/coraza-proxy-wasm@{DIGEST}"},
                            },
                            "config": {
                                "directives_map": {
                                    "default": [
                                        "Include @recommended-conf",
                                        "SecRuleEngine On",
                                        "Include @crs-setup-conf",
                                        "Include @owasp_crs/*.conf",
                                    ]
                                },
                                "default_directives": "default",
                            },
                            "failOpen": False,
                        }
                    ],
                },
            },
        ),
    ]


ALERTMANAGER_CONFIG: dict[str, Any] = {
    "route": {
        "receiver": "silent",
        "group_by": ["cluster", "target", "model"],
        "routes": [
            {"matchers": ['severity="critical"'], "receiver": "oncall"},
            {"matchers": ['severity="warning"'], "receiver": "team"},
        ],
    },
    "receivers": [
        {"name": "silent"},
        {"name": "oncall", "pagerduty_configs": [{"routing_key_file": "/etc/alertmanager/secrets/pd/credential"}]},
        {"name": "team", "slack_configs": [{"api_url_file": "/etc/alertmanager/secrets/slack/credential", "channel": "#t"}]},
    ],
}


def _alerting() -> list[dict[str, Any]]:
    """Alertmanager on every target: kube-prometheus-stack on aws1 and dc1, GMP's managed one on gcp1."""

    def kps(target: str) -> dict[str, Any]:
        values = {"alertmanager": {"enabled": True, "config": ALERTMANAGER_CONFIG, "alertmanagerSpec": {"secrets": ["pd", "slack"]}}}
        props = {"name": "kps", "chart": "kube-prometheus-stack", "version": "88.2.0",
                 "repositoryOpts": {"repo": "https://prometheus-community.github.io/helm-charts"}, "namespace": "monitoring", "values": values}
        return _res("kubernetes:helm.sh/v3:Release", f"{target}-kps", props, target, f"{target}-k8s")

    managed = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": "alertmanager",
            "namespace": "gmp-public",
            "annotations": {"llm-fleet.dev/alertmanager-routing": json.dumps(ALERTMANAGER_CONFIG)},
        },
        "stringData": "[secret]",
    }
    return [kps("aws1"), kps("dc1"), _res("kubernetes:core/v1:Secret", "gcp1-alertmanager", managed, "gcp1", "gcp1-k8s")]


def _components() -> list[dict[str, Any]]:
    out = []
    for target, kind in (("aws1", "aws"), ("gcp1", "gcp"), ("dc1", "onprem")):
        out.append(
            {
                "urn": TARGET_URN[target],
                "type": f"llm-fleet:{kind}:Target",
                "name": target,
                "custom": False,
                "parent": None,
                "provider": None,
                "protect": False,
                "props": {},
            }
        )
    for name in ("aws1-k8s", "gcp1-k8s", "dc1-k8s"):
        out.append(
            {
                "urn": PROVIDERS[name],
                "type": "pulumi:providers:kubernetes",
                "name": name,
                "custom": True,
                "parent": TARGET_URN[name.split("-")[0]],
                "provider": None,
                "protect": False,
                "props": {"kubeconfig": "[secret]"},
            }
        )
    return out


def _edge_and_rbac() -> list[dict[str, Any]]:
    """Client IP detection behind the ALB, and the RBAC a cluster add-on typically brings."""
    client = "kubernetes:gateway.envoyproxy.io/v1alpha1:ClientTrafficPolicy"
    gateway_ref = {"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "llm-gateway"}
    rbac = "kubernetes:rbac.authorization.k8s.io/v1:"
    return [
        _res(
            client,
            "aws1-gateway-client-policy",
            {
                "apiVersion": "gateway.envoyproxy.io/v1alpha1",
                "kind": "ClientTrafficPolicy",
                "metadata": {"name": "llm-gateway", "namespace": "llm-edge"},
                "spec": {"targetRefs": [gateway_ref], "clientIPDetection": {"xForwardedFor": {"numTrustedHops": 1}}},
            },
            "aws1",
            "aws1-k8s",
        ),
        _k8s(
            client,
            "dc1-gateway-client-policy",
            {
                "metadata": {"name": "llm-gateway", "namespace": "llm-edge"},
                "spec": {"targetRefs": [gateway_ref], "tls": {"minVersion": "1.2"}},
            },
        ),
        _k8s(
            "kubernetes:core/v1:Secret",
            "dc1-api-keys",
            {
                "metadata": {"name": "llama-8b-api-keys", "namespace": "llm-llama-8b"},
                "type": "Opaque",
                "stringData": {"client": "[secret]"},
            },
        ),
        _k8s(
            rbac + "ClusterRole",
            "dc1-metrics-reader",
            {
                "metadata": {"name": "llm-fleet-metrics-reader"},
                "rules": [
                    {
                        "apiGroups": [""],
                        "resources": ["pods", "services", "endpoints"],
                        "verbs": ["get", "list", "watch"],
                    }
                ],
            },
        ),
        _k8s(
            rbac + "ClusterRoleBinding",
            "dc1-metrics-reader-binding",
            {
                "metadata": {"name": "llm-fleet-metrics-reader"},
                "roleRef": {
                    "apiGroup": "rbac.authorization.k8s.io",
                    "kind": "ClusterRole",
                    "name": "llm-fleet-metrics-reader",
                },
                "subjects": [{"kind": "ServiceAccount", "name": "prometheus", "namespace": "monitoring"}],
            },
        ),
        _k8s(
            rbac + "Role",
            "dc1-stage-role",
            {
                "metadata": {"name": "llama-8b-stage", "namespace": "llm-llama-8b"},
                "rules": [
                    {"apiGroups": [""], "resources": ["secrets"], "resourceNames": ["hf-token"], "verbs": ["get"]}
                ],
            },
        ),
        _k8s(
            rbac + "RoleBinding",
            "dc1-stage-binding",
            {
                "metadata": {"name": "llama-8b-stage", "namespace": "llm-llama-8b"},
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "llama-8b-stage"},
                "subjects": [{"kind": "ServiceAccount", "name": "llama-8b-stage", "namespace": "llm-llama-8b"}],
            },
        ),
    ]


def baseline() -> dict[str, Any]:
    """A fresh copy of the compliant baseline Plan (schemaVersion 1)."""
    from tests.policy.baseline_identity_network import resources as identity_network

    resources = json.loads(
        json.dumps(
            [*_components(), *_aws(), *_gcp(), *_onprem(), *_edge_and_rbac(), *identity_network(), *_alerting()]
        )
    )  # no shared sub-dicts
    return {
        "schemaVersion": 1,
        "project": PROJECT,
        "stack": STACK,
        "config": copy.deepcopy(CONFIG),
        "resources": resources,
        "outputs": {},
    }
