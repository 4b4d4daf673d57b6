"""The CrossGuard wrapping, driven with the policy SDK's own argument types (and, for the
unknown-value path, its analyzer servicer), without the Pulumi CLI."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import yaml
from google.protobuf import struct_pb2
from pulumi.runtime.proto import analyzer_pb2
from pulumi_policy import (
    EnforcementLevel,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.deserialize import deserialize_properties
from pulumi_policy.policy import PolicyCustomTimeouts, _PolicyAnalyzerServicer
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError, unknown_checking_proxy

from policy.crossguard import PACK_NAME, build_policies, pack_config, settings_from_runtime, wrap
from policy.rules import all_rules
from policy.settings import StackSettings
from tests.policy.baseline import CONFIG, TODAY, baseline

ROOT = Path(__file__).resolve().parents[2]
RULES = {r.meta.id: r for r in all_rules()}


def _settings(**changes) -> StackSettings:
    config = copy.deepcopy(CONFIG)
    config["policy"].update(changes)
    return StackSettings(config, "prod")


def _props(props):
    """Props as the SDK hands them to a policy: deserialized and wrapped in its unknown-checking proxy."""
    return unknown_checking_proxy(deserialize_properties(json.loads(json.dumps(props))))


def _opts(protect=False, parent=None):
    return PolicyResourceOptions(protect, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], parent)


def _resource_args(name: str, plan=None) -> ResourceValidationArgs:
    plan = plan or baseline()
    res = next(r for r in plan["resources"] if r["name"] == name)
    provider = None
    if res["provider"]:
        prov = next(r for r in plan["resources"] if r["urn"] == res["provider"])
        provider = PolicyProviderResource(prov["type"], _props(prov["props"]), prov["urn"], prov["name"])
    return ResourceValidationArgs(
        res["type"], _props(res["props"]), res["urn"], res["name"], _opts(res["protect"], res["parent"]), provider
    )


def _stack_args(plan=None) -> StackValidationArgs:
    plan = plan or baseline()
    by_urn = {}
    for r in plan["resources"]:
        provider = None
        if r["provider"]:
            prov = next(p for p in plan["resources"] if p["urn"] == r["provider"])
            provider = PolicyProviderResource(prov["type"], _props(prov["props"]), prov["urn"], prov["name"])
        by_urn[r["urn"]] = PolicyResource(
            r["type"], _props(r["props"]), r["urn"], r["name"], _opts(r["protect"], r["parent"]), provider, None, [], {}
        )
    for r in plan["resources"]:
        if r["parent"] in by_urn:
            by_urn[r["urn"]].parent = by_urn[r["parent"]]
    return StackValidationArgs(list(by_urn.values()))


def _run(policy, args):
    violations = []
    policy.validate(args, lambda message, urn=None: violations.append((message, urn)))
    return violations


def _wrap(rule_id, settings=None):
    settings = settings or _settings()
    return wrap(RULES[rule_id], lambda: settings, lambda: TODAY)


def test_every_rule_is_wrapped_with_its_metadata():
    policies = build_policies(lambda: _settings(), lambda: TODAY)
    assert len(policies) == len(RULES) + 2  # + the suppression-expiry and guardrail checks
    names = [p.name for p in policies]
    assert len(set(names)) == len(names)
    eks = next(p for p in policies if p.name == "aws-eks-cluster-disallow-public-endpoint")
    assert isinstance(eks, ResourceValidationPolicy)
    assert eks.description.startswith("EKS-01: ")
    assert eks.severity == Severity.HIGH
    assert eks.remediation_steps.startswith("Set vpcConfig.endpointPrivateAccess true")
    assert (
        eks.framework.name == "CIS EKS" and eks.framework.version == "1.7" and eks.framework.reference == "5.4.1, 5.4.2"
    )
    assert eks.enforcement_level is None  # the pack config decides advisory/mandatory
    s3 = next(p for p in policies if p.name == "stack-aws-s3-bucket-missing-public-access-block")
    assert isinstance(s3, StackValidationPolicy) and s3.severity == Severity.CRITICAL


def test_resource_policy_passes_the_compliant_resource():
    assert _run(_wrap("EKS-01"), _resource_args("aws1-cluster")) == []


def test_resource_policy_reports_the_violation():
    plan = baseline()
    next(r for r in plan["resources"] if r["name"] == "aws1-cluster")["props"]["vpcConfig"]["endpointPublicAccess"] = (
        True
    )
    assert _run(_wrap("EKS-01"), _resource_args("aws1-cluster", plan)) == [
        (
            "vpcConfig.endpointPublicAccess is true with no publicAccessCidrs (open to 0.0.0.0/0); expected false or a CIDR list",
            None,
        )
    ]


def test_resource_policy_ignores_other_types():
    assert _run(_wrap("EKS-01"), _resource_args("gcp1-cluster")) == []


def test_custom_resource_pod_templates_under_the_proxy():
    plan = baseline()
    lws = next(r for r in plan["resources"] if r["name"] == "dc1-lws")
    lws["props"]["spec"]["leaderWorkerTemplate"]["workerTemplate"]["spec"]["containers"][0]["image"] = (
        "vllm/vllm-openai:v0.32.0"
    )
    assert _run(_wrap("K8S-07"), _resource_args("dc1-lws", plan)) == [
        (
            "spec.leaderWorkerTemplate.workerTemplate.spec: container 'server': image 'vllm/vllm-openai:v0.32.0' is not "
            "pinned by digest; expected <repository>@sha256:<digest>",
            None,
        )
    ]


def test_provider_default_tags_reach_resource_policies():
    """COST-09 is a stack rule, but resource rules see the provider's props the same way."""
    plan = baseline()
    next(r for r in plan["resources"] if r["name"] == "aws1-system")["props"].pop("tags")
    assert _run(_wrap("COST-09"), _stack_args(plan)) == []
    next(r for r in plan["resources"] if r["name"] == "aws1-aws")["props"].pop("defaultTags")
    urns = {urn for _, urn in _run(_wrap("COST-09"), _stack_args(plan))}
    assert "urn:pulumi:prod::llm-fleet::aws:eks/nodeGroup:NodeGroup::aws1-system" in urns


