"""A secret reference whose name field holds a secret is refused, and the value never echoed."""

from __future__ import annotations

import pytest

from infra.config import parse_stack_config
from tests.config.test_config import errors_for, mutate_path, stack_values

PATH = ["targets", 0, "kubeconfig"]
MESSAGE = (
    "targets[0].kubeconfig.{key}: this looks like a secret value, not the name of one (value not shown); store it "
    "with `pulumi config set --secret NAME` (or in a secret manager) and give its name"
)
PASTED = {
    "config": "Zq8vN2rT5yW1xK7mB4cJ9dF3gH6pL0sA",  # would pass the name pattern: a generated key
    "env": "AKIA" + "QWERTYUIOPASDFGH",  # would pass the env-var pattern: an AWS access key id
    "awsSecretsManager": "sk-" + "Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z",
    "gcpSecretManager": "hf_" + "PLANTEDabcdefghijklmnopqrstuvwxyz0123",
}
AWS_SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/" + "bPxRfiCYzq8Lm2Nt4Vw6"  # the shape of an AWS secret access key


@pytest.mark.parametrize("key", sorted(PASTED))
def test_a_secret_in_a_name_field_is_refused_without_echo(key: str) -> None:
    lines = errors_for(mutate_path(PATH, {key: PASTED[key]}))
    assert lines == [MESSAGE.format(key=key)]
    assert PASTED[key] not in "\n".join(lines) and PASTED[key][:8] not in "\n".join(lines)


@pytest.mark.parametrize("key", ["env", "awsSecretsManager"])
def test_an_aws_secret_key_is_refused_without_echo(key: str) -> None:
    lines = errors_for(mutate_path(PATH, {key: AWS_SECRET_KEY}))
    assert lines == [MESSAGE.format(key=key)]


@pytest.mark.parametrize(("key", "value"), [("config", "dc1-kube config"), ("env", "lower/case+key")])
def test_a_malformed_name_is_refused_without_echo(key: str, value: str) -> None:
    pattern = {"config": "[A-Za-z][A-Za-z0-9]*", "env": "[A-Z_][A-Z0-9_]*"}[key]
    lines = errors_for(mutate_path(PATH, {key: value}))
    assert lines == [
        f"targets[0].kubeconfig.{key}: not a valid name (value not shown: it may be a secret); expected {pattern}"
    ]


@pytest.mark.parametrize(
    ("key", "name"),
    [
        ("config", "dc1Kubeconfig"),
        ("env", "DC1_KUBECONFIG"),
        ("awsSecretsManager", "llm-fleet/prod/hf-token"),
        ("awsSecretsManager", "prod/LlmFleet/HuggingFaceToken2024"),
        ("gcpSecretManager", "projects/acme/secrets/hf-token/versions/3"),
    ],
)
def test_ordinary_names_still_pass(key: str, name: str) -> None:
    values = stack_values("dev")
    mutate_path(PATH, {key: name})(values)
    parse_stack_config(values, "dev")  # raises ConfigError if refused
