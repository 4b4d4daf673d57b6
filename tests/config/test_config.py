"""The stack schema: the real stacks load; each class of bad input is one clear line."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from infra.config import ConfigError, StackConfig, json_schema, parse_stack_config

ROOT = Path(__file__).resolve().parents[2]


def stack_values(stack: str) -> dict[str, Any]:
    document = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())
    return {k.split(":", 1)[1]: v for k, v in document["config"].items() if k.startswith("llm-fleet:")}


def errors_for(mutate: Any, stack: str = "dev") -> list[str]:
    values = copy.deepcopy(stack_values(stack))
    mutate(values)
    with pytest.raises(ConfigError) as info:
        parse_stack_config(values, stack)
    return info.value.lines


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_real_stacks_validate(stack: str) -> None:
    config = parse_stack_config(stack_values(stack), stack)
    assert isinstance(config, StackConfig)
    assert config.environment == stack


def test_dev_is_a_hybrid_of_onprem_and_small_spot_aws() -> None:
    config = parse_stack_config(stack_values("dev"), "dev")
    assert sorted(t.kind for t in config.targets) == ["aws", "onprem"]
    aws_pools = [p for t in config.targets if t.kind == "aws" for p in t.gpu_pools]
    assert aws_pools and all(p.capacity_type == "spot" and p.nodes.min == 0 for p in aws_pools)
    assert config.enforcement == "advisory"


def test_prod_spans_three_kinds_with_two_models_on_several_targets() -> None:
    config = parse_stack_config(stack_values("prod"), "prod")
    assert sorted(t.kind for t in config.targets) == ["aws", "gcp", "onprem"]
    assert len(config.models) >= 2
    assert all(len(m.placements) >= 2 for m in config.models)
    assert config.enforcement == "mandatory"
    assert config.image.digest is not None and not config.image.build


def mutate_path(path: list[Any], value: Any) -> Any:
    def apply(values: dict[str, Any]) -> None:
        node: Any = values
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value

    return apply


def rename_key(path: list[Any], old: str, new: str) -> Any:
    def apply(values: dict[str, Any]) -> None:
        node: Any = values
        for key in path:
            node = node[key]
        node[new] = node.pop(old)

    return apply


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        pytest.param(
            rename_key([], "budget", "budgett"),
            "budgett: unknown key; did you mean 'budget'?",
            id="misspelled-top-level-key",
        ),
        pytest.param(
            rename_key(["targets", 1], "gpuPools", "gpuPool"),
            "targets[1].gpuPool: unknown key; did you mean 'gpuPools'?",
            id="misspelled-nested-key",
        ),
        pytest.param(
            mutate_path(["targets", 1, "gpuPools", 0, "capacityType"], "spott"),
            "targets[1].gpuPools[0].capacityType: 'spott' is not allowed; input should be 'spot' or 'on-demand'",
            id="bad-enum",
        ),
        pytest.param(
            mutate_path(["targets", 1, "gpuPools", 0, "nodes", "max"], "two"),
            "targets[1].gpuPools[0].nodes.max: 'two' is not allowed; input should be a valid integer",
            id="mistyped-number",
        ),
        pytest.param(
            mutate_path(["targets", 1, "gpuPools", 0, "nodes"], {"min": 3, "max": 2}),
            "targets[1].gpuPools[0].nodes: min (3) must not exceed max (2)",
            id="min-above-max",
        ),
        pytest.param(
            mutate_path(["models", 0, "placements", 0, "target"], "labb"),
            "models[0].placements[0].target: 'labb' is not a target; expected one of ['aws-dev', 'lab']",
            id="placement-on-unknown-target",
        ),
        pytest.param(
            mutate_path(["models", 0, "placements", 1, "pool"], "h100"),
            "models[0].placements[1].pool: 'h100' is not a pool of target 'aws-dev'; expected one of ['l4-spot']",
            id="placement-on-unknown-pool",
        ),
        pytest.param(
            mutate_path(["targets", 0, "kind"], "azure"),
            "targets[0].kind: 'azure' is not allowed; expected 'aws', 'gcp' or 'onprem'",
            id="unknown-target-kind",
        ),
        pytest.param(
            mutate_path(["models", 0, "source", "revision"], "main"),
            "models[0].source.revision: 'main' is not allowed; expected 40 lower-case hex digits (a commit) "
            "(pattern ^[0-9a-f]{40}$)",
            id="unpinned-revision",
        ),
        pytest.param(
            mutate_path(["routing", 0, "endpoints", 0, "role"], "secondary"),
            "routing[0]: a failover route needs exactly one primary and one secondary endpoint",
            id="failover-without-primary",
        ),
        pytest.param(
            mutate_path(["routing", 0, "models"], ["llama-70b"]),
            "routing[0].models: 'llama-70b' is not a model; expected one of ['llama-8b']",
            id="route-to-unknown-model",
        ),
        pytest.param(
            mutate_path(["image"], {"tag": "x"}),
            "image: set digest (sha256:...) or build: true",
            id="image-neither-digest-nor-build",
        ),
        pytest.param(
            lambda v: v["targets"].append(copy.deepcopy(v["targets"][0])),
            "duplicate target name 'lab'",
            id="duplicate-target",
        ),
        pytest.param(
            mutate_path(["budget", "notifyEmails"], ["finops"]),
            "budget.notifyEmails: 'finops' is not an e-mail address",
            id="bad-email",
        ),
    ],
)
def test_bad_input_names_key_value_and_what_is_allowed(mutate: Any, expected: str) -> None:
    lines = errors_for(mutate)
    assert any(line.startswith(expected) for line in lines), lines


def test_plain_secret_value_is_refused_and_never_echoed() -> None:
    planted = "apiVersion: v1\nusers: [{token: PLANTED-TOKEN-42}]"
    lines = errors_for(mutate_path(["targets", 0, "kubeconfig"], planted))
    assert lines == [
        "targets[0].kubeconfig: a plain value is not allowed here; give a secret reference "
        "(one of config, env, awsSecretsManager, gcpSecretManager)"
    ]
    assert "PLANTED" not in "\n".join(lines)


def test_secret_reference_needs_exactly_one_source() -> None:
    lines = errors_for(mutate_path(["targets", 0, "kubeconfig"], {"env": "A", "config": "b"}))
    assert lines == [
        "targets[0].kubeconfig: a secret reference needs exactly one of config, env, awsSecretsManager, "
        "gcpSecretManager; got ['config', 'env']"
    ]


def test_json_schema_describes_every_field_and_rejects_unknown_keys() -> None:
    schema = json_schema()
    assert schema["$schema"].endswith("2020-12/schema")
    assert schema["additionalProperties"] is False
    undocumented = [f"(root).{prop}" for prop, spec in schema["properties"].items() if "description" not in spec]
    for name, definition in schema["$defs"].items():
        for prop, spec in definition.get("properties", {}).items():
            if "description" not in spec:
                undocumented.append(f"{name}.{prop}")
    assert undocumented == []


def test_configuration_reference_is_up_to_date() -> None:
    from infra.configdoc import render

    committed = (ROOT / "docs" / "configuration.md").read_text()
    assert committed == render(), "regenerate: .venv/bin/python -m infra.configdoc > docs/configuration.md"


def test_pulumi_project_declares_the_scalar_keys_like_the_schema() -> None:
    project = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
    assert project["name"] == "llm-fleet"
    assert project["main"] == "infra/"
    assert project["runtime"] == {"name": "python", "options": {"toolchain": "pip", "virtualenv": ".venv"}}
    fields = {(f.alias or n): f for n, f in StackConfig.model_fields.items()}
    for key, declared in project["config"].items():
        assert ":" not in key, "project keys are declared without the namespace"
        assert key in fields and declared["type"] == "string"
        assert declared["description"]
        if "default" in declared:
            assert declared["default"] == fields[key].default