def test_unknown_value_during_preview_raises_the_sdk_error():
    plan = baseline()
    next(r for r in plan["resources"] if r["name"] == "aws1-cluster")["props"]["encryptionConfig"]["provider"][
        "keyArn"
    ] = UNKNOWN_STRING_VALUE
    with pytest.raises(UnknownValueError):
        _run(_wrap("EKS-02"), _resource_args("aws1-cluster", plan))
    # A rule that does not read the unknown prop is unaffected.
    assert _run(_wrap("EKS-03"), _resource_args("aws1-cluster", plan)) == []


def test_unknown_value_becomes_an_advisory_note_in_the_analyzer():
    """Through the SDK's own analyzer servicer: an unknown is a 'can't run during preview' note."""
    policies = [_wrap("EKS-02"), _wrap("EKS-01")]
    servicer = _PolicyAnalyzerServicer(PACK_NAME, "1.0.0", policies, EnforcementLevel.MANDATORY)
    props = next(r for r in baseline()["resources"] if r["name"] == "aws1-cluster")["props"]
    props["encryptionConfig"]["provider"]["keyArn"] = UNKNOWN_STRING_VALUE
    props["vpcConfig"]["endpointPublicAccess"] = True
    struct = struct_pb2.Struct()
    struct.update(props)
    request = analyzer_pb2.AnalyzeRequest(
        type="aws:eks/cluster:Cluster",
        properties=struct,
        urn="urn:pulumi:prod::llm-fleet::aws:eks/cluster:Cluster::c",
        name="c",
        options=analyzer_pb2.AnalyzerResourceOptions(protect=False),
    )
    response = servicer.Analyze(request, None)
    by_policy = {d.policyName: d for d in response.diagnostics}
    preview = by_policy["aws-eks-cluster-enable-secrets-encryption"]
    assert "can't run policy" in preview.message and "encryptionConfig.provider.keyArn" in preview.message
    assert preview.enforcementLevel == analyzer_pb2.ADVISORY
    public = by_policy["aws-eks-cluster-disallow-public-endpoint"]
    assert public.enforcementLevel == analyzer_pb2.MANDATORY and "endpointPublicAccess is true" in public.message


