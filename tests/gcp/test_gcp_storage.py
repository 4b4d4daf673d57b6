"""Weights: a private CMEK bucket with versioning and access logs; read for servers, write for stagers."""

from __future__ import annotations

import json

import pytest

from infra import naming
from infra.gcp.identity import KSA_ANNOTATION
from infra.plan import Plan
from infra.workloads.context import ClusterContext
from tests.gcp.conftest import GcpView, resolved

BUCKET = "gcp:storage/bucket:Bucket"


def buckets(view: GcpView) -> dict[str, dict]:
    return {b.name.rsplit("-", 1)[1]: b for b in view.of_type(BUCKET)}


@pytest.mark.parametrize("which", ["bucket", "logs"])
def test_buckets_are_private_cmek_versioned_and_protected(prod_gcp: GcpView, which: str) -> None:
    bucket = buckets(prod_gcp)[which]
    props = bucket.props
    assert props["encryption"]["defaultKmsKeyName"].endswith("/cryptoKeys/weights")
    assert props["uniformBucketLevelAccess"] is True
    assert props["publicAccessPrevention"] == "enforced"
    assert props["versioning"] == {"enabled": True}
    assert props["location"] == prod_gcp.config["region"].upper()
    assert props["forceDestroy"] is False
    assert bucket.protect is True


def test_weights_bucket_logs_access_and_aborts_stale_uploads(prod_gcp: GcpView) -> None:
    weights, logs = buckets(prod_gcp)["bucket"].props, buckets(prod_gcp)["logs"].props
    assert weights["logging"]["logBucket"] == logs["name"]
    actions = {r["action"]["type"]: r["condition"] for r in weights["lifecycleRules"]}
    assert actions["AbortIncompleteMultipartUpload"]["age"] >= 1
    assert actions["Delete"]["daysSinceNoncurrentTime"] >= 1
    writer = next(
        g.props
        for g in prod_gcp.of_type("gcp:storage/bucketIAMMember:BucketIAMMember")
        if g.props["bucket"] == logs["name"]
    )
    assert writer == {
        "bucket": logs["name"],
        "role": "roles/storage.objectCreator",
        "member": "group:cloud-storage-analytics@google.com",
    }


def test_servers_read_and_stagers_write_nobody_else(prod_gcp: GcpView) -> None:
    weights = buckets(prod_gcp)["bucket"].props["name"]
    project = prod_gcp.config["project"]
    grants = {
        (g.props["role"], g.props["member"])
        for g in prod_gcp.of_type("gcp:storage/bucketIAMMember:BucketIAMMember")
        if g.props["bucket"] == weights
    }
    assert grants == {
        ("roles/storage.objectViewer", f"serviceAccount:gcp-usc1-server@{project}.iam.gserviceaccount.com"),
        ("roles/storage.objectAdmin", f"serviceAccount:gcp-usc1-stager@{project}.iam.gserviceaccount.com"),
    }


def test_workload_identity_binds_each_placed_models_service_accounts(prod_gcp: GcpView, prod_plan: Plan) -> None:
    project = prod_gcp.config["project"]
    models = sorted(
        {m["name"] for m in prod_plan.config["models"] for p in m["placements"] if p["target"] == prod_gcp.target}
    )
    bindings = {
        (g.props["serviceAccountId"].rsplit("/", 1)[1], g.props["member"])
        for g in prod_gcp.of_type("gcp:serviceaccount/iAMMember:IAMMember")
    }
    expected = set()
    for model in models:
        for role, ksa in (
            ("server", naming.server_service_account(model)),
            ("stager", naming.stager_service_account(model)),
        ):
            expected.add(
                (
                    f"gcp-usc1-{role}@{project}.iam.gserviceaccount.com",
                    f"serviceAccount:{project}.svc.id.goog[{naming.namespace(model)}/{ksa}]",
                )
            )
    assert models == ["llama-70b", "llama-8b"]
    assert bindings == expected
    assert {g.props["role"] for g in prod_gcp.of_type("gcp:serviceaccount/iAMMember:IAMMember")} == {
        "roles/iam.workloadIdentityUser"
    }


def test_context_hands_the_workloads_gs_weights_and_the_identity_annotations(prod_context: ClusterContext) -> None:
    assert prod_context.weights.uri == "gs://acme-llm-prod-gcp-usc1-weights"
    assert prod_context.weights.endpoint is None and prod_context.weights.credentials_secret is None
    assert (
        resolved(prod_context.server_sa_annotations[KSA_ANNOTATION])
        == "gcp-usc1-server@acme-llm-prod.iam.gserviceaccount.com"
    )
    assert (
        resolved(prod_context.stager_sa_annotations[KSA_ANNOTATION])
        == "gcp-usc1-stager@acme-llm-prod.iam.gserviceaccount.com"
    )


def test_model_service_accounts_carry_the_workload_identity_annotation(prod_gcp: GcpView) -> None:
    project = prod_gcp.config["project"]
    accounts = {
        (a.props["metadata"]["namespace"], a.props["metadata"]["name"]): a.props["metadata"]["annotations"]
        for a in prod_gcp.of_type("kubernetes:core/v1:ServiceAccount")
        if a.props["metadata"]["namespace"].startswith("llm-")
        # the endpoint picker needs no cloud identity (it reads pods and its pool in-cluster)
        and (a.props["metadata"].get("labels") or {}).get("app.kubernetes.io/component") != "endpoint-picker"
    }
    for model in ("llama-8b", "llama-70b"):
        namespace = naming.namespace(model)
        server = accounts[(namespace, naming.server_service_account(model))]
        stager = accounts[(namespace, naming.stager_service_account(model))]
        assert server[KSA_ANNOTATION] == f"gcp-usc1-server@{project}.iam.gserviceaccount.com"
        assert stager[KSA_ANNOTATION] == f"gcp-usc1-stager@{project}.iam.gserviceaccount.com"


def test_models_stream_from_the_weights_bucket(prod_gcp: GcpView) -> None:
    bucket = buckets(prod_gcp)["bucket"].props["name"]
    specs = [
        json.loads(c.props["data"]["spec.json"])
        for c in prod_gcp.of_type("kubernetes:core/v1:ConfigMap")
        if "spec.json" in c.props.get("data", {})
    ]
    assert len(specs) == 2
    for spec in specs:
        assert spec["model"].startswith(f"gs://{bucket}/")
        assert spec["loadFormat"] == "runai_streamer"
