"""Cases for the rules that close red-team gaps (tests/policy/redteam): queue and topic encryption
(KMS-07, KMS-08), EBS volumes (EKS-20), EC2 instances (EKS-21), the GKE kubelet read-only port
(GKE-19), legacy metadata endpoints (GKE-20), foreign KMS keys (KMS-09) and PodDisruptionBudgets that forbid every disruption (REL-08)."""

import pytest

from tests.policy.baseline import PROVIDERS, TARGET_URN, urn
from tests.policy.harness import Case, add, cases_params, check, set_


def _aws(type_: str, name: str, props: dict) -> dict:
    return {
        "urn": urn(type_, name),
        "type": type_,
        "name": name,
        "custom": True,
        "parent": TARGET_URN["aws1"],
        "provider": PROVIDERS["aws1-aws"],
        "protect": False,
        "props": props,
    }


QUEUE, TOPIC = "aws:sqs/queue:Queue", "aws:sns/topic:Topic"
VOLUME, INSTANCE = "aws:ebs/volume:Volume", "aws:ec2/instance:Instance"
KEY = "arn:aws:kms:us-east-1:123456789012:key/1111-2222"
HARDENED = {
    "ami": "ami-0abcdef1234567890",
    "instanceType": "t3.micro",
    "associatePublicIpAddress": False,
    "metadataOptions": {"httpTokens": "required", "httpEndpoint": "enabled"},
    "rootBlockDevice": {"encrypted": True, "kmsKeyId": KEY},
}
RO_PORT = "nodePoolDefaults.nodeConfigDefaults.insecureKubeletReadonlyPortEnabled"

CASES = {
    "KMS-07": [
        Case("sqs-managed", add(_aws(QUEUE, "q", {"name": "q", "sqsManagedSseEnabled": True}))),
        Case("kms-key", add(_aws(QUEUE, "q", {"name": "q", "sqsManagedSseEnabled": False, "kmsMasterKeyId": KEY}))),
        Case(
            "sse-off",
            add(_aws(QUEUE, "q", {"name": "q", "sqsManagedSseEnabled": False})),
            {"q": ["sqsManagedSseEnabled is false and no kmsMasterKeyId is set; expected SSE"]},
        ),
    ],
    "KMS-08": [
        Case("kms-key", add(_aws(TOPIC, "t", {"name": "t", "kmsMasterKeyId": "alias/aws/sns"}))),
        Case("plain", add(_aws(TOPIC, "t", {"name": "t"})), {"t": ["kmsMasterKeyId is not set; expected a KMS key"]}),
    ],
    "EKS-20": [
        Case("encrypted", add(_aws(VOLUME, "v", {"availabilityZone": "us-east-1a", "size": 100, "encrypted": True}))),
        Case(
            "unencrypted",
            add(_aws(VOLUME, "v", {"availabilityZone": "us-east-1a", "size": 100, "encrypted": False})),
            {"v": ["encrypted is False; expected true"]},
        ),
        Case(
            "unset",
            add(_aws(VOLUME, "v", {"availabilityZone": "us-east-1a", "size": 100})),
            {"v": ["encrypted is None; expected true"]},
        ),
    ],
    "EKS-21": [
        Case("hardened", add(_aws(INSTANCE, "i", HARDENED))),
        Case(
            "bastion",
            add(
                _aws(
                    INSTANCE,
                    "i",
                    {
                        **HARDENED,
                        "associatePublicIpAddress": True,
                        "metadataOptions": {"httpTokens": "optional"},
                        "rootBlockDevice": {"encrypted": False},
                    },
                )
            ),
            {
                "i": [
                    "associatePublicIpAddress is true; expected false",
                    "metadataOptions.httpTokens is 'optional'; expected 'required'",
                    "rootBlockDevice.encrypted is False; expected true",
                ]
            },
        ),
    ],
    "GKE-19": [
        Case("baseline"),
        Case("closed", set_("gcp1-cluster", RO_PORT, "FALSE")),
        Case(
            "cluster-open",
            set_("gcp1-cluster", RO_PORT, "TRUE"),
            {"gcp1-cluster": [f"{RO_PORT} is 'TRUE'; expected 'FALSE'"]},
        ),
        Case(
            "pool-open",
            set_("gcp1-h100", "nodeConfig.kubeletConfig.insecureKubeletReadonlyPortEnabled", True),
            {"gcp1-h100": ["nodeConfig.kubeletConfig.insecureKubeletReadonlyPortEnabled is 'TRUE'; expected 'FALSE'"]},
        ),
    ],
    "GKE-20": [
        Case("baseline"),
        Case("explicitly-disabled", set_("gcp1-h100", ("nodeConfig", "metadata", "disable-legacy-endpoints"), "true")),
        Case(
            "pool-re-enabled",
            set_("gcp1-h100", ("nodeConfig", "metadata", "disable-legacy-endpoints"), "false"),
            {"gcp1-h100": ["nodeConfig.metadata['disable-legacy-endpoints'] is 'false'; expected 'true'"]},
        ),
        Case(
            "cluster-re-enabled",
            set_("gcp1-cluster", ("nodeConfig", "metadata", "disable-legacy-endpoints"), False),
            {"gcp1-cluster": ["nodeConfig.metadata['disable-legacy-endpoints'] is 'false'; expected 'true'"]},
        ),
    ],
    "KMS-09": [
        Case("baseline"),
        Case(
            "foreign-sse-key",
            set_(
                "aws1-weights-sse",
                "rules.0.applyServerSideEncryptionByDefault.kmsMasterKeyId",
                "arn:aws:kms:us-east-1:999988887777:key/0000-1111",
            ),
            {
                "aws1-weights-sse": [
                    "rules[0].applyServerSideEncryptionByDefault.kmsMasterKeyId is a KMS key of account 999988887777; "
                    "expected a key of the stack's accounts"
                ]
            },
        ),
        Case(
            "foreign-key-in-policy-text-is-not-a-key-field",
            set_("aws1-weights-sse", "description", "arn:aws:kms:us-east-1:999988887777:key/0000-1111"),
        ),
    ],
    "REL-08": [
        Case("baseline"),
        Case("min-available-below-all", set_("dc1-server-pdb", "spec", {"minAvailable": 1, "selector": {}})),
        Case(
            "max-unavailable-zero",
            set_("dc1-server-pdb", "spec.maxUnavailable", 0),
            {"dc1-server-pdb": ["maxUnavailable is 0; expected at least 1"]},
        ),
        Case(
            "min-available-all",
            set_("dc1-lws-pdb", "spec", {"minAvailable": "100%", "selector": {}}),
            {"dc1-lws-pdb": ["minAvailable is '100%'; expected fewer than all pods"]},
        ),
    ],
}


@pytest.mark.parametrize(("rule_id", "case"), cases_params(CASES))
def test_rule_case(rule_id, case):
    check(rule_id, case)
