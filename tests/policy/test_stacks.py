"""The real stacks against their own pack: dev passes, prod has no unsuppressed findings
(beyond the gaps listed below, owned by other areas), and flipping any secure setting of
the real prod Plan to an insecure or costly value produces a finding."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from policy.engine import evaluate_plan
from policy.props import gpu_request, pod_specs
from policy.rules import all_rules
from policy.rules.base import ValueRule

RULES = {r.meta.id: r for r in all_rules()}

@pytest.fixture(scope="module")
def prod(prod_plan) -> dict[str, Any]:
    return prod_plan.to_json()


@pytest.fixture(scope="module")
def dev(dev_plan) -> dict[str, Any]:
    return dev_plan.to_json()


def test_dev_passes_its_own_pack(dev):
    report = evaluate_plan(dev)
    assert report.default_enforcement == "advisory"
    assert report.exit_code == 0 and report.findings == [], report.to_text()


def test_prod_passes_its_own_pack_with_no_findings(prod):
    report = evaluate_plan(prod)
    assert report.default_enforcement == "mandatory"
    assert report.exit_code == 0 and report.findings == [], report.to_text()


# ---------------------------------------------------------------------------
# Mutations of the real prod Plan
# ---------------------------------------------------------------------------

Plan = dict[str, Any]
Res = dict[str, Any]


def _of_type(plan: Plan, type_: str, where: Callable[[Res], bool] = lambda r: True) -> list[Res]:
    return [r for r in plan["resources"] if r["type"] == type_ and where(r)]


def _set(obj: Any, path: str | tuple[str, ...], value: Any) -> None:
    keys = list(path) if isinstance(path, tuple) else path.split(".")
    for key in keys[:-1]:
        obj = obj[int(key)] if isinstance(obj, list) else obj.setdefault(key, {})
    if isinstance(obj, list):
        obj[int(keys[-1])] = value
    else:
        obj[keys[-1]] = value


def _gpu_server(r: Res) -> bool:
    return any(gpu_request(c) for _, spec in pod_specs(r["type"], r["props"]) for c in spec.get("containers", []))


def _server_container(r: Res) -> dict[str, Any]:
    spec = pod_specs(r["type"], r["props"])[0][1]
    return next(c for c in spec["containers"] if gpu_request(c))


@pytest.fixture(scope="module")
def prod_findings(prod):
    """(rule, urn, message) of the unmutated prod Plan, per rule."""
    report = evaluate_plan(prod)
    return {(f.rule, f.urn, f.message) for f in report.findings}


def _new_findings(plan: Plan, rule_id: str, before: set) -> set[tuple[str, str]]:
    report = evaluate_plan(plan, rules=[RULES[rule_id]])
    return {
        (f.urn, f.message) for f in report.findings if f.rule == rule_id and (f.rule, f.urn, f.message) not in before
    }


def _value_mutations() -> list[Any]:
    """Every declarative check's secure setting, flipped to its insecure value."""
    out = []
    for rule in RULES.values():
        if isinstance(rule, ValueRule):
            for expect in rule.expects:
                out.append(pytest.param(rule.meta.id, expect.path, expect.insecure, id=f"{rule.meta.id}-{expect.path}"))
    return out


@pytest.mark.parametrize(("rule_id", "path", "insecure"), _value_mutations())
def test_flipping_a_declarative_setting_is_caught(prod, prod_findings, rule_id, path, insecure):
    rule = RULES[rule_id]
    from policy.context import PlanContext

    ctx = PlanContext.from_plan(prod)
    targets = [
        r
        for r in prod["resources"]
        if r["type"] in rule.meta.resource_types and (rule.applies is None or rule.applies(ctx.get(r["urn"]), ctx))
    ]
    if not targets:
        pytest.skip(f"the prod Plan has no {rule.meta.resource_types[0]} for {rule_id}")
    plan = copy.deepcopy(prod)
    victim = next(r for r in plan["resources"] if r["urn"] == targets[0]["urn"])
    _set(victim["props"], path, insecure)
    new = _new_findings(plan, rule_id, prod_findings)
    assert victim["urn"] in {urn for urn, _ in new}, (
        f"{rule_id}: {path} = {insecure!r} on {victim['name']} went unnoticed"
    )


def _first(type_: str, where: Callable[[Res], bool] = lambda r: True):
    def pick(plan: Plan) -> Res:
        found = _of_type(plan, type_, where)
        if not found:
            pytest.skip(f"the prod Plan has no {type_}")
        return found[0]

    return pick


