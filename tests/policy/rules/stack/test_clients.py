"""Cases of the API-client rules (CLIENT-01..04): a weighted route over aws1 and dc1 whose
endpoints carry a client-key Secret and a SecurityPolicy each, as infra/workloads builds them."""

import json

import pytest

from tests.policy.baseline import PROVIDERS, TARGET_URN, urn
from tests.policy.harness import Case, cases_params, chain, check, config

HOST = "api.llm.example.com"
CLIENTS = [
    {
        "name": "search",
        "owner": "search-team",
        "models": ["llama-8b"],
        "requestsPerMinute": 600,
        "tokensPerMinute": 100000,
        "tokensPerMonth": 1000000000,
        "keys": [{"id": "k1", "expires": "2027-01-31"}, {"id": "k0", "state": "revoked", "expires": "2026-01-31"}],
    },
    {
        "name": "bot",
        "owner": "care",
        "models": ["llama-8b"],
        "requestsPerMinute": 60,
        "tokensPerMinute": 10000,
        "tokensPerMonth": 10000000,
        "keys": [{"id": "k1", "source": {"awsSecretsManager": "clients/bot-k1"}}],
    },
]
SOURCES = {"search.k1": "random:api-client-search-k1", "bot.k1": "awsSecretsManager:clients/bot-k1"}


def _k8s(target, type_, name, body):
    group_version, kind = type_.split(":")[1], type_.split(":")[2]
    return {
        "urn": urn(type_, name),
        "type": type_,
        "name": name,
        "custom": True,
        "parent": TARGET_URN[target],
        "provider": PROVIDERS[f"{target}-k8s"],
        "protect": False,
        "props": {"apiVersion": group_version.removeprefix("core/"), "kind": kind, **body},
    }


def _endpoint(target, sources=None, allowed=("search.k1", "bot.k1"), string_data="[secret]"):
    """A target's client-key Secret, the model's API route on HOST and its SecurityPolicy."""
    sources = dict(SOURCES if sources is None else sources)
    secret = _k8s(
        target,
        "kubernetes:core/v1:Secret",
        f"{target}-client-keys",
        {
            "metadata": {
                "name": "llm-fleet-client-keys",
                "namespace": "llm-edge",
                "annotations": {
                    "llm-fleet.dev/secret-keys": ",".join(sources),
                    "llm-fleet.dev/key-sources": json.dumps(sources),
                },
            },
            "type": "Opaque",
            "stringData": string_data,
        },
    )
    route = _k8s(
        target,
        "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute",
        f"{target}-api-host",
        {
            "metadata": {"name": "llama-8b-api", "namespace": "llm-llama-8b"},
            "spec": {
                "parentRefs": [{"kind": "Gateway", "name": "llm-gateway", "namespace": "llm-edge"}],
                "hostnames": [HOST],
                "rules": [
                    {
                        "matches": [{"path": {"type": "PathPrefix", "value": "/v1"}}],
                        "backendRefs": [{"kind": "Service", "name": "llama-8b-server", "port": 8000}],
                    }
                ],
            },
        },
    )
    rules = [
        {
            "name": "allowed-clients",
            "action": "Allow",
            "principal": {
                "clientCIDRs": ["0.0.0.0/0"],
                "headers": [{"name": "x-llm-fleet-client", "values": list(allowed)}],
            },
        }
    ]
    policy = _k8s(
        target,
        "kubernetes:gateway.envoyproxy.io/v1alpha1:SecurityPolicy",
        f"{target}-api-host-auth",
        {
            "metadata": {"name": "llama-8b-api", "namespace": "llm-llama-8b"},
            "spec": {
                "targetRefs": [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "name": "llama-8b-api"}],
                "apiKeyAuth": {
                    "credentialRefs": [
                        {"group": "", "kind": "Secret", "name": "llm-fleet-client-keys", "namespace": "llm-edge"}
                    ],
                    "extractFrom": [{"headers": ["authorization", "x-api-key"]}],
                    "forwardClientIDHeader": "x-llm-fleet-client",
                    "sanitize": True,
                },
                "authorization": {"defaultAction": "Deny", "rules": rules},
            },
        },
    )
    return [secret, route, policy]


def fleet(aws1=None, dc1=None, clients=CLIENTS):
    """The route over aws1 and dc1 with the given endpoint overrides (kwargs of _endpoint)."""

    def change(plan):
        plan["config"]["clients"] = json.loads(json.dumps(clients))
        plan["config"]["routing"] = [
            {
                "hostname": HOST,
                "dnsZone": "example.com",
                "mode": "weighted",
                "models": ["llama-8b"],
                "endpoints": [{"target": "aws1", "weight": 70}, {"target": "dc1", "weight": 30}],
            }
        ]
        plan["resources"] += _endpoint("aws1", **(aws1 or {})) + _endpoint("dc1", **(dc1 or {}))

    return change


