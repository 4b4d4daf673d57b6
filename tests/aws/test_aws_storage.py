"""Weights bucket and log bucket: every companion resource with its secure setting."""

from __future__ import annotations

import pytest

from tests.aws.conftest import AwsView, policy

COMPANIONS = [
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketVersioning:BucketVersioning",
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
    "aws:s3/bucketPolicy:BucketPolicy",
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
]


def companion(view: AwsView, bucket: str, typ: str) -> dict:
    bucket_id = view.id_of(view.named(f"storage-{bucket}", "aws:s3/bucket:Bucket"))
    found = [r for r in view.of_type(typ) if r.props["bucket"] == bucket_id]
    assert len(found) == 1, f"{typ} of {bucket}: {len(found)}"
    return found[0].props


@pytest.mark.parametrize("bucket", ["weights", "logs"])
def test_bucket_is_protected_and_has_every_companion(any_aws: AwsView, bucket: str) -> None:
    resource = any_aws.named(f"storage-{bucket}", "aws:s3/bucket:Bucket")
    assert resource.protect is True
    assert resource.props["forceDestroy"] is False
    for typ in COMPANIONS:
        companion(any_aws, bucket, typ)
    block = companion(any_aws, bucket, COMPANIONS[2])
    assert all(block[k] is True for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"))
    assert companion(any_aws, bucket, COMPANIONS[3])["rule"] == {"objectOwnership": "BucketOwnerEnforced"}
    assert companion(any_aws, bucket, COMPANIONS[1])["versioningConfiguration"]["status"] == "Enabled"
    rules = companion(any_aws, bucket, COMPANIONS[5])["rules"]
    abort = [r for r in rules if "abortIncompleteMultipartUpload" in r]
    assert abort and abort[0]["status"] == "Enabled"
    assert abort[0]["abortIncompleteMultipartUpload"]["daysAfterInitiation"] <= 7
    statements = policy(any_aws.named(f"storage-{bucket}-policy"))["Statement"]
    deny = next(s for s in statements if s["Sid"] == "DenyInsecureTransport")
    assert deny["Effect"] == "Deny"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert len(deny["Resource"]) == 2 and deny["Resource"][1].endswith("/*")


def test_weights_are_encrypted_with_the_s3_key_and_access_logged(any_aws: AwsView) -> None:
    [rule] = companion(any_aws, "weights", COMPANIONS[0])["rules"]
    assert rule["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": any_aws.key_arn("s3")}
    assert rule["bucketKeyEnabled"] is True
    logging = companion(any_aws, "weights", "aws:s3/bucketLogging:BucketLogging")
    assert logging["targetBucket"] == any_aws.id_of(any_aws.named("storage-logs", "aws:s3/bucket:Bucket"))
    allowed = [s for s in policy(any_aws.named("storage-weights-policy"))["Statement"] if s["Effect"] == "Allow"]
    assert allowed == [], "no principal is granted access by the bucket policy; IAM roles are"


def test_log_bucket_uses_sse_s3_and_only_log_writers_may_write(any_aws: AwsView) -> None:
    [rule] = companion(any_aws, "logs", COMPANIONS[0])["rules"]
    assert rule["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "AES256"}
    allows = [s for s in policy(any_aws.named("storage-logs-policy"))["Statement"] if s["Effect"] == "Allow"]
    assert {s["Sid"] for s in allows} == {"AllowS3ServerAccessLogs", "AllowAlbAccessLogsRegionalAccount", "AllowAlbAccessLogsService"}
    assert all(s["Action"] == ["s3:PutObject"] for s in allows)
    assert all(s["Principal"] != "*" and s["Principal"] != {"AWS": "*"} for s in allows)
    rules = companion(any_aws, "logs", COMPANIONS[5])["rules"]
    assert any(r.get("expiration", {}).get("days") for r in rules)


def test_bucket_names_are_stable_and_the_context_points_at_the_weights(any_aws: AwsView) -> None:
    name = any_aws.named("storage-weights", "aws:s3/bucket:Bucket").props["bucket"]
    assert name.startswith(f"llm-fleet-{any_aws.plan.stack}-{any_aws.target}-weights-")
    assert len(name) <= 63
    assert any_aws.component.context.weights.uri == f"s3://{name}"
    assert any_aws.component.context.weights.endpoint is None