def _remove(type_: str, where: Callable[[Res], bool] = lambda r: True):
    def mutate(plan: Plan) -> None:
        found = _of_type(plan, type_, where)
        if not found:
            pytest.skip(f"the prod Plan has no {type_}")
        plan["resources"] = [r for r in plan["resources"] if r["type"] != type_ or not where(r)]

    return mutate


def _on(pick, change: Callable[[Res], None]):
    def mutate(plan: Plan) -> None:
        change(pick(plan))

    return mutate


def _config(change: Callable[[dict[str, Any]], None]):
    def mutate(plan: Plan) -> None:
        change(plan["config"])

    return mutate


def _container(change: Callable[[dict[str, Any]], None]):
    return _on(_first("kubernetes:apps/v1:Deployment", _gpu_server), lambda r: change(_server_container(r)))


def _pod(change: Callable[[dict[str, Any]], None]):
    return _on(
        _first("kubernetes:apps/v1:Deployment", _gpu_server), lambda r: change(pod_specs(r["type"], r["props"])[0][1])
    )


def _model_namespace(r: Res) -> bool:
    return (
        str(r["props"].get("metadata", {}).get("name", "")).startswith("llm-")
        and r["props"]["metadata"]["name"] != "llm-edge"
    )


def _sc(key: str, value: Any):
    return _container(lambda c: c.setdefault("securityContext", {}).__setitem__(key, value))


def _armor_rule(match: str):
    def change(r: Res) -> None:
        r["props"]["rules"] = [x for x in r["props"]["rules"] if match not in json.dumps(x)]

    return change


def _policy(doc: dict[str, Any]):
    return lambda r: r["props"].__setitem__("policy", json.dumps(doc))


PUBLIC = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]}
BUCKET = "aws:s3/bucket:Bucket"

