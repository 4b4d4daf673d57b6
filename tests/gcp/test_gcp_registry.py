"""Registry: CMEK Artifact Registry repository with immutable tags and scanning; image by digest."""

from __future__ import annotations

from infra.plan import SECRET, Plan
from infra.workloads.context import ClusterContext
from serving.versions import SERVING_IMAGE_NAME
from tests.gcp.conftest import GcpView, resolved

REPO = "gcp:artifactregistry/repository:Repository"


def test_repository_is_cmek_immutable_scanned_and_protected(prod_gcp: GcpView) -> None:
    repo = prod_gcp.one(REPO)
    assert repo.props["format"] == "DOCKER"
    assert repo.props["kmsKeyName"].endswith("/cryptoKeys/registry")
    assert repo.props["dockerConfig"] == {"immutableTags": True}
    assert repo.props["vulnerabilityScanningConfig"] == {"enablementConfig": "INHERITED"}
    assert repo.props["location"] == prod_gcp.config["region"]
    assert repo.protect is True


def test_scanning_api_is_enabled_for_the_inherited_scanning(prod_gcp: GcpView) -> None:
    apis = {s.props["service"] for s in prod_gcp.of_type("gcp:projects/service:Service")}
    assert {"containerscanning.googleapis.com", "artifactregistry.googleapis.com", "container.googleapis.com"} <= apis
    assert all(s.props["disableOnDestroy"] is False for s in prod_gcp.of_type("gcp:projects/service:Service"))


def test_only_the_nodes_read_the_repository(prod_gcp: GcpView) -> None:
    repo = prod_gcp.one(REPO).props
    [grant] = prod_gcp.of_type("gcp:artifactregistry/repositoryIamMember:RepositoryIamMember")
    node_sa = prod_gcp.named(f"{prod_gcp.target}-gke-nodes").props["accountId"]
    assert grant.props["repository"] == repo["repositoryId"]
    assert grant.props["role"] == "roles/artifactregistry.reader"
    assert grant.props["member"] == f"serviceAccount:{node_sa}@{prod_gcp.config['project']}.iam.gserviceaccount.com"


def test_prod_serves_the_promoted_digest_from_the_repository(
    prod_gcp: GcpView, prod_plan: Plan, prod_context: ClusterContext
) -> None:
    repo = prod_gcp.one(REPO).props
    image = resolved(prod_context.image)
    assert image == (
        f"{repo['location']}-docker.pkg.dev/{prod_gcp.config['project']}/{repo['repositoryId']}/"
        f"{SERVING_IMAGE_NAME}@{prod_plan.config['image']['digest']}"
    )
    assert not prod_gcp.of_type("docker-build:index:Image")


def test_a_build_stack_pushes_to_the_repository_and_pins_the_built_digest(
    variant_gcp: GcpView, variant_context: ClusterContext
) -> None:
    [build] = variant_gcp.of_type("docker-build:index:Image")
    repo = variant_gcp.one(REPO).props
    registry = f"{repo['location']}-docker.pkg.dev"
    expected_repo = f"{registry}/{variant_gcp.config['project']}/{repo['repositoryId']}/{SERVING_IMAGE_NAME}"
    assert build.props["push"] is True
    assert build.props["tags"] == [f"{expected_repo}:0.32.0-llmfleet.1"]
    [auth] = build.props["registries"]
    assert auth["address"] == registry and auth["password"] == SECRET
    image = resolved(variant_context.image)
    assert image.startswith(f"{expected_repo}@sha256:") and len(image.rsplit(":", 1)[1]) == 64


def test_model_servers_run_the_image_from_the_repository(prod_gcp: GcpView, prod_context: ClusterContext) -> None:
    images = {
        c["image"]
        for d in prod_gcp.of_type("kubernetes:apps/v1:Deployment")
        for c in d.props["spec"]["template"]["spec"]["containers"]
        # the endpoint picker runs its own image (mirrored into the same repository, by digest)
        if SERVING_IMAGE_NAME in c["image"] and (d.props["metadata"].get("labels") or {}).get("app.kubernetes.io/component") != "endpoint-picker"
    }
    assert images == {resolved(prod_context.image)}