def test_stack_policy_joins_resources():
    plan = baseline()
    plan["resources"] = [r for r in plan["resources"] if r["name"] != "aws1-weights-pab"]
    assert _run(_wrap("S3-01"), _stack_args(plan)) == [
        (
            "no aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock for this bucket",
            "urn:pulumi:prod::llm-fleet::aws:s3/bucket:Bucket::aws1-weights",
        )
    ]
    assert _run(_wrap("S3-01"), _stack_args()) == []


def test_stack_policy_reads_targets_through_the_parent_objects():
    plan = baseline()
    lst = next(r for r in plan["resources"] if r["name"] == "dc1-gateway")["props"]["spec"]["listeners"]
    lst[1]["allowedRoutes"]["namespaces"]["from"] = "All"
    messages = [m for m, _ in _run(_wrap("EDGE-01"), _stack_args(plan))]
    assert (
        "HTTPRoute 'llama-8b' serves plain HTTP on Gateway 'llm-gateway'; expected only a redirect to https" in messages
    )


def test_suppressions_and_disabled_overrides_apply_under_crossguard():
    plan = baseline()
    next(r for r in plan["resources"] if r["name"] == "aws1-cluster")["props"]["vpcConfig"]["endpointPublicAccess"] = (
        True
    )
    suppressed = _settings(
        suppressions=[
            {
                "rule": "EKS-01",
                "resource": "aws1-*",
                "justification": "VPN-only API access",
                "owner": "platform",
                "expires": "2027-01-01",
            }
        ]
    )
    assert _run(_wrap("EKS-01", suppressed), _resource_args("aws1-cluster", plan)) == []
    disabled = _settings(overrides={"EKS-01": "disabled"})
    assert _run(_wrap("EKS-01", disabled), _resource_args("aws1-cluster", plan)) == []
    expired = _settings(
        suppressions=[
            {
                "rule": "EKS-01",
                "resource": "aws1-*",
                "justification": "VPN-only API access",
                "owner": "platform",
                "expires": "2026-01-01",
            }
        ]
    )
    assert len(_run(_wrap("EKS-01", expired), _resource_args("aws1-cluster", plan))) == 1
    expiry = next(p for p in build_policies(lambda: expired, lambda: TODAY) if p.name.endswith("disallow-expired"))
    assert _run(expiry, _stack_args()) == [
        ("policy.suppressions[0] (EKS-01 on 'aws1-*') expired on 2026-01-01 (owner platform)", None)
    ]


def test_settings_come_from_the_engine_config_environment(monkeypatch):
    monkeypatch.setenv(
        "PULUMI_CONFIG",
        json.dumps(
            {
                "llm-fleet:environment": "prod",
                "llm-fleet:budget": json.dumps({"monthlyUsd": 5}),
                "aws:region": "us-east-1",
            }
        ),
    )
    monkeypatch.setenv("PULUMI_STACK", "prod")
    settings = settings_from_runtime()
    assert settings.environment == "prod" and settings.budget_usd == 5.0 and settings.stack == "prod"
    assert settings.enforcement == "mandatory"
    assert "region" not in settings.raw


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_committed_pack_configs_follow_the_stacks(stack):
    raw = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]
    values = {k.split(":", 1)[1]: v for k, v in raw.items() if k.startswith("llm-fleet:")}
    committed = json.loads((ROOT / "policy" / f"{stack}.json").read_text())
    assert committed == pack_config(StackSettings(values, stack))
    assert committed["all"] == {"dev": "advisory", "prod": "mandatory"}[stack]