MUTATIONS: dict[str, Callable[[Plan], None]] = {
    "EKS-01": _on(
        _first("aws:eks/cluster:Cluster"), lambda r: r["props"]["vpcConfig"].__setitem__("endpointPublicAccess", True)
    ),
    "EKS-06": _remove("aws:cloudwatch/logGroup:LogGroup", lambda r: "/aws/eks/" in str(r["props"].get("name"))),
    "EKS-10": _on(
        _first("aws:ec2/launchTemplate:LaunchTemplate"),
        lambda r: r["props"].__setitem__("networkInterfaces", [{"associatePublicIpAddress": "true"}]),
    ),
    "EKS-13": _on(
        _first("aws:eks/nodeGroup:NodeGroup"), lambda r: r["props"].__setitem__("remoteAccess", {"ec2SshKey": "k"})
    ),
    "EKS-14": _on(
        _first("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"),
        lambda r: r["props"].update(cidrIpv4="0.0.0.0/0", fromPort=22, toPort=22, ipProtocol="tcp"),
    ),
    "EKS-15": _on(_first("aws:eks/cluster:Cluster"), lambda r: r["props"].__setitem__("version", "1.30")),
    "EKS-16": _remove("aws:eks/addon:Addon", lambda r: r["props"].get("addonName") == "eks-pod-identity-agent"),
    "EKS-17": _on(
        _first("aws:iam/rolePolicyAttachment:RolePolicyAttachment"),
        lambda r: r["props"].__setitem__("policyArn", "arn:aws:iam::aws:policy/AdministratorAccess"),
    ),
    "EKS-18": _on(
        _first("aws:ec2/launchTemplate:LaunchTemplate"),
        lambda r: r["props"]["blockDeviceMappings"][0]["ebs"].__setitem__("encrypted", "false"),
    ),
    "EKS-19": _on(
        _first("kubernetes:karpenter.k8s.aws/v1:EC2NodeClass"),
        lambda r: r["props"]["spec"]["blockDeviceMappings"][0]["ebs"].__setitem__("encrypted", False),
    ),
    "S3-01": _remove("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"),
    "S3-02": _on(
        _first(
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
            lambda r: "aws:kms" in json.dumps(r["props"]),
        ),
        lambda r: r["props"].__setitem__("rules", [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}]),
    ),
    "S3-03": _on(
        _first("aws:s3/bucketVersioning:BucketVersioning"),
        lambda r: r["props"]["versioningConfiguration"].__setitem__("status", "Suspended"),
    ),
    "S3-04": _remove("aws:s3/bucketPolicy:BucketPolicy"),
    "S3-05": _remove("aws:s3/bucketLogging:BucketLogging"),
    "S3-06": _on(
        _first("aws:s3/bucketOwnershipControls:BucketOwnershipControls"),
        lambda r: r["props"]["rule"].__setitem__("objectOwnership", "ObjectWriter"),
    ),
    "S3-07": _remove("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"),
    "KMS-03": _on(_first("aws:kms/key:Key"), _policy(PUBLIC)),
    "KMS-04": _on(
        _first("gcp:kms/cryptoKey:CryptoKey"), lambda r: r["props"].__setitem__("rotationPeriod", "31536000s")
    ),
    "KMS-05": _on(
        _first("gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember"), lambda r: r["props"].__setitem__("member", "allUsers")
    ),
    "GKE-02": _on(
        _first("gcp:container/cluster:Cluster"),
        lambda r: (
            r["props"].pop("masterAuthorizedNetworksConfig", None),
            r["props"].setdefault("privateClusterConfig", {}).__setitem__("enablePrivateEndpoint", False),
        ),
    ),
    "GKE-05": _on(
        _first("gcp:container/nodePool:NodePool"),
        lambda r: r["props"]["nodeConfig"].__setitem__("serviceAccount", "default"),
    ),
    "GKE-10": _on(
        _first("gcp:container/cluster:Cluster"),
        lambda r: (
            r["props"].__setitem__("datapathProvider", "LEGACY_DATAPATH"),
            r["props"].pop("networkPolicy", None),
        ),
    ),
    "GKE-13": _on(_first("gcp:container/cluster:Cluster"), lambda r: r["props"].__setitem__("loggingService", "none")),
    "GCS-05": _on(
        _first("gcp:storage/bucket:Bucket", lambda r: "logging" in r["props"]), lambda r: r["props"].pop("logging")
    ),
    "GCS-06": _on(
        _first("gcp:storage/bucketIAMMember:BucketIAMMember"), lambda r: r["props"].__setitem__("member", "allUsers")
    ),
    "ALB-01": _on(
        _first("aws:lb/listener:Listener", lambda r: r["props"].get("protocol") == "HTTP"),
        lambda r: r["props"].__setitem__("defaultActions", [{"type": "forward", "targetGroupArn": "arn"}]),
    ),
    "ALB-02": _on(
        _first("aws:lb/listener:Listener", lambda r: r["props"].get("protocol") == "HTTPS"),
        lambda r: r["props"].__setitem__("sslPolicy", "ELBSecurityPolicy-2016-08"),
    ),
    "ALB-09": _on(
        _first("gcp:compute/uRLMap:URLMap", lambda r: "defaultUrlRedirect" in r["props"]),
        lambda r: r["props"].pop("defaultUrlRedirect"),
    ),
    "WAF-01": _remove("aws:wafv2/webAclAssociation:WebAclAssociation"),
    "WAF-02": _on(
        _first("aws:wafv2/webAcl:WebAcl"),
        lambda r: [
            rule.__setitem__("overrideAction", {"count": {}})
            for rule in r["props"]["rules"]
            if "overrideAction" in rule
        ],
    ),
    "WAF-03": _on(
        _first("aws:wafv2/webAcl:WebAcl"),
        lambda r: r["props"].__setitem__(
            "rules", [x for x in r["props"]["rules"] if "rateBasedStatement" not in x.get("statement", {})]
        ),
    ),
    "WAF-04": _remove("aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration"),
    "ARMOR-01": _on(
        _first("gcp:compute/backendService:BackendService", lambda r: "securityPolicy" in r["props"]),
        lambda r: r["props"].pop("securityPolicy"),
    ),
    "ARMOR-02": _on(_first("gcp:compute/securityPolicy:SecurityPolicy"), _armor_rule("sqli")),
    "ARMOR-03": _on(_first("gcp:compute/securityPolicy:SecurityPolicy"), _armor_rule("throttle")),
    "ECR-03": _on(
        _first("aws:ecr/repository:Repository"),
        lambda r: r["props"].__setitem__("encryptionConfigurations", [{"encryptionType": "AES256"}]),
    ),
    "ECR-04": _on(_first("aws:ecr/repositoryPolicy:RepositoryPolicy"), _policy(PUBLIC)),
    "AR-04": _on(
        _first("gcp:artifactregistry/repositoryIamMember:RepositoryIamMember"),
        lambda r: r["props"].__setitem__("member", "allUsers"),
    ),
    "K8S-01": _sc("runAsUser", 0),
    "K8S-02": _sc("allowPrivilegeEscalation", True),
    "K8S-03": _sc("capabilities", {"add": ["SYS_ADMIN"]}),
    "K8S-04": _pod(
        lambda s: (
            s.setdefault("securityContext", {}).__setitem__("seccompProfile", {"type": "Unconfined"}),
            [c.get("securityContext", {}).pop("seccompProfile", None) for c in s["containers"]],
        )
    ),
    "K8S-05": _sc("readOnlyRootFilesystem", False),
    "K8S-06": _container(lambda c: c["resources"].pop("limits")),
    "K8S-07": _container(lambda c: c.__setitem__("image", c["image"].split("@")[0] + ":latest")),
    "K8S-08": _pod(lambda s: s.__setitem__("hostNetwork", True)),
    "K8S-09": _pod(lambda s: s.__setitem__("automountServiceAccountToken", True)),
    "K8S-10": _pod(lambda s: s.__setitem__("serviceAccountName", "default")),
    "K8S-11": _container(lambda c: c.pop("readinessProbe")),
    "K8S-12": _on(
        _first("kubernetes:core/v1:ConfigMap"), lambda r: r["props"]["metadata"].__setitem__("namespace", "default")
    ),
    "K8S-13": _on(
        _first("kubernetes:core/v1:Namespace", _model_namespace),
        lambda r: r["props"]["metadata"]["labels"].__setitem__("pod-security.kubernetes.io/enforce", "privileged"),
    ),
    "K8S-14": _remove("kubernetes:networking.k8s.io/v1:NetworkPolicy"),
    "K8S-18": _container(lambda c: c["env"].append({"name": "LLMFLEET_TEST_ON_CPU", "value": "1"})),
    "COST-01": _on(_first("kubernetes:karpenter.sh/v1:NodePool"), lambda r: r["props"]["spec"].pop("limits")),
    "COST-02": _on(_first("aws:eks/nodeGroup:NodeGroup"), lambda r: r["props"]["scalingConfig"].pop("maxSize")),
    "COST-03": _on(
        _first("gcp:container/nodePool:NodePool", lambda r: "autoscaling" in r["props"]),
        lambda r: r["props"].__setitem__("autoscaling", {"totalMinNodeCount": 0}),
    ),
    "COST-04": _on(
        _first("gcp:container/cluster:Cluster"),
        lambda r: r["props"].__setitem__("clusterAutoscaling", {"enabled": True}),
    ),
    "COST-05": _config(lambda c: c["targets"][0]["gpuPools"][0].__setitem__("instanceTypes", ["p4d.24xlarge"])),
    "COST-07": _config(lambda c: c["budget"].__setitem__("monthlyUsd", 1000)),
    "COST-08": _remove("aws:budgets/budget:Budget"),
    "COST-09": _on(
        _first("aws:eks/cluster:Cluster"), lambda r: r["props"].__setitem__("tags", {"llm-fleet-owner": "someone-else"})
    ),
    "REL-01": _config(lambda c: c["models"][0].__setitem__("maxModelLen", 1_048_576)),
    "CAP-01": _config(lambda c: c["models"][1]["traffic"].__setitem__("peakRequestsPerSecond", 100)),
    "REL-02": _container(lambda c: c.pop("startupProbe")),
    "REL-03": _container(lambda c: c.pop("lifecycle")),
    "REL-04": _remove("kubernetes:policy/v1:PodDisruptionBudget"),
    "REL-05": _pod(lambda s: (s.pop("topologySpreadConstraints", None), s.pop("affinity", None))),
    "REL-06": _on(_first(BUCKET), lambda r: r.__setitem__("protect", False)),
    "REL-07": _config(lambda c: c["models"][1]["placements"][0]["replicas"].__setitem__("min", 9)),
    "SUPPLY-01": _container(lambda c: c.__setitem__("image", "docker.io/vllm/vllm-openai@sha256:" + "0" * 64)),
    "SUPPLY-02": _container(
        lambda c: c.setdefault("env", []).append({"name": "VLLM_API_KEY", "value": "plain-text-key"})
    ),
    "SUPPLY-03": _on(
        _first("kubernetes:core/v1:ConfigMap"),
        lambda r: r["props"].setdefault("data", {}).__setitem__("HF_TOKEN", "hf_" + "a" * 34),
    ),
    "SUPPLY-04": _config(lambda c: c["models"][0]["source"].__setitem__("token", {"value": "hf_" + "b" * 34})),
    "SUPPLY-05": _config(lambda c: c["models"][0]["source"].__setitem__("revision", "main")),
    "EDGE-01": _on(
        _first("kubernetes:gateway.networking.k8s.io/v1:Gateway", lambda r: r["name"].startswith("dc1")),
        lambda r: r["props"]["spec"].__setitem__(
            "listeners",
            [
                {**x, "allowedRoutes": {"namespaces": {"from": "All"}}}
                for x in r["props"]["spec"]["listeners"]
                if x.get("protocol") == "HTTP"
            ],
        ),
    ),
    "EDGE-02": lambda plan: [
        r["props"]["spec"].pop("apiKeyAuth", None)
        for r in _of_type(plan, "kubernetes:gateway.envoyproxy.io/v1alpha1:SecurityPolicy")
    ],
    "EDGE-03": _remove("kubernetes:gateway.envoyproxy.io/v1alpha1:BackendTrafficPolicy"),
    "EDGE-04": _config(
        lambda c: next(t for t in c["targets"] if t["kind"] == "onprem")["edge"].__setitem__("waf", False)
    ),
    "IMG-01": _on(
        _first("kubernetes:core/v1:Namespace", lambda r: r["name"].endswith("-ns") and "llm-fleet.dev/model" in (r["props"]["metadata"].get("labels") or {})),
        lambda r: r["props"]["metadata"]["labels"].pop("policy.sigstore.dev/include"),
    ),
    "IMG-02": _remove("command:local:Command"),
    "OPS-01": _remove(
        "kubernetes:core/v1:Secret",
        lambda r: r["props"]["metadata"]["name"] == "alertmanager" and r["props"]["metadata"]["namespace"] == "gmp-public",
    ),
    # The bug of issue 14: one target holds its own key for a client.
    "CLIENT-01": _on(
        _first("kubernetes:core/v1:Secret", lambda r: r["name"] == "gcp-usc1-client-keys"),
        lambda r: r["props"]["metadata"]["annotations"].__setitem__(
            "llm-fleet.dev/key-sources",
            json.dumps(dict.fromkeys(json.loads(r["props"]["metadata"]["annotations"]["llm-fleet.dev/key-sources"]), "random:gcp-usc1-llama-8b-api-key")),
        ),
    ),
    "CLIENT-02": _config(lambda c: c["clients"][0]["keys"][0].__setitem__("source", {"env": "SEARCH_KEY"})),
    "CLIENT-03": _config(lambda c: c["clients"][0].pop("tokensPerMonth")),
    "CLIENT-04": _config(lambda c: c["clients"][0]["keys"][0].__setitem__("expires", "2020-01-01")),
    "ROUTE-01": _on(
        _first("kubernetes:apps/v1:Deployment", lambda r: r["props"]["metadata"]["name"].endswith("-epp")),
        lambda r: r["props"]["spec"].__setitem__("replicas", 1),
    ),
    "ROUTE-02": _on(
        _first("kubernetes:inference.networking.k8s.io/v1:InferencePool"),
        lambda r: r["props"]["spec"].__setitem__("targetPorts", [{"number": 9999}]),
    ),
    "ROUTE-03": _on(
        _first(
            "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute",
            lambda r: r["props"]["metadata"]["name"].endswith("-prefixed"),
        ),
        lambda r: _set(r["props"], "spec.rules.0.backendRefs", [
            {"kind": "Service", "name": r["props"]["metadata"]["name"].removesuffix("-prefixed") + "-server",
             "port": 8000}
        ]),
    ),
}
def _add_aws(like_type: str, type_: str, name: str, props: dict[str, Any]) -> Callable[[Plan], None]:
    """Add an AWS resource with the provider and parent of the first resource of ``like_type`` (one
    of a type the program does not create, declared next to its resources)."""

    def mutate(plan: Plan) -> None:
        like = _first(like_type)(plan)
        plan["resources"].append(
            {
                "urn": like["urn"].rsplit("::", 2)[0] + f"::{type_}::{name}",
                "type": type_,
                "name": name,
                "custom": True,
                "parent": like.get("parent"),
                "provider": like.get("provider"),
                "protect": False,
                "props": props,
            }
        )

    return mutate


