"""REL-06: stateful resources (keys, buckets, registries) are protected from deletion."""

from policy.rules.base import Violation, stack_rule

STATEFUL = (
    "aws:kms/key:Key",
    "aws:s3/bucket:Bucket",
    "aws:ecr/repository:Repository",
    "gcp:kms/keyRing:KeyRing",
    "gcp:kms/cryptoKey:CryptoKey",
    "gcp:storage/bucket:Bucket",
    "gcp:artifactregistry/repository:Repository",
)


@stack_rule(
    id="REL-06",
    title="Stateful resources (keys, buckets, registries) are protected from deletion",
    severity="high",
    category="reliability",
    types=STATEFUL,
    remediation="Create them with pulumi.ResourceOptions(protect=True).",
    references=("CKV_GCP_82", "custom"),
)
def enforce_stateful_protection(ctx):
    for resource in ctx.of_type(*STATEFUL):
        if not resource.protect:
            yield Violation("protect is false; expected protect=True", resource.urn)