def test_pack_config_carries_overrides_by_policy_name():
    cfg = pack_config(_settings(enforcement="mandatory", overrides={"EKS-15": "advisory", "K8S-13": "disabled"}))
    assert cfg == {
        "all": "mandatory",
        "aws-eks-cluster-enforce-supported-version": "advisory",
        "kubernetes-core-namespace-enforce-pod-security-restricted": "disabled",
        "stack-policy-guardrails-enforce-mandatory": "mandatory",
    }


def test_guardrails_policy_reports_switched_off_guardrails_and_stays_mandatory():
    lowered = _settings(enforcement="advisory", overrides={"EKS-01": "disabled"})
    guard = next(
        p for p in build_policies(lambda: lowered, lambda: TODAY) if p.name.endswith("guardrails-enforce-mandatory")
    )
    assert guard.enforcement_level == EnforcementLevel.MANDATORY
    assert pack_config(lowered)["stack-policy-guardrails-enforce-mandatory"] == "mandatory"
    assert _run(guard, _stack_args()) == [
        ("POL-04: policy.enforcement is 'advisory'; expected 'mandatory' (the prod default)", None),
        ("POL-05: policy.overrides.EKS-01 is 'disabled'; expected no override in prod", None),
    ]
    untouched = next(p for p in build_policies(lambda: _settings(), lambda: TODAY) if p.name == guard.name)
    assert _run(untouched, _stack_args()) == []


def test_pulumi_policy_yaml_uses_the_project_virtualenv():
    data = yaml.safe_load((ROOT / "policy" / "PulumiPolicy.yaml").read_text())
    assert data["runtime"] == {"name": "python", "options": {"virtualenv": "../.venv"}}
    assert (ROOT / "policy" / data["runtime"]["options"]["virtualenv"]).resolve() == (ROOT / ".venv").resolve()


def test_main_builds_the_pack_and_nothing_else_imports_it():
    source = (ROOT / "policy" / "__main__.py").read_text()
    assert "PolicyPack(" in source
    for path in (ROOT / "policy").rglob("*.py"):
        if path.name != "__main__.py":
            assert "PolicyPack(" not in path.read_text(), path


@pytest.mark.server
def test_the_pack_serves_every_policy_over_grpc():
    """Run policy/__main__.py as the Pulumi CLI would and talk to its analyzer on loopback."""
    import subprocess
    import sys

    import grpc
    from google.protobuf import empty_pb2
    from pulumi.runtime.proto import analyzer_pb2_grpc

    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "policy" / "__main__.py")],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        port = proc.stdout.readline().strip()
        assert port.isdigit(), proc.stderr.read()
        stub = analyzer_pb2_grpc.AnalyzerStub(grpc.insecure_channel(f"127.0.0.1:{port}"))
        info = stub.GetAnalyzerInfo(empty_pb2.Empty(), timeout=30)
        assert info.name == PACK_NAME
        assert {p.name for p in info.policies} == {p.name for p in build_policies(lambda: _settings(), lambda: TODAY)}
        props = next(r for r in baseline()["resources"] if r["name"] == "aws1-cluster")["props"]
        props["vpcConfig"]["endpointPublicAccess"] = True
        struct = struct_pb2.Struct()
        struct.update(props)
        response = stub.Analyze(
            analyzer_pb2.AnalyzeRequest(
                type="aws:eks/cluster:Cluster",
                properties=struct,
                urn="urn:pulumi:prod::llm-fleet::aws:eks/cluster:Cluster::c",
                name="c",
                options=analyzer_pb2.AnalyzerResourceOptions(),
            ),
            timeout=30,
        )
        assert [d.policyName for d in response.diagnostics] == ["aws-eks-cluster-disallow-public-endpoint"]
    finally:
        proc.terminate()
        proc.wait(10)
