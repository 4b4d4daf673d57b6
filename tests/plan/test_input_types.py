"""Every resource's props against the pinned provider SDKs' input types (infra/plan/input_types.py).

Over dev, prod and the variant stacks: no key a provider does not declare, no value of the
wrong type, no required key left out, at any depth. Kubernetes built-in kinds are checked against pulumi_kubernetes'
input types (generated from the Kubernetes OpenAPI; the rendered YAML also goes through
kubernetes-validate in tests/render); custom resources have no SDK type and are left to
the CRD checks. Planted errors prove each kind of finding is reported.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from infra.plan import SECRET, Plan, PlanResource
from infra.plan.input_types import UntypedResourceError, args_type, check_plan, check_resource, is_checked
from infra.plan.ordering_gaps import BUILTIN_GROUPS, kind_of


def test_no_input_type_findings(any_plan: Plan) -> None:
    findings, _ = check_plan(any_plan)
    assert not findings, "\n".join(map(str, findings))


def test_only_custom_resources_of_crds_go_unchecked(any_plan: Plan) -> None:
    _, untyped = check_plan(any_plan)
    for resource in untyped:
        assert resource.type.startswith("kubernetes:"), resource.urn
        group, _ = kind_of(resource)
        assert group not in BUILTIN_GROUPS and group != "helm.sh", resource.urn
    checked = [r for r in any_plan.resources if is_checked(r)]
    assert len(checked) > 2 * len(untyped)
    packages = {r.type.split(":")[0] if not r.type.startswith("pulumi:providers:") else "provider" for r in checked}
    assert {"kubernetes", "provider"} <= packages


def test_every_sdk_of_the_program_is_resolved(dev_plan: Plan, prod_plan: Plan) -> None:
    for plan in (dev_plan, prod_plan):
        for resource in plan.resources:
            if resource.custom and is_checked(resource):
                assert args_type(resource.type).__name__.endswith("Args")
    types = {r.type for p in (dev_plan, prod_plan) for r in p.resources if r.custom}
    assert {t.split(":")[0] for t in types} >= {"aws", "gcp", "kubernetes", "random", "docker-build", "pulumi"}


def test_an_unknown_type_is_named() -> None:
    with pytest.raises(UntypedResourceError, match="no pinned SDK declares resource type 'aws:nope/nope:Nope'"):
        args_type("aws:nope/nope:Nope")


# -- planted errors (controls) -----------------------------------------------------------------


def _one(plan: Plan, typ: str, name: str | None = None) -> PlanResource:
    found = [r for r in plan.resources if r.type == typ and (name is None or r.name == name)]
    return copy.deepcopy(found[0])


def _findings(resource: PlanResource) -> list[tuple[str, str]]:
    return [(f.path, f.message) for f in check_resource(resource)]


def _set(props: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    node: Any = props
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node[key]
    node[last] = value


def test_an_unknown_key_deep_in_a_pod_template_is_reported(prod_plan: Plan) -> None:
    deployment = _one(prod_plan, "kubernetes:apps/v1:Deployment")
    container = deployment.props["spec"]["template"]["spec"]["containers"][0]
    container["resources"]["limitz"] = {"cpu": "1"}
    assert _findings(deployment) == [
        ("spec.template.spec.containers[0].resources.limitz", "unknown key for ResourceRequirementsArgs")
    ]


def test_wrong_primitive_types_are_reported(prod_plan: Plan) -> None:
    deployment = _one(prod_plan, "kubernetes:apps/v1:Deployment")
    deployment.props["spec"]["progressDeadlineSeconds"] = "600"
    deployment.props["metadata"]["labels"]["tier"] = 3
    deployment.props["spec"]["template"]["spec"]["containers"][0]["args"] = "--port 8000"
    assert _findings(deployment) == [
        ("metadata.labels.tier", "expected str, got int 3"),
        ("spec.progressDeadlineSeconds", "expected int, got string '600'"),
        ("spec.template.spec.containers[0].args", "expected a list, got string"),
    ]


def test_a_bool_is_not_an_int_and_a_fraction_is_not_an_int(prod_plan: Plan) -> None:
    password = _one(prod_plan, "random:index/randomPassword:RandomPassword")
    password.props["length"] = True
    password.props["special"] = 1
    assert _findings(password) == [("length", "expected int, got bool True"), ("special", "expected bool, got int 1")]
    password.props.update(length=31.5, special=False)
    assert _findings(password) == [("length", "expected int, got float 31.5")]


def test_a_literal_and_an_int_or_string_are_read_from_the_sdk(prod_plan: Plan) -> None:
    deployment = copy.deepcopy(
        next(  # a model server: its readiness probe is an HTTP GET
            r
            for r in prod_plan.of_type("kubernetes:apps/v1:Deployment")
            if "httpGet" in r.props["spec"]["template"]["spec"]["containers"][0].get("readinessProbe", {})
        )
    )
    deployment.props["apiVersion"] = "apps/v2"
    probe = deployment.props["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["httpGet"]
    probe["port"] = "http"  # IntOrString: both forms are fine
    assert _findings(deployment) == [("apiVersion", "expected one of ['apps/v1'], got 'apps/v2'")]
    probe["port"] = [8000]
    [(path, message)] = _findings(_with(deployment, "apiVersion", "apps/v1"))
    assert path.endswith("readinessProbe.httpGet.port") and message.startswith("expected int or str")


def _with(resource: PlanResource, path: str, value: Any) -> PlanResource:
    _set(resource.props, path, value)
    return resource


def test_aws_nested_input_types_are_walked(prod_plan: Plan) -> None:
    cluster = _one(prod_plan, "aws:eks/cluster:Cluster")
    cluster.props["encryptionConfig"]["provider"]["keyArnz"] = "x"
    cluster.props["vpcConfig"]["subnetIds"] = "subnet-1"
    cluster.props["tags"]["n"] = 1
    assert _findings(cluster) == [
        ("encryptionConfig.provider.keyArnz", "unknown key for ClusterEncryptionConfigProviderArgs"),
        ("tags.n", "expected str, got int 1"),
        ("vpcConfig.subnetIds", "expected a list, got string"),
    ]


def test_gcp_nested_input_types_are_walked(prod_plan: Plan) -> None:
    pool = _one(prod_plan, "gcp:container/nodePool:NodePool", "gcp-usc1-gke-system")
    pool.props["nodeConfig"]["diskSizeGb"] = "100"
    pool.props["autoscaling"]["maxNodes"] = 3
    assert _findings(pool) == [
        ("autoscaling.maxNodes", "unknown key for NodePoolAutoscalingArgs"),
        ("nodeConfig.diskSizeGb", "expected int, got string '100'"),
    ]


def test_a_helm_release_is_typed_but_its_values_are_free_form(dev_plan: Plan) -> None:
    release = _one(dev_plan, "kubernetes:helm.sh/v3:Release", "lab-ops-keda")
    release.props["values"]["anything"] = {"at": ["any", 1, True]}
    assert _findings(release) == []
    release.props["skipAwait"] = "yes"
    release.props["repositoryOpts"]["repository"] = "x"
    assert _findings(release) == [
        ("repositoryOpts.repository", "unknown key for RepositoryOptsArgs"),
        ("skipAwait", "expected bool, got string 'yes'"),
    ]


def test_provider_inputs_are_checked_through_their_json_encoding(prod_plan: Plan) -> None:
    provider = _one(prod_plan, "pulumi:providers:aws")
    assert _findings(provider) == []
    provider.props["defaultTags"] = json.dumps({"tagz": {"a": "b"}})
    provider.props["skipRegionValidation"] = "maybe"
    assert _findings(provider) == [
        ("defaultTags.tagz", "unknown key for ProviderDefaultTagsArgs"),
        ("skipRegionValidation", "expected bool (JSON-encoded), got a string"),
    ]


def test_secrets_and_unknowns_stand_for_any_type(prod_plan: Plan) -> None:
    password = _one(prod_plan, "random:index/randomPassword:RandomPassword")
    password.props.update(length=SECRET, special="[unknown]")
    assert _findings(password) == []


def test_docker_build_image_is_walked(dev_plan: Plan) -> None:
    image = _one(dev_plan, "docker-build:index:Image")
    assert _findings(image) == []
    image.props["push"] = "true"
    image.props["platforms"] = ["linux/amd64", 64]
    findings = dict(_findings(image))
    assert findings["push"] == "expected bool, got string 'true'"
    assert findings["platforms[1]"].startswith("expected one of")


def test_a_missing_required_key_is_reported(prod_plan: Plan) -> None:
    cluster = _one(prod_plan, "aws:eks/cluster:Cluster")
    del cluster.props["roleArn"]
    deployment = _one(prod_plan, "kubernetes:apps/v1:Deployment")
    del deployment.props["spec"]["template"]["spec"]["containers"][0]["name"]
    assert _findings(cluster) == [("roleArn", "missing required key of ClusterArgs")]
    assert _findings(deployment) == [("spec.template.spec.containers[0].name", "missing required key of ContainerArgs")]
