"""Cases for credentials in the wrong place: container args and env (SUPPLY-02), ConfigMaps
including the serving spec and Helm values (SUPPLY-03), the stack config (SUPPLY-04) and any
resource prop (SUPPLY-06). Placeholders ('[secret]'), paths and $(ENV) references pass."""

import base64
import json

import pytest

from tests.policy.harness import Case, cases_params, chain, check, config, set_

D, C = "dc1-server", "spec.template.spec.containers.0"
WHERE = "spec.template.spec: container 'server'"
SPEC, HELM = "dc1-spec", "dc1-gpu-operator"
STACK_NAME = "llm-fleet-prod"  # findings about the stack itself
TOKEN = "sk-" + "Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z"  # an OpenAI-style key shape, not a real key
RANDOM = "Zq8vN2rT5yW1xK7mB4cJ9dF3gH6pL0sA"  # 32 mixed characters: a generated API key


def _spec(**extra):
    return set_(SPEC, ("data", "spec.json"), json.dumps({"model": "s3://llm-weights/llama-8b", **extra}))


CASES = {
    "SUPPLY-02": [
        Case("api-key-from-env", set_(D, f"{C}.args", ["--api-key", "$(VLLM_API_KEY)", "--port", "8000"])),
        Case("api-key-file", set_(D, f"{C}.args", ["--api-key-file=/var/run/secrets/api-key"])),
        Case(
            "api-key-literal-arg",
            set_(D, f"{C}.args", ["--port", "8000", "--api-key", "letmein-please"]),
            {D: [f"{WHERE}: args has --api-key with a literal value; expected a secret file or $(ENV) from a Secret"]},
        ),
        Case(
            "password-equals",
            set_(D, f"{C}.command", ["sh", "-c", "exec server --password=hunter2 --port 8000"]),
            {
                D: [
                    f"{WHERE}: command has --password with a literal value; expected a secret file or $(ENV) from a Secret"
                ]
            },
        ),
        Case(
            "token-shaped-arg",
            set_(D, f"{C}.args", ["--header", f"Authorization: Bearer {TOKEN}"]),
            {D: [f"{WHERE}: args has a credential-shaped argument; expected a secret file or $(ENV) from a Secret"]},
        ),
        Case(
            "random-token-env",
            set_(D, f"{C}.env.1", {"name": "EXTRA_HEADERS", "value": RANDOM}),
            {D: [f"{WHERE}: env EXTRA_HEADERS holds a literal credential; expected valueFrom.secretKeyRef"]},
        ),
        Case("digest-env-is-hex", set_(D, f"{C}.env.1", {"name": "IMAGE_DIGEST", "value": "4f1c8e2a9b7d6c5e" * 4})),
    ],
    "SUPPLY-03": [
        Case("spec-key-file", _spec(apiKeyFile="/var/run/secrets/llm-fleet/api-key/api-key", apiKeyEnv=None)),
        Case(
            "api-key-in-serving-spec",
            _spec(apiKey="letmein-please"),
            {SPEC: ["data.spec.json.apiKey holds a credential; expected a Secret"]},
        ),
        Case(
            "weights-url-with-password",
            _spec(weightsEndpoint="https://minio:s3cr3tpass@s3.dc1.internal"),
            {SPEC: ["data.spec.json.weightsEndpoint holds a credential; expected a Secret"]},
        ),
        Case(
            "yaml-config-file",
            set_(
                SPEC, ("data", "client.yaml"), "endpoint: https://s3.dc1.internal\nsecretAccessKey: abcd1234efgh5678\n"
            ),
            {SPEC: ["data.client.yaml.secretAccessKey holds a credential; expected a Secret"]},
        ),
        Case(
            "grafana-existing-secret",
            set_(
                HELM, "values.grafana", {"admin": {"existingSecret": "grafana-admin", "passwordKey": "admin-password"}}
            ),
        ),
        Case(
            "valkey-users-existing-secret",  # a prefixed existingSecret key names a Secret, holds no value
            set_(HELM, "values.auth", {"usersExistingSecret": "ratelimit-store-users", "enabled": True}),
        ),
        Case(
            "slack-webhook-in-values",
            set_(
                HELM,
                "values.alertmanager",
                {
                    "config": {
                        "receivers": [
                            {
                                "name": "slack",
                                "slack_configs": [
                                    {"api_url": "https://hooks.slack.com/services/T0000000/B0000000/" + "Xy7" * 8}
                                ],
                            }
                        ]
                    }
                },
            ),
            {
                HELM: [
                    "values.alertmanager.config.receivers[0].slack_configs[0].api_url holds a credential; expected a Secret reference"
                ]
            },
        ),
        Case(
            "webhook-from-a-file",
            set_(
                HELM,
                "values.alertmanager",
                {
                    "config": {
                        "receivers": [
                            {
                                "name": "slack",
                                "slack_configs": [{"api_url_file": "/etc/alertmanager/secrets/slack/url"}],
                            }
                        ]
                    }
                },
            ),
        ),
        Case(
            "grafana-admin-password",
            set_(HELM, "values.grafana.adminPassword", "prom-operator"),
            {HELM: ["values.grafana.adminPassword holds a credential; expected a Secret reference"]},
        ),
    ],
    "SUPPLY-04": [
        Case("secret-reference", config("targets.2.weights.credentials", {"config": "dc1WeightsCredentials"})),
        Case(
            "weights-endpoint-userinfo",
            config("targets.2.weights.endpoint", "https://minio:s3cr3tpass@s3.dc1.internal"),
            {
                STACK_NAME: [
                    "config targets[2].weights.endpoint holds a credential in plain text; expected a secret reference"
                ]
            },
        ),
        Case(
            "literal-password",
            config("targets.2.registryPassword", "hunter2hunter2"),
            {
                STACK_NAME: [
                    "config targets[2].registryPassword holds a credential in plain text; expected a secret reference"
                ]
            },
        ),
    ],
    "SUPPLY-10": [
        Case("baseline"),
        Case("anonymous-off", set_(HELM, "values.grafana", {"grafana.ini": {"auth.anonymous": {"enabled": False}}})),
        Case(
            "anonymous-admin",
            set_(HELM, "values.grafana", {"grafana.ini": {"auth.anonymous": {"enabled": True, "org_role": "Admin"}}}),
            {
                HELM: [
                    "values.grafana.grafana.ini.auth.anonymous is enabled with role 'Admin'; expected anonymous access off"
                ]
            },
        ),
    ],
    "SUPPLY-09": [
        Case("baseline"),
        Case(
            "password-not-echoed",
            config("targets.2.weights.endpoint", "http://minio:s3cr3tpass@s3.dc1.internal"),
            {
                STACK_NAME: [
                    "config targets[2].weights.endpoint is 'http://minio:[secret]@s3.dc1.internal' (plain HTTP); "
                    "expected an https:// endpoint"
                ]
            },
        ),
        Case(
            "weights-over-http",
            config("targets.2.weights.endpoint", "http://s3.dc1.internal"),
            {
                STACK_NAME: [
                    "config targets[2].weights.endpoint is 'http://s3.dc1.internal' (plain HTTP); expected an https:// endpoint"
                ]
            },
        ),
    ],
    "SUPPLY-06": [
        Case("baseline"),
        Case("user-only-url", set_("dc1-api", "metadata.annotations", {"source": "https://git@example.com/repo"})),
        Case(
            "annotation-url-with-password",
            set_(
                "dc1-api", "metadata.annotations", {"mirror": "https://bot:ghp_" + "A1b2C3d4E5f6" * 3 + "@github.com/x"}
            ),
            {
                "dc1-api": [
                    "metadata.annotations.mirror holds a credential (token or key); expected a secret store reference"
                ]
            },
        ),
        Case(
            "webhook-with-basic-auth",
            set_(
                "aws1-budget",
                "notifications",
                [{"subscriberSnsTopicArns": [], "url": "https://ops:pa55word@alerts.example.com/hook"}],
            ),
            {
                "aws1-budget": [
                    "notifications[0].url holds a URL with a password (user:password@host); expected a secret store reference"
                ]
            },
        ),
        Case(
            "private-key-in-launch-template",
            set_("aws1-system-lt", "userData", "-----BEGIN RSA PRIVATE KEY-----\nMIIE...\n"),
            {"aws1-system-lt": ["userData holds a credential (token or key); expected a secret store reference"]},
        ),
        Case(
            "base64-user-data",
            set_(
                "aws1-system-lt",
                "userData",
                base64.b64encode(b"#!/bin/bash\nexport AWS_ACCESS_KEY_ID=AKIAQWERTYUIOPASDFGH\n").decode(),
            ),
            {
                "aws1-system-lt": [
                    "userData holds a credential (token or key) (base64-encoded); expected a secret store reference"
                ]
            },
        ),
        Case(
            "plain-user-data",
            set_("aws1-system-lt", "userData", base64.b64encode(b"#!/bin/bash\necho hello\n").decode()),
        ),
        Case(
            "helm-repo-with-credentials",
            set_(HELM, "repositoryOpts.repo", "https://bot:s3cr3tpass@charts.example.com/nvidia"),
            {
                HELM: [
                    "repositoryOpts.repo holds a URL with a password (user:password@host); expected a secret store reference"
                ]
            },
        ),
        Case(
            "password-in-a-custom-resource",
            set_(
                "dc1-rate-limit",
                "spec.extAuth",
                {"http": {"backendRef": {"name": "auth"}, "password": "hunter2hunter2"}},
            ),
            {
                "dc1-rate-limit": [
                    "spec.extAuth.http.password holds a literal under a credential key; expected a secret store reference"
                ]
            },
        ),
        Case(
            "secret-key-reference",
            set_("dc1-rate-limit", "spec.extAuth", {"passwordSecretRef": {"name": "auth", "key": "pw"}}),
        ),
        Case("kubernetes-secret-is-the-place", chain(set_("dc1-api", "metadata.annotations", {}))),
    ],
}


@pytest.mark.parametrize(("rule_id", "case"), cases_params(CASES))
def test_rule_case(rule_id, case):
    check(rule_id, case)
