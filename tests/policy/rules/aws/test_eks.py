"""Cases for the EKS and node rules (policy/rules/aws/eks, aws/ec2, aws/iam, aws/cloudwatch,
kubernetes/karpenter_k8s_aws, stack/aws/eks)."""

import pytest

from tests.policy.harness import Case, cases_params, chain, check, drop, remove, set_

CL = "aws1-cluster"
LT = "aws1-system-lt"
NC = "aws1-h100-class"

CASES = {
    "EKS-01": [
        Case("baseline"),
        Case(
            "public-with-listed-cidrs",
            chain(
                set_(CL, "vpcConfig.endpointPublicAccess", True),
                set_(CL, "vpcConfig.publicAccessCidrs", ["203.0.113.0/24"]),
            ),
        ),
        Case(
            "public-open",
            set_(CL, "vpcConfig.endpointPublicAccess", True),
            {
                CL: [
                    "vpcConfig.endpointPublicAccess is true with no publicAccessCidrs (open to 0.0.0.0/0); expected false or a CIDR list"
                ]
            },
        ),
        Case(
            "public-unset",
            drop(CL, "vpcConfig.endpointPublicAccess"),
            {
                CL: [
                    "vpcConfig.endpointPublicAccess is true with no publicAccessCidrs (open to 0.0.0.0/0); expected false or a CIDR list"
                ]
            },
        ),
        Case(
            "public-world-cidr",
            chain(
                set_(CL, "vpcConfig.endpointPublicAccess", True), set_(CL, "vpcConfig.publicAccessCidrs", ["0.0.0.0/0"])
            ),
            {CL: ["vpcConfig.publicAccessCidrs contains '0.0.0.0/0'; expected specific CIDRs"]},
        ),
        Case(
            "private-access-off",
            set_(CL, "vpcConfig.endpointPrivateAccess", False),
            {CL: ["vpcConfig.endpointPrivateAccess is false; expected true"]},
        ),
    ],
    "EKS-02": [
        Case("baseline"),
        Case(
            "no-encryption",
            drop(CL, "encryptionConfig"),
            {
                CL: [
                    "encryptionConfig.resources is not set; expected a list containing 'secrets'",
                    "encryptionConfig.provider.keyArn is not set; expected a value",
                ]
            },
        ),
        Case(
            "no-secrets",
            set_(CL, "encryptionConfig.resources", []),
            {CL: ["encryptionConfig.resources is []; expected a list containing 'secrets'"]},
        ),
    ],
    "EKS-03": [
        Case("baseline"),
        Case(
            "api-only",
            set_(CL, "enabledClusterLogTypes", ["api"]),
            {
                CL: [
                    "enabledClusterLogTypes is ['api']; missing ['audit', 'authenticator', 'controllerManager', 'scheduler']"
                ]
            },
        ),
    ],
    "EKS-04": [
        Case("baseline"),
        Case(
            "no-kms",
            drop("aws1-cluster-logs", "kmsKeyId"),
            {"aws1-cluster-logs": ["kmsKeyId is not set; expected a value"]},
        ),
    ],
    "EKS-05": [
        Case("baseline"),
        Case(
            "never-expire",
            set_("aws1-cluster-logs", "retentionInDays", 0),
            {"aws1-cluster-logs": ["retentionInDays is 0; expected at least 30"]},
        ),
        Case(
            "unset",
            drop("aws1-cluster-logs", "retentionInDays"),
            {"aws1-cluster-logs": ["retentionInDays is not set; expected at least 30"]},
        ),
    ],
    "EKS-06": [
        Case("baseline"),
        Case(
            "no-log-group",
            remove("aws1-cluster-logs"),
            {CL: ["no aws:cloudwatch/logGroup:LogGroup named '/aws/eks/aws1/cluster'"]},
        ),
        Case(
            "unnamed-cluster",
            drop(CL, "name"),
            {
                CL: [
                    "the cluster has no explicit name, so its log group /aws/eks/<name>/cluster cannot be declared; set name"
                ]
            },
        ),
        Case("logging-off-is-EKS-03s-finding", chain(drop(CL, "enabledClusterLogTypes"), remove("aws1-cluster-logs"))),
    ],
    "EKS-07": [
        Case("baseline"),
        Case(
            "imdsv1",
            set_(LT, "metadataOptions.httpTokens", "optional"),
            {LT: ["metadataOptions.httpTokens is 'optional'; expected 'required'"]},
        ),
        Case(
            "hop-limit-2",
            set_(LT, "metadataOptions.httpPutResponseHopLimit", 2),
            {LT: ["metadataOptions.httpPutResponseHopLimit is 2; expected 1"]},
        ),
        Case(
            "unset",
            drop(LT, "metadataOptions"),
            {
                LT: [
                    "metadataOptions.httpTokens is not set; expected 'required'",
                    "metadataOptions.httpPutResponseHopLimit is not set; expected 1",
                ]
            },
        ),
    ],
    "EKS-08": [
        Case("baseline"),
        Case("defaults-are-secure", drop(NC, "spec.metadataOptions")),
        Case(
            "imdsv1",
            set_(NC, "spec.metadataOptions.httpTokens", "optional"),
            {NC: ["spec.metadataOptions.httpTokens is 'optional'; expected 'required'"]},
        ),
        Case(
            "hop-limit-2",
            set_(NC, "spec.metadataOptions.httpPutResponseHopLimit", 2),
            {NC: ["spec.metadataOptions.httpPutResponseHopLimit is 2; expected 1"]},
        ),
    ],
    "EKS-09": [
        Case("baseline"),
        Case(
            "no-template",
            drop("aws1-system", "launchTemplate"),
            {"aws1-system": ["launchTemplate is not set; expected a value"]},
        ),
    ],
    "EKS-10": [
        Case("baseline"),
        Case("private-nic", set_(LT, "networkInterfaces", [{"associatePublicIpAddress": "false"}])),
        Case(
            "public-nic",
            set_(LT, "networkInterfaces", [{"associatePublicIpAddress": "true"}]),
            {LT: ["networkInterfaces[0].associatePublicIpAddress is true; expected false"]},
        ),
    ],
    "EKS-11": [
        Case("baseline"),
        Case("unset-defaults-false", drop("aws1-private-a", "mapPublicIpOnLaunch")),
        Case(
            "public",
            set_("aws1-private-a", "mapPublicIpOnLaunch", True),
            {"aws1-private-a": ["mapPublicIpOnLaunch is true; expected false"]},
        ),
    ],
    "EKS-12": [
        Case("baseline"),
        Case(
            "public",
            set_(NC, "spec.associatePublicIPAddress", True),
            {NC: ["spec.associatePublicIPAddress is true; expected false"]},
        ),
    ],
    "EKS-13": [
        Case("baseline"),
        Case(
            "ssh-restricted",
            set_("aws1-system", "remoteAccess", {"ec2SshKey": "ops", "sourceSecurityGroupIds": ["sg-1"]}),
        ),
        Case(
            "ssh-open",
            set_("aws1-system", "remoteAccess", {"ec2SshKey": "ops"}),
            {
                "aws1-system": [
                    "remoteAccess.ec2SshKey is set without sourceSecurityGroupIds (SSH open to 0.0.0.0/0); expected no remote access"
                ]
            },
        ),
    ],
    "EKS-14": [
        Case("baseline"),
        Case(
            "ssh-from-vpc",
            set_(
                "aws1-nodes",
                "ingress.0",
                {"protocol": "tcp", "fromPort": 22, "toPort": 22, "cidrBlocks": ["10.40.0.0/16"]},
            ),
        ),
        Case(
            "ssh-world",
            set_(
                "aws1-nodes",
                "ingress.0",
                {"protocol": "tcp", "fromPort": 22, "toPort": 22, "cidrBlocks": ["0.0.0.0/0"]},
            ),
            {"aws1-nodes": ["ingress[0] allows port 22 from '0.0.0.0/0'; expected specific sources"]},
        ),
        Case(
            "all-traffic-ipv6",
            set_("aws1-nodes", "ingress.0", {"protocol": "-1", "fromPort": 0, "toPort": 0, "ipv6CidrBlocks": ["::/0"]}),
            {"aws1-nodes": ["ingress[0] allows port 22 from '::/0'; expected specific sources"]},
        ),
        Case(
            "ingress-rule-range",
            chain(set_("aws1-alb-https", "fromPort", 0), set_("aws1-alb-https", "toPort", 1024)),
            {"aws1-alb-https": ["ingress allows port 22 from '0.0.0.0/0'; expected specific sources"]},
        ),
        Case(
            "sg-rule",
            chain(
                set_("aws1-kubelet", "cidrBlocks", ["0.0.0.0/0"]),
                set_("aws1-kubelet", "fromPort", 22),
                set_("aws1-kubelet", "toPort", 22),
            ),
            {"aws1-kubelet": ["ingress allows port 22 from '0.0.0.0/0'; expected specific sources"]},
        ),
    ],
    "EKS-15": [
        Case("baseline"),
        Case(
            "extended-support",
            set_(CL, "version", "1.33"),
            {
                CL: [
                    "version is '1.33': in extended support (standard support ended 2026-07-29; 6x the control-plane price); "
                    "expected one of ['1.34', '1.35']"
                ]
            },
        ),
        Case(
            "unknown",
            set_(CL, "version", "1.99"),
            {CL: ["version is '1.99': not in the version calendar; expected one of ['1.34', '1.35']"]},
        ),
        Case(
            "unpinned",
            drop(CL, "version"),
            {CL: ["version is not set (EKS would pick its default); expected a pinned version in standard support"]},
        ),
    ],
    "EKS-16": [
        Case("baseline"),
        Case(
            "irsa-instead",
            chain(
                remove("aws1-pod-identity"),
                lambda p: p["resources"].append(
                    {
                        **p["resources"][0],
                        "urn": "urn:oidc",
                        "type": "aws:iam/openIdConnectProvider:OpenIdConnectProvider",
                        "name": "aws1-oidc",
                        "parent": next(r["urn"] for r in p["resources"] if r["name"] == "aws1"),
                        "props": {},
                    }
                ),
            ),
        ),
        Case(
            "none",
            remove("aws1-pod-identity"),
            {CL: ["no eks-pod-identity-agent add-on and no IAM OIDC provider for this cluster"]},
        ),
    ],
    "EKS-17": [
        Case("baseline"),
        Case(
            "admin",
            set_("aws1-node-worker", "policyArn", "arn:aws:iam::aws:policy/AdministratorAccess"),
            {
                "aws1-node-worker": [
                    "policyArn is 'arn:aws:iam::aws:policy/AdministratorAccess'; expected a least-privilege policy"
                ]
            },
        ),
        Case(
            "s3-full",
            set_("aws1-node-worker", "policyArn", "arn:aws:iam::aws:policy/AmazonS3FullAccess"),
            {
                "aws1-node-worker": [
                    "policyArn is 'arn:aws:iam::aws:policy/AmazonS3FullAccess'; expected a least-privilege policy"
                ]
            },
        ),
    ],
    "EKS-18": [
        Case("baseline"),
        Case(
            "unencrypted",
            set_(LT, "blockDeviceMappings.0.ebs.encrypted", "false"),
            {LT: ["blockDeviceMappings[0].ebs.encrypted is 'false'; expected true"]},
        ),
        Case(
            "aws-managed-key",
            drop(LT, "blockDeviceMappings.0.ebs.kmsKeyId"),
            {LT: ["blockDeviceMappings[0].ebs.kmsKeyId is not set; expected a customer-managed KMS key"]},
        ),
    ],
    "EKS-19": [
        Case("baseline"),
        Case(
            "default-root",
            drop(NC, "spec.blockDeviceMappings"),
            {
                NC: [
                    "spec.blockDeviceMappings is not set (Karpenter's default root volume is 20Gi); expected an encrypted "
                    "root volume of at least 100Gi"
                ]
            },
        ),
        Case(
            "unencrypted",
            set_(NC, "spec.blockDeviceMappings.0.ebs.encrypted", False),
            {NC: ["spec.blockDeviceMappings[0].ebs.encrypted is not true; expected true"]},
        ),
        Case(
            "small-root",
            set_(NC, "spec.blockDeviceMappings.0.ebs.volumeSize", "50Gi"),
            {NC: ["spec.blockDeviceMappings[0].ebs.volumeSize is '50Gi'; expected at least 100Gi for the vLLM image"]},
        ),
    ],
}


@pytest.mark.parametrize(("rule_id", "case"), cases_params(CASES))
def test_rule_case(rule_id, case):
    check(rule_id, case)
