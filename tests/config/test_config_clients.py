"""`llm-fleet:clients`: named API clients, their models, limits and keys, validated with one line per error."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from infra.config import client_key_id, parse_stack_config
from tests.config.test_config import errors_for, mutate_path, stack_values

PLANTED = "sk-live-PlantedClientKeyThatMustNeverAppear"


def test_prod_declares_at_least_two_clients_and_dev_one() -> None:
    prod = parse_stack_config(stack_values("prod"), "prod")
    dev = parse_stack_config(stack_values("dev"), "dev")
    assert len(prod.clients) >= 2 and len(dev.clients) >= 1
    for client in prod.clients:
        assert client.tokens_per_month and client.tokens_per_minute, client.name
    # rotation: a client with two active keys; revocation: a revoked key
    assert any(len(c.active_keys()) >= 2 for c in prod.clients)
    assert any(k.state == "revoked" for c in prod.clients for k in c.keys)
    assert prod.clients_of("llama-70b") and prod.clients_of("llama-8b")


def test_the_forwarded_client_id_names_client_and_key() -> None:
    prod = parse_stack_config(stack_values("prod"), "prod")
    client = prod.clients[0]
    assert client.key_client_id(client.keys[0]) == client_key_id(client.name, client.keys[0].id)
    assert client_key_id("search", "k1") == "search.k1"


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (mutate_path(["clients", 0, "models"], ["llama-70b"]),
         "clients[0].models: 'llama-70b' is not a model; expected one of ['llama-8b']"),
        (lambda v: v["clients"].append(copy.deepcopy(v["clients"][0])), "duplicate client name 'ml-dev'"),
        (lambda v: v["clients"][0]["keys"].append({"id": "k2026a"}), "clients[0].keys: duplicate key id 'k2026a'"),
        (mutate_path(["clients", 0, "keys", 0, "state"], "disabled"),
         "clients[0].keys[0].state: 'disabled' is not allowed; input should be 'active' or 'revoked'"),
        (mutate_path(["clients", 0, "requestsPerMinute"], 0),
         "clients[0].requestsPerMinute: 0 is not allowed; expected 1 <= value <= 1,000,000"),
        (lambda v: v["clients"][0].pop("keys"), "clients[0].keys: required key is missing"),
        (mutate_path(["clients", 0, "tokensPerMonth"], 2**32),
         "clients[0].tokensPerMonth: 4294967296 is not allowed; expected 1 <= value <= 4,294,967,295"),
        (mutate_path(["clients", 0, "keys", 0, "source"], {"config": "mlDevKey", "env": "KEY"}),
         "clients[0].keys[0].source: a secret reference needs exactly one of"),
    ],
)
def test_bad_clients_name_key_value_and_what_is_allowed(mutate: Any, expected: str) -> None:
    lines = errors_for(mutate)
    assert len(lines) == 1 and lines[0].startswith(expected), lines


@pytest.mark.parametrize("source", [PLANTED, {"value": PLANTED}])
def test_a_plain_key_is_refused_and_never_echoed(source: Any) -> None:
    lines = errors_for(mutate_path(["clients", 0, "keys", 0, "source"], source))
    assert len(lines) == 1 and lines[0].startswith("clients[0].keys[0].source"), lines
    assert PLANTED not in "\n".join(lines)


def test_referenced_and_generated_keys_validate() -> None:
    values = stack_values("dev")
    values["clients"][0]["keys"].append({"id": "k2026b", "source": {"gcpSecretManager": "projects/p/secrets/s"}})
    config = parse_stack_config(values, "dev")
    assert [k.generated for k in config.clients[0].keys] == [True, False]
