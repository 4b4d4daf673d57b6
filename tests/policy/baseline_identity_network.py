"""The compliant baseline's identity and network resources (IAM-*, NET-* rules): roles and
their policies, EKS access and Pod Identity, queue and topic policies, GCP project grants,
the VPC and its flow log, a GCP firewall and subnetwork, the model server's Service and
NetworkPolicy. Joined into :func:`tests.policy.baseline.baseline`."""

from __future__ import annotations

import json
from typing import Any

ADMIN_ROLE = "arn:aws:iam::111122223333:role/platform-admins"
"""The operators' role (another account of the organisation), listed in aws1's adminRoleArns."""
SERVER_LABELS = {"app.kubernetes.io/name": "llama-8b-server"}


def _doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def trust(service: str = "pods.eks.amazonaws.com") -> str:
    from tests.policy.baseline import ACCOUNT

    return _doc(
        {
            "Effect": "Allow",
            "Principal": {"Service": service},
            "Action": ["sts:AssumeRole", "sts:TagSession"],
            "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}},
        }
    )


def resources() -> list[dict[str, Any]]:
    from tests.policy.baseline import ACCOUNT, KEY_ARN, _k8s, _res

    aws = "aws1-aws"
    role_arn = f"arn:aws:iam::{ACCOUNT}:role/"
    queue = f"arn:aws:sqs:us-east-1:{ACCOUNT}:aws1-karpenter"
    return [
        _res("aws:ec2/vpc:Vpc", "aws1-vpc", {"cidrBlock": "10.40.0.0/16", "enableDnsSupport": True}, "aws1", aws),
        _res(
            "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
            "aws1-default-sg",
            {"vpcId": "aws1-vpc-1a2b3c4d", "ingress": [], "egress": []},
            "aws1",
            aws,
        ),
        _res(
            "aws:ec2/routeTableAssociation:RouteTableAssociation",
            "aws1-private-a-assoc",
            {"subnetId": "subnet-a", "routeTableId": "rtb-private-a"},
            "aws1",
            aws,
        ),
        _res(
            "aws:ec2/route:Route",
            "aws1-private-a-default",
            {"routeTableId": "rtb-private-a", "destinationCidrBlock": "0.0.0.0/0", "natGatewayId": "nat-a"},
            "aws1",
            aws,
        ),
        _res(
            "aws:ec2/flowLog:FlowLog",
            "aws1-flow-log",
            {"vpcId": "aws1-vpc-1a2b3c4d", "trafficType": "ALL", "logDestinationType": "cloud-watch-logs"},
            "aws1",
            aws,
        ),
        _res(
            "aws:ec2/networkAcl:NetworkAcl",
            "aws1-public-acl",
            {
                "vpcId": "aws1-vpc-1a2b3c4d",
                "ingress": [
                    {
                        "ruleNo": 100,
                        "action": "allow",
                        "protocol": "tcp",
                        "fromPort": 443,
                        "toPort": 443,
                        "cidrBlock": "0.0.0.0/0",
                    },
                    {
                        "ruleNo": 110,
                        "action": "allow",
                        "protocol": "tcp",
                        "fromPort": 32768,
                        "toPort": 65535,
                        "cidrBlock": "0.0.0.0/0",
                    },
                    {
                        "ruleNo": 120,
                        "action": "deny",
                        "protocol": "tcp",
                        "fromPort": 22,
                        "toPort": 22,
                        "cidrBlock": "0.0.0.0/0",
                    },
                ],
            },
            "aws1",
            aws,
        ),
        _res(
            "aws:iam/role:Role",
            "aws1-server",
            {"assumeRolePolicy": trust(), "description": "model server: read weights"},
            "aws1",
            aws,
        ),
        _res(
            "aws:iam/rolePolicy:RolePolicy",
            "aws1-server-weights",
            {
                "role": "aws1-server-1a2b3c4d",
                "policy": _doc(
                    {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": ["arn:aws:s3:::aws1-weights/*"]},
                    {
                        "Effect": "Allow",
                        "Action": ["kms:Decrypt"],
                        "Resource": [KEY_ARN],
                        "Condition": {"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}},
                    },
                ),
            },
            "aws1",
            aws,
        ),
        _res(
            "aws:iam/role:Role",
            "aws1-karpenter",
            {"assumeRolePolicy": trust(), "description": "Karpenter controller"},
            "aws1",
            aws,
        ),
        _res(
            "aws:iam/rolePolicy:RolePolicy",
            "aws1-karpenter-policy",
            {
                "role": "aws1-karpenter-1a2b3c4d",
                "policy": _doc(
                    {"Effect": "Allow", "Action": ["ec2:RunInstances", "ec2:CreateFleet"], "Resource": ["*"]},
                    {"Effect": "Allow", "Action": ["ec2:Describe*"], "Resource": "*"},
                    {"Effect": "Allow", "Action": "iam:PassRole", "Resource": role_arn + "aws1-node"},
                ),
            },
            "aws1",
            aws,
        ),
        _res(
            "aws:eks/podIdentityAssociation:PodIdentityAssociation",
            "aws1-server-identity",
            {
                "clusterName": "aws1",
                "namespace": "llm-llama-8b",
                "serviceAccount": "llama-8b-server",
                "roleArn": role_arn + "aws1-server",
            },
            "aws1",
            aws,
        ),
        _res(
            "aws:eks/podIdentityAssociation:PodIdentityAssociation",
            "aws1-karpenter-identity",
            {
                "clusterName": "aws1",
                "namespace": "kube-system",
                "serviceAccount": "karpenter",
                "roleArn": role_arn + "aws1-karpenter",
            },
            "aws1",
            aws,
        ),
        _res(
            "aws:eks/accessEntry:AccessEntry",
            "aws1-admins",
            {"clusterName": "aws1", "principalArn": ADMIN_ROLE, "type": "STANDARD"},
            "aws1",
            aws,
        ),
        _res(
            "aws:eks/accessPolicyAssociation:AccessPolicyAssociation",
            "aws1-admins-policy",
            {
                "clusterName": "aws1",
                "principalArn": ADMIN_ROLE,
                "policyArn": "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
                "accessScope": {"type": "cluster"},
            },
            "aws1",
            aws,
        ),
        _res(
            "aws:sqs/queuePolicy:QueuePolicy",
            "aws1-karpenter-queue",
            {
                "queueUrl": "https://sqs.us-east-1.amazonaws.com/123456789012/aws1-karpenter",
                "policy": _doc(
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "events.amazonaws.com"},
                        "Action": "sqs:SendMessage",
                        "Resource": queue,
                        "Condition": {"ArnEquals": {"aws:SourceArn": f"arn:aws:events:us-east-1:{ACCOUNT}:rule/x"}},
                    },
                    {
                        "Effect": "Deny",
                        "Principal": "*",
                        "Action": "sqs:*",
                        "Resource": queue,
                        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                    },
                ),
            },
            "aws1",
            aws,
        ),
        _res(
            "gcp:projects/iAMMember:IAMMember",
            "gcp1-nodes-log-writer",
            {
                "project": "acme-prod-1",
                "role": "roles/logging.logWriter",
                "member": "serviceAccount:gcp1-nodes@acme-prod-1.iam.gserviceaccount.com",
            },
            "gcp1",
            "gcp1-gcp",
        ),
        _res(
            "gcp:serviceaccount/iAMMember:IAMMember",
            "gcp1-wi-server",
            {
                "serviceAccountId": "projects/acme-prod-1/serviceAccounts/gcp1-server@acme-prod-1.iam.gserviceaccount.com",
                "role": "roles/iam.workloadIdentityUser",
                "member": "serviceAccount:acme-prod-1.svc.id.goog[llm-llama-8b/llama-8b-server]",
            },
            "gcp1",
            "gcp1-gcp",
        ),
        _res(
            "gcp:compute/firewall:Firewall",
            "gcp1-edge-from-google",
            {
                "network": "gcp1-vpc",
                "direction": "INGRESS",
                "sourceRanges": ["35.191.0.0/16", "130.211.0.0/22"],
                "allows": [{"protocol": "tcp", "ports": ["10080", "19003"]}],
                "targetTags": ["gcp1-gke-system"],
            },
            "gcp1",
            "gcp1-gcp",
        ),
        _res(
            "gcp:compute/subnetwork:Subnetwork",
            "gcp1-nodes",
            {
                "ipCidrRange": "10.60.0.0/20",
                "network": "gcp1-vpc",
                "privateIpGoogleAccess": True,
                "logConfig": {"aggregationInterval": "INTERVAL_5_MIN", "flowSampling": 0.5},
            },
            "gcp1",
            "gcp1-gcp",
        ),
        _res(
            "kubernetes:gateway.envoyproxy.io/v1alpha1:EnvoyProxy",
            "aws1-envoy-proxy",
            {
                "apiVersion": "gateway.envoyproxy.io/v1alpha1",
                "kind": "EnvoyProxy",
                "metadata": {"name": "llm-gateway", "namespace": "llm-edge"},
                "spec": {"provider": {"type": "Kubernetes", "kubernetes": {"envoyService": {"type": "ClusterIP"}}}},
            },
            "aws1",
            "aws1-k8s",
        ),
        _k8s(
            "kubernetes:core/v1:Service",
            "dc1-service",
            {
                "metadata": {"name": "llama-8b-server", "namespace": "llm-llama-8b"},
                "spec": {"type": "ClusterIP", "selector": SERVER_LABELS, "ports": [{"port": 8000, "name": "http"}]},
            },
        ),
        _k8s(
            "kubernetes:core/v1:Service",
            "dc1-edge-service",
            {
                "metadata": {"name": "llm-gateway", "namespace": "llm-edge"},
                "spec": {
                    "type": "LoadBalancer",
                    "selector": {"gateway.envoyproxy.io/owning-gateway-name": "llm-gateway"},
                    "ports": [{"port": 443, "name": "https"}],
                },
            },
        ),
        _k8s(
            "kubernetes:networking.k8s.io/v1:NetworkPolicy",
            "dc1-server-ingress",
            {
                "metadata": {"name": "server", "namespace": "llm-llama-8b"},
                "spec": {
                    "podSelector": {"matchLabels": SERVER_LABELS},
                    "policyTypes": ["Ingress"],
                    "ingress": [
                        {
                            "from": [
                                {
                                    "namespaceSelector": {
                                        "matchLabels": {"kubernetes.io/metadata.name": "envoy-gateway-system"}
                                    },
                                    "podSelector": {
                                        "matchLabels": {"gateway.envoyproxy.io/owning-gateway-name": "llm-gateway"}
                                    },
                                }
                            ],
                            "ports": [{"port": 8000, "protocol": "TCP"}],
                        },
                        {
                            "from": [
                                {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}
                            ],
                            "ports": [{"port": 8000, "protocol": "TCP"}],
                        },
                    ],
                },
            },
        ),
    ]