FOREIGN_KEY = "arn:aws:kms:us-east-1:999999999999:key/1234abcd-12ab-34cd-56ef-1234567890ab"
MUTATIONS.update(
    {
        "EKS-20": _add_aws(
            "aws:eks/cluster:Cluster",
            "aws:ebs/volume:Volume",
            "model-cache-scratch",
            {"availabilityZone": "us-east-1a", "size": 500, "type": "gp3", "encrypted": False},
        ),
        "EKS-21": _add_aws(
            "aws:eks/cluster:Cluster",
            "aws:ec2/instance:Instance",
            "debug-bastion",
            {
                "instanceType": "t3.micro",
                "associatePublicIpAddress": True,
                "metadataOptions": {"httpTokens": "optional"},
                "rootBlockDevice": {"volumeSize": 20},
            },
        ),
        "KMS-07": _on(_first("aws:sqs/queue:Queue"), lambda r: r["props"].__setitem__("sqsManagedSseEnabled", False)),
        "KMS-08": _add_aws(
            "aws:sqs/queue:Queue", "aws:sns/topic:Topic", "serving-alerts", {"name": "llm-fleet-serving-alerts"}
        ),
        "KMS-09": _on(
            _first("aws:cloudwatch/logGroup:LogGroup"), lambda r: r["props"].__setitem__("kmsKeyId", FOREIGN_KEY)
        ),
        "GKE-19": _on(
            _first("gcp:container/nodePool:NodePool"),
            lambda r: r["props"]["nodeConfig"].setdefault("kubeletConfig", {}).__setitem__(
                "insecureKubeletReadonlyPortEnabled", "TRUE"
            ),
        ),
        "GKE-20": _on(
            _first("gcp:container/nodePool:NodePool"),
            lambda r: r["props"]["nodeConfig"]["metadata"].__setitem__("disable-legacy-endpoints", "false"),
        ),
        "REL-08": _on(
            _first("kubernetes:policy/v1:PodDisruptionBudget"),
            lambda r: (r["props"]["spec"].pop("minAvailable", None), r["props"]["spec"].__setitem__("maxUnavailable", 0)),
        ),
    }
)

