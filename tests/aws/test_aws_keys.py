"""Customer-managed KMS keys: rotation, 30-day window, explicit policy without '*', protected."""

from __future__ import annotations

from infra.aws.keys import KEY_PURPOSES
from tests.aws.conftest import AwsView, policy


def test_one_protected_rotating_key_per_purpose(any_aws: AwsView) -> None:
    keys = any_aws.of_type("aws:kms/key:Key")
    assert sorted(k.props["tags"]["llm-fleet-key-purpose"] for k in keys) == sorted(KEY_PURPOSES)
    assert set(KEY_PURPOSES) == {"eks", "ebs", "s3", "ecr", "logs"}
    for key in keys:
        assert key.protect is True, key.name
        assert key.props["enableKeyRotation"] is True
        assert key.props["deletionWindowInDays"] == 30
        assert key.props["keyUsage"] == "ENCRYPT_DECRYPT"


def test_key_policies_name_their_principals_and_never_allow_star(any_aws: AwsView) -> None:
    for key in any_aws.of_type("aws:kms/key:Key"):
        statements = policy(key)["Statement"]
        for st in statements:
            principal = st["Principal"]
            assert principal != "*"
            values = [v for vs in principal.values() for v in (vs if isinstance(vs, list) else [vs])]
            assert "*" not in values, f"{key.name}: {st['Sid']}"
        root = [s for s in statements if s["Sid"] == "EnableIamPolicies"]
        assert root and root[0]["Principal"] == {"AWS": "arn:aws:iam::123456789012:root"}


def test_service_principals_are_scoped_by_conditions(any_aws: AwsView) -> None:
    logs = policy(any_aws.named("keys-logs", "aws:kms/key:Key"))["Statement"]
    service = next(s for s in logs if s["Sid"] == "AllowCloudWatchLogs")
    assert service["Principal"] == {"Service": f"logs.{any_aws.config['region']}.amazonaws.com"}
    assert service["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"].endswith(":log-group:*")
    ebs = policy(any_aws.named("keys-ebs", "aws:kms/key:Key"))["Statement"]
    grants = next(s for s in ebs if s["Sid"] == "AllowAutoScalingGrantsForVolumes")
    assert grants["Action"] == ["kms:CreateGrant"]
    assert grants["Condition"] == {"Bool": {"kms:GrantIsForAWSResource": "true"}}


def test_every_key_has_an_alias(any_aws: AwsView) -> None:
    aliases = any_aws.of_type("aws:kms/alias:Alias")
    assert len(aliases) == len(KEY_PURPOSES)
    assert all(a.props["name"].startswith("alias/llm-fleet-") for a in aliases)
