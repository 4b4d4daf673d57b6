"""The stack's API clients: one key value per client key, fleet-wide.

Each active key of each client (``llm-fleet:clients``) has exactly one value for the whole
fleet: a ``random.RandomPassword`` created once per client key (never per target or
placement), kept in the encrypted Pulumi state, or the value behind a secret reference
(Pulumi config secret, AWS Secrets Manager, GCP Secret Manager). Every target's gateway
receives the same values (``infra/workloads/client_credentials.py``), so a key works on every
endpoint of a weighted or failover route.

A revoked key has no value here: its generator is deleted and it leaves every gateway at the
next ``pulumi up``. Generated keys reach their client through a secret stack output per key
(``clientKey_<client>_<key>``, read with ``pulumi stack output --show-secrets``); llmfleet
never prints them (the Plan shows "[secret]").
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_random as random

from infra import secrets
from infra.config import Client, ClientKey, SecretRef, StackConfig

KEY_LENGTH = 48
"""Characters of a generated key (a-z, A-Z, 0-9: about 285 bits)."""
COMPONENT_TYPE = "llm-fleet:identity:ApiClients"
GENERATOR_PREFIX = "api-client"
"""Generators are named ``api-client-<client>-<key>`` (stable URNs; one per client key)."""


def generator_name(client: str, key: str) -> str:
    return f"{GENERATOR_PREFIX}-{client}-{key}"


def output_name(client: str, key: str) -> str:
    """Stack output holding a generated key: ``clientKey_<client>_<key>`` (names hold no '_')."""
    return f"clientKey_{client}_{key}"


@dataclass(frozen=True)
class ActiveKey:
    client: Client
    key: ClientKey
    value: pulumi.Output[str]
    """The key itself, a secret Output."""

    @property
    def source(self) -> str:
        """Where the value comes from, safe to print: ``random:<generator name>`` or the secret reference."""
        if isinstance(self.key.source, SecretRef):
            return self.key.source.source
        return f"random:{generator_name(self.client.name, self.key.id)}"

    @property
    def client_id(self) -> str:
        """What the gateway forwards for requests made with this key."""
        return self.client.key_client_id(self.key)


@dataclass(frozen=True)
class ClientKeys:
    """Active client keys with their values (what a cluster's gateway needs)."""

    keys: tuple[ActiveKey, ...] = ()

    def for_models(self, models: set[str]) -> list[ActiveKey]:
        """Active keys of the clients allowed at least one of ``models``."""
        return [k for k in self.keys if models.intersection(k.client.models)]


class ApiClients(pulumi.ComponentResource):
    """Every active client key of the stack, each with its one value (a secret Output)."""

    keys: list[ActiveKey]

    def __init__(self, stack: StackConfig, opts: pulumi.ResourceOptions | None = None):
        super().__init__(COMPONENT_TYPE, "api-clients", None, opts)
        self._stack = stack
        self.keys = []
        for ci, client in enumerate(stack.clients):
            for ki, key in enumerate(client.keys):
                if key.state != "active":
                    continue
                if isinstance(key.source, SecretRef):
                    value = secrets.resolve(key.source, f"clients[{ci}].keys[{ki}].source")
                else:
                    value = random.RandomPassword(
                        generator_name(client.name, key.id),
                        length=KEY_LENGTH,
                        special=False,
                        opts=pulumi.ResourceOptions(parent=self),
                    ).result
                self.keys.append(ActiveKey(client, key, pulumi.Output.secret(value)))
        self.register_outputs({"clientIds": [k.client_id for k in self.keys]})

    @property
    def active(self) -> ClientKeys:
        return ClientKeys(tuple(self.keys))

    def export(self) -> None:
        """One secret stack output per generated key (referenced keys live in their secret store)."""
        for active in self.keys:
            if active.key.generated:
                pulumi.export(output_name(active.client.name, active.key.id), pulumi.Output.secret(active.value))