NOT_IN_PROD = {"COST-06": "dev only: see test_dev_mutation_spot_and_scale_to_zero"}


def _merge_mutations() -> None:
    from tests.policy.stack_mutations_edge_workloads import mutations as edge_workloads
    from tests.policy.stack_mutations_identity_network import mutations

    MUTATIONS.update(mutations())
    MUTATIONS.update(edge_workloads())


_merge_mutations()


def test_every_rule_has_a_prod_mutation():
    declarative = {r.meta.id for r in RULES.values() if isinstance(r, ValueRule)}
    assert set(RULES) - declarative - set(MUTATIONS) - set(NOT_IN_PROD) == set()


@pytest.mark.parametrize("rule_id", sorted(MUTATIONS))
def test_mutating_prod_is_caught(prod, prod_findings, rule_id):
    plan = copy.deepcopy(prod)
    MUTATIONS[rule_id](plan)
    assert _new_findings(plan, rule_id, prod_findings), f"{rule_id}: the mutation of prod went unnoticed"


def test_dev_mutation_spot_and_scale_to_zero(dev):
    plan = copy.deepcopy(dev)
    before = {(f.rule, f.urn, f.message) for f in evaluate_plan(dev).findings}
    for target in plan["config"]["targets"]:
        for pool in target["gpuPools"]:
            if target["kind"] == "aws":
                pool["capacityType"] = "on-demand"
    assert _new_findings(plan, "COST-06", before)


def test_cost_itemizes_every_billable_resource_of_prod(prod):
    """`llmfleet cost prod`: each billable resource is an item with a price source, or is listed as
    unpriced with the reason (usage-based, or not in the catalogue)."""
    from policy.cost import estimate_cost
    from policy.rules.stack.cost.missing_cost_allocation_tags import BILLABLE

    report = estimate_cost(prod)
    itemized = {i.urn for i in report.items}
    unpriced = {u["urn"]: u["reason"] for u in report.unpriced}
    assert all(i.price_source for i in report.items)
    gpu_pools = {"kubernetes:karpenter.sh/v1:NodePool", "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass"}
    for r in prod["resources"]:
        if r["type"] in BILLABLE and r["type"] not in gpu_pools:
            assert r["urn"] in itemized or unpriced.get(r["urn"]), (
                f"{r['type']} {r['name']} is neither priced nor listed"
            )
    targets = {t["name"] for t in prod["config"]["targets"]}
    assert set(report.by_target) == targets
    assert report.monthly.ceiling <= prod["config"]["budget"]["monthlyUsd"]
