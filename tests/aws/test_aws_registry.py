"""ECR (immutable, scanned, KMS, protected) and the serving image: built and pushed in dev,
referenced by the promoted digest otherwise."""

from __future__ import annotations

from infra.image_build import SERVING_DIR
from infra.plan.model import SECRET
from tests.aws.conftest import VARIANT_DIGEST, AwsView, resolved


def test_repository_is_immutable_scanned_kms_encrypted_and_protected(any_aws: AwsView) -> None:
    repo = any_aws.one("aws:ecr/repository:Repository")
    assert repo.protect is True
    assert repo.props["imageTagMutability"] == "IMMUTABLE"
    assert repo.props["imageScanningConfiguration"] == {"scanOnPush": True}
    assert repo.props["encryptionConfigurations"] == [{"encryptionType": "KMS", "kmsKey": any_aws.key_arn("ecr")}]
    assert repo.props["forceDelete"] is False


def test_dev_builds_serving_and_runs_the_pushed_digest(dev_aws: AwsView) -> None:
    image = dev_aws.one("docker-build:index:Image")
    repo = dev_aws.one("aws:ecr/repository:Repository")
    url = dev_aws.output(repo, "repositoryUrl")
    assert image.props["push"] is True
    assert image.props["context"]["location"] == str(SERVING_DIR)
    assert image.props["dockerfile"]["location"] == str(SERVING_DIR / "Dockerfile")
    assert (SERVING_DIR / "Dockerfile").is_file()
    assert image.props["tags"] == [f"{url}:{dev_aws.plan.config['image']['tag']}"]
    [registry] = image.props["registries"]
    assert registry["address"] == url
    assert registry["password"] == SECRET
    digest = dev_aws.output(image, "digest")
    assert resolved(dev_aws.component.context.image) == f"{url}@{digest}"


def test_prod_references_the_promoted_digest_and_builds_nothing(prod_aws: AwsView, variant_aws: AwsView) -> None:
    for view, digest in ((prod_aws, prod_aws.plan.config["image"]["digest"]), (variant_aws, VARIANT_DIGEST)):
        assert view.of_type("docker-build:index:Image") == []
        url = view.output(view.one("aws:ecr/repository:Repository"), "repositoryUrl")
        assert resolved(view.component.context.image) == f"{url}@{digest}"


def test_model_servers_run_the_image_by_digest(any_aws: AwsView) -> None:
    image = resolved(any_aws.component.context.image)
    deployments = any_aws.of_type("kubernetes:apps/v1:Deployment")
    servers = [d for d in deployments if d.props["metadata"]["namespace"].startswith("llm-")
               and d.props["metadata"]["namespace"] != "llm-edge"
               # the endpoint picker runs its own image (mirrored into the same repository, by digest)
               and (d.props["metadata"].get("labels") or {}).get("app.kubernetes.io/component") != "endpoint-picker"]
    assert servers
    for deployment in servers:
        containers = deployment.props["spec"]["template"]["spec"]["containers"]
        assert image in {c["image"] for c in containers}


def test_repository_policy_denies_every_principal_outside_the_account() -> None:
    import json

    from infra.plan import evaluate_stack
    from infra.plan.mocks import ACCOUNT_ID

    for stack in ("dev", "prod"):
        plan = evaluate_stack(stack)
        repositories = plan.of_type("aws:ecr/repository:Repository")
        policies = plan.of_type("aws:ecr/repositoryPolicy:RepositoryPolicy")
        assert len(policies) == len(repositories) == 1
        assert policies[0].props["repository"] == repositories[0].props["name"]
        [statement] = json.loads(policies[0].props["policy"])["Statement"]
        assert statement["Effect"] == "Deny" and statement["Action"] == "ecr:*"
        assert statement["Condition"] == {"StringNotEquals": {"aws:PrincipalAccount": ACCOUNT_ID}}
