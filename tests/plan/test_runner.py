"""The offline plan: the real program under the mock runtime -> a Plan per DESIGN.md."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from infra.plan import SECRET, Plan, evaluate_stack
from infra.plan.runner import PlanError

ROOT = Path(__file__).resolve().parents[2]


def test_plan_json_follows_the_contract(prod_plan: Plan) -> None:
    data = json.loads(prod_plan.dumps())
    assert data["schemaVersion"] == 1
    assert data["project"] == "llm-fleet"
    assert data["stack"] == "prod"
    assert data["config"]["environment"] == "prod"
    assert data["resources"], "the plan has resources"
    for resource in data["resources"]:
        assert set(resource) == {
            "urn",
            "type",
            "name",
            "custom",
            "parent",
            "provider",
            "protect",
            "dependencies",
            "props",
        }
        assert resource["dependencies"] == sorted(set(resource["dependencies"]))
        assert resource["urn"].startswith("urn:pulumi:prod::llm-fleet::")
        assert resource["urn"].endswith("::" + resource["name"])
    assert data["outputs"]["environment"] == "prod"


def test_urns_encode_the_parent_chain(prod_plan: Plan) -> None:
    index = prod_plan.by_urn()
    for resource in prod_plan.resources:
        type_chain = resource.urn.split("::")[2]
        assert type_chain.split("$")[-1] == resource.type
        if resource.parent is not None:
            parent = index[resource.parent]
            assert type_chain.rsplit("$", 1)[0] == parent.urn.split("::")[2]


def test_targets_and_placements_read_as_a_tree(prod_plan: Plan) -> None:
    targets = {r.name: r for r in prod_plan.resources if r.type.startswith("llm-fleet:") and r.type.endswith(":Target")}
    assert set(targets) == {"aws-use1", "gcp-usc1", "dc1"}
    assert {targets[n].type for n in targets} == {
        "llm-fleet:aws:Target",
        "llm-fleet:gcp:Target",
        "llm-fleet:onprem:Target",
    }
    placements = prod_plan.of_type("llm-fleet:workloads:ModelPlacement")
    expected = {"aws-use1-llama-8b", "gcp-usc1-llama-8b", "dc1-llama-70b", "aws-use1-llama-70b", "gcp-usc1-llama-70b"}
    assert {p.name for p in placements} == expected
    for placement in placements:
        assert placement.parent == targets[prod_plan.target_of(placement)].urn
    # Every Kubernetes object goes through its own cluster's provider.
    providers = {r.urn: r for r in prod_plan.resources if r.type == "pulumi:providers:kubernetes"}
    for resource in prod_plan.resources:
        if resource.type.startswith("kubernetes:") and resource.custom:
            assert resource.provider in providers, resource.urn
            assert prod_plan.target_of(providers[resource.provider]) == prod_plan.target_of(resource)


def test_same_stack_gives_the_same_plan_byte_for_byte(dev_plan: Plan) -> None:
    again = evaluate_stack("dev", ROOT)
    assert again.dumps() == dev_plan.dumps()


def test_plan_is_deterministic_across_processes(dev_plan: Plan) -> None:
    code = "import sys; from infra.plan import evaluate_stack; sys.stdout.write(evaluate_stack('dev').dumps())"
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    assert out.stdout == dev_plan.dumps()


def test_planted_secrets_never_reach_the_plan(
    capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    planted = {
        "labWeightsCredentials": '{"accessKeyId":"AKIAPLANTED0001","secretAccessKey":"PLANTED-SECRET-KEY-0001"}',
        "hfToken": "hf_PLANTEDTOKEN0001",
    }
    plan = evaluate_stack("dev", ROOT, secret_values=planted)
    text = plan.dumps()
    captured = capfd.readouterr()
    for value in planted.values():
        for fragment in ("PLANTED", value):
            assert fragment not in text
            assert fragment not in captured.out + captured.err
            assert fragment not in caplog.text
    # The secrets were used (their redacted form is in the plan), not just ignored.
    assert SECRET in text


def test_a_failing_component_is_named_in_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from infra.onprem import target

    def broken(self: object, *args: object, **kwargs: object) -> None:
        raise ValueError("kubeconfig context 'nope' not found")

    monkeypatch.setattr(target.OnPremTargetComponent, "_create_provider", broken)
    with pytest.raises(PlanError) as info:
        evaluate_stack("dev", ROOT)
    message = str(info.value)
    assert "stack 'dev'" in message
    assert "OnPremTargetComponent 'lab'" in message
    assert "ValueError: kubeconfig context 'nope' not found" in message


def test_an_invoke_without_an_offline_answer_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from infra.plan import mocks

    monkeypatch.setattr(mocks, "INVOKES", {})
    with pytest.raises(PlanError, match="no answer for invoke"):
        evaluate_stack("prod", ROOT)


def test_plan_file_round_trips(tmp_path: Path, dev_plan: Plan) -> None:
    path = tmp_path / "plan.json"
    path.write_text(dev_plan.dumps())
    assert Plan.load(path).dumps() == dev_plan.dumps()


def test_stack_outputs_describe_the_fleet(prod_plan: Plan) -> None:
    config = prod_plan.config
    assert prod_plan.outputs["environment"] == "prod"
    assert prod_plan.outputs["targets"] == {t["name"]: t["kind"] for t in config["targets"]}
    assert prod_plan.outputs["edgeDomains"] == {t["name"]: t["edge"]["domain"] for t in config["targets"]}
    assert prod_plan.outputs["hostnames"] == {"api.llm.example.com": "weighted", "large.llm.example.com": "failover"}
    assert prod_plan.outputs["placements"] == sorted(
        f"{p['target']}-{m['name']}" for m in config["models"] for p in m["placements"]
    )