def _clients_with(path, value):
    clients = json.loads(json.dumps(CLIENTS))
    node = clients
    keys = path.split(".")
    for key in keys[:-1]:
        node = node[int(key)] if isinstance(node, list) else node[key]
    if value is None:
        del node[keys[-1]]
    else:
        node[keys[-1]] = value
    return clients


CASES = {
    "CLIENT-01": [
        Case("baseline"),
        Case("same-clients-everywhere", fleet()),
        Case(
            "per-target-default-key",
            fleet(
                aws1={"sources": {"default": "random:aws1-llama-8b-api-key"}, "allowed": ("default",)},
                dc1={"sources": {"default": "random:dc1-llama-8b-api-key"}, "allowed": ("default",)},
            ),
            {
                "dc1-api-host": [
                    f"{HOST}: route llm-llama-8b/llama-8b-api accepts default (random:dc1-llama-8b-api-key) at "
                    "'dc1' but default (random:aws1-llama-8b-api-key) at 'aws1'"
                ]
            },
        ),
        Case(
            "client-missing-at-one-endpoint",
            fleet(dc1={"allowed": ("search.k1",)}),
            {
                "dc1-api-host": [
                    f"{HOST}: route llm-llama-8b/llama-8b-api accepts search.k1 (random:api-client-search-k1) at "
                    "'dc1' but bot.k1 (awsSecretsManager:clients/bot-k1), search.k1 (random:api-client-search-k1) at "
                    "'aws1'"
                ]
            },
        ),
        Case(
            "untraceable-keys",
            chain(fleet(), lambda plan: plan["resources"][-3]["props"]["metadata"]["annotations"].clear()),
            {
                "dc1-api-host": [
                    f"{HOST}: route llm-llama-8b/llama-8b-api at 'dc1' accepts keys the Plan cannot trace to a "
                    "client (no SecurityPolicy with apiKeyAuth, or a credential Secret without its key annotations)"
                ]
            },
        ),
    ],
    "CLIENT-02": [
        Case("baseline"),
        Case("generated-and-referenced", fleet()),
        Case(
            "env-reference",
            fleet(clients=_clients_with("1.keys.0.source", {"env": "BOT_KEY"})),
            {
                "llm-fleet-prod": [
                    "config clients[1].keys[0] (bot.k1): source ['env'] is not a secret store; expected 'generated' "
                    "or one of config, awsSecretsManager, gcpSecretManager"
                ]
            },
        ),
        Case("secret-values-per-key", fleet(dc1={"string_data": {"search.k1": "[secret]", "bot.k1": "[secret]"}})),
        Case(
            "one-plain-value-among-secret-ones",
            fleet(dc1={"string_data": {"search.k1": "[secret]", "bot.k1": "sk-live-0123456789abcdef"}}),
            {
                "dc1-client-keys": [
                    "Secret llm-edge/llm-fleet-client-keys (API keys of SecurityPolicy 'llama-8b-api') has stringData "
                    "in plain text; expected a secret Output"
                ]
            },
        ),
        Case(
            "plain-secret-data",
            fleet(dc1={"string_data": {"search.k1": "sk-live-0123456789abcdef"}}),
            {
                "dc1-client-keys": [
                    "Secret llm-edge/llm-fleet-client-keys (API keys of SecurityPolicy 'llama-8b-api') has stringData "
                    "in plain text; expected a secret Output"
                ]
            },
        ),
    ],
    "CLIENT-03": [
        Case("baseline"),
        Case("quotas-set", fleet()),
        Case(
            "no-monthly-quota",
            fleet(clients=_clients_with("1.tokensPerMonth", None)),
            {"llm-fleet-prod": ["config clients[1] (bot): no tokensPerMonth"]},
        ),
        Case("dev-needs-none", chain(fleet(clients=_clients_with("1.tokensPerMonth", None)),
                                     config("environment", "dev"))),
    ],
    "CLIENT-04": [
        Case("baseline"),
        Case("revoked-expired-key-is-fine", fleet()),
        Case(
            "active-expired-key",
            fleet(clients=_clients_with("0.keys.1.state", "active")),
            {"llm-fleet-prod": ["config clients[0].keys[1] (search.k0): active key expired on 2026-01-31"]},
        ),
    ],
}


@pytest.mark.parametrize(("rule_id", "case"), cases_params(CASES))
def test_rule_case(rule_id, case):
    check(rule_id, case)
