"""WeightStore: the model weight bucket (CMEK, private, versioned, access-logged) and its log bucket."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp

from infra.gcp.common import GcpScope, fit_name

# GCS usage/storage logs are written by this Google group (https://cloud.google.com/storage/docs/access-logs).
ACCESS_LOG_WRITER = "group:cloud-storage-analytics@google.com"
NONCURRENT_DAYS = 7
"""Replaced weights (older object versions) are kept this long: a week to roll back a restage."""
ABORT_UPLOADS_DAYS = 1
LOG_RETENTION_DAYS = 365


@dataclass(frozen=True)
class WeightStoreArgs:
    kms_key: pulumi.Input[str]
    key_grants: list[pulumi.Resource]
    """The Cloud Storage agent's grant on the key: the buckets wait for it."""
    readers: dict[str, pulumi.Input[str]]
    """Who reads weights (the model servers' Workload Identity): short name -> IAM member."""
    writers: dict[str, pulumi.Input[str]]
    """Who stages weights (the staging Jobs' Workload Identity): short name -> IAM member."""


class WeightStore(pulumi.ComponentResource):
    bucket: gcp.storage.Bucket
    log_bucket: gcp.storage.Bucket
    uri: str
    """``gs://BUCKET``"""

    def __init__(self, name: str, scope: GcpScope, args: WeightStoreArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("llm-fleet:gcp:WeightStore", name, None, opts)
        self._scope = scope
        self._args = args
        bucket_name = fit_name(f"{scope.project}-{name}", 63)
        self.uri = f"gs://{bucket_name}"
        self._create_log_bucket(name, fit_name(f"{bucket_name}-logs", 63))
        self._create_bucket(name, bucket_name)
        self._create_grants(name)
        self.register_outputs({"uri": self.uri, "logBucket": self.log_bucket.name})

    def _common(self) -> dict[str, object]:
        """Settings both buckets share: regional, CMEK, uniform access, never public."""
        return {
            "project": self._scope.project,
            "location": self._scope.region.upper(),
            "storage_class": "STANDARD",
            "encryption": {"default_kms_key_name": self._args.kms_key},
            "uniform_bucket_level_access": True,
            "public_access_prevention": "enforced",
            "force_destroy": False,
            "labels": self._scope.labels,
        }

    def _create_log_bucket(self, name: str, bucket_name: str) -> None:
        self.log_bucket = gcp.storage.Bucket(
            f"{name}-logs",
            name=bucket_name,
            versioning={"enabled": True},
            lifecycle_rules=[
                {"action": {"type": "Delete"}, "condition": {"age": LOG_RETENTION_DAYS}},
                {"action": {"type": "Delete"}, "condition": {"days_since_noncurrent_time": NONCURRENT_DAYS}},
            ],
            **self._common(),
            opts=self._scope.opts(self, depends_on=self._args.key_grants, protect=True),
        )
        self.log_writer = gcp.storage.BucketIAMMember(
            f"{name}-logs-writer",
            bucket=self.log_bucket.name,
            role="roles/storage.objectCreator",
            member=ACCESS_LOG_WRITER,
            opts=self._scope.opts(self),
        )

    def _create_bucket(self, name: str, bucket_name: str) -> None:
        self.bucket = gcp.storage.Bucket(
            f"{name}-bucket",
            name=bucket_name,
            versioning={"enabled": True},
            logging={"log_bucket": self.log_bucket.name, "log_object_prefix": f"{bucket_name}/"},
            lifecycle_rules=[
                {"action": {"type": "AbortIncompleteMultipartUpload"}, "condition": {"age": ABORT_UPLOADS_DAYS}},
                {"action": {"type": "Delete"}, "condition": {"days_since_noncurrent_time": NONCURRENT_DAYS}},
            ],
            **self._common(),
            opts=self._scope.opts(self, depends_on=[*self._args.key_grants, self.log_writer], protect=True),
        )

    def _create_grants(self, name: str) -> None:
        # Read for the servers, object admin (create, overwrite, delete) for the stagers; no one else.
        grants = [(who, "roles/storage.objectViewer", m) for who, m in self._args.readers.items()]
        grants += [(who, "roles/storage.objectAdmin", m) for who, m in self._args.writers.items()]
        self.grants = [
            gcp.storage.BucketIAMMember(
                f"{name}-{who}",
                bucket=self.bucket.name,
                role=role,
                member=member,
                opts=self._scope.opts(self),
            )
            for who, role, member in grants
        ]
