"""The placement's Kubernetes Secrets: API key, model-source token, weight-store keys.

Values only ever travel as secret Outputs: the Plan and rendered manifests show "[secret]".

* Server key: the key the model server checks (vLLM ``--api-key``, defence in depth). Clients
  never hold it: the gateway authenticates clients with their own keys (``client_credentials``),
  strips the client's key and injects this one (``Authorization: Bearer``): AI Gateway's
  BackendSecurityPolicy on the ``/v1`` route (reads SERVER_KEY), an Envoy Gateway HTTPRouteFilter
  ``credentialInjection`` on the ``/<model>/v1`` route (reads SERVER_CREDENTIAL_KEY). Generated per
  placement (pulumi_random, kept in the Secret and the encrypted state) unless the target reads
  it from the cloud's secret store (``ClusterContext.api_key``).
* Source token (Hugging Face): only the stager mounts it, as a file (``HF_TOKEN_PATH``).
* Weight-store keys (on-prem S3-compatible endpoints): the target's JSON
  ``{accessKeyId, secretAccessKey}`` rewritten as an AWS shared-credentials file, mounted
  where ``AWS_SHARED_CREDENTIALS_FILE`` points (boto3 and the Run:ai streamer read it).

Secrets are mounted as files, never passed as environment variables; the API key too: the
servers mount it read-only at image.API_KEY_PATH (the spec's ``apiKeyFile``) and the launcher
hands it to vLLM as VLLM_API_KEY in vLLM's own environment.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random

from infra import secrets
from infra.plan.model import SECRET
from infra.workloads import meta
from infra.workloads.scope import PlacementScope
from serving.errors import LlmFleetError

SERVER_KEY = "apiKey"
"""The server key itself: the file the server mounts, and what AI Gateway's BackendSecurityPolicy
(type APIKey) reads to send ``Authorization: Bearer <key>`` to the server."""
SERVER_CREDENTIAL_KEY = "credential"
"""``Bearer <server key>``: Envoy Gateway's credentialInjection reads this key of the Secret."""
API_KEY_LENGTH = 48
WEIGHTS_CREDENTIALS_KEY = "credentials"
SOURCE_TOKEN_KEY = "token"  # noqa: S105 - the key name inside the Secret, not a value


@dataclass(frozen=True)
class PlacementSecrets:
    api_key: k8s.core.v1.Secret
    """The server key's Secret (never a client's key)."""
    api_key_name: str
    api_key_item: str
    """Key of the Secret the server mounts as its API key file."""
    source_token: k8s.core.v1.Secret | None
    source_token_name: str | None
    weights: k8s.core.v1.Secret | None
    weights_name: str | None


def create_secrets(scope: PlacementScope, namespace: k8s.core.v1.Namespace) -> PlacementSecrets:
    api_key_name = f"{scope.model.name}-server-key"
    server_key = _api_key_value(scope)
    api_key = k8s.core.v1.Secret(
        f"{scope.name}-server-key",
        metadata=_metadata(scope, api_key_name, meta.SERVER, [SERVER_KEY, SERVER_CREDENTIAL_KEY]),
        type="Opaque",
        string_data={
            SERVER_KEY: pulumi.Output.secret(server_key),
            SERVER_CREDENTIAL_KEY: pulumi.Output.secret(pulumi.Output.concat("Bearer ", server_key)),
        },
        opts=scope.child(depends_on=[namespace]),
    )

    token = scope.model.source.token
    token_name = f"{scope.model.name}-source-token" if token else None
    token_secret = None
    if token is not None and token_name is not None:
        value = secrets.resolve(token, f"models.{scope.model.name}.source.token")
        token_secret = k8s.core.v1.Secret(
            f"{scope.name}-source-token",
            metadata=_metadata(scope, token_name, meta.STAGER, [SOURCE_TOKEN_KEY]),
            type="Opaque",
            string_data={SOURCE_TOKEN_KEY: pulumi.Output.secret(value)},
            opts=scope.child(depends_on=[namespace]),
        )

    store = scope.cluster.weights
    weights_name = f"{scope.model.name}-weights-credentials" if store.credentials_secret is not None else None
    weights_secret = None
    if store.credentials_secret is not None and weights_name is not None:
        where = f"targets.{scope.cluster.name}.weights.credentials"
        ini = pulumi.Output.from_input(store.credentials_secret).apply(lambda raw: shared_credentials_file(raw, where))
        weights_secret = k8s.core.v1.Secret(
            f"{scope.name}-weights-credentials",
            metadata=_metadata(scope, weights_name, meta.SERVER, [WEIGHTS_CREDENTIALS_KEY]),
            type="Opaque",
            string_data={WEIGHTS_CREDENTIALS_KEY: pulumi.Output.secret(ini)},
            opts=scope.child(depends_on=[namespace]),
        )
    return PlacementSecrets(
        api_key=api_key,
        api_key_name=api_key_name,
        api_key_item=SERVER_KEY,
        source_token=token_secret,
        source_token_name=token_name,
        weights=weights_secret,
        weights_name=weights_name,
    )


def _metadata(scope: PlacementScope, name: str, component: str, keys: list[str]) -> dict[str, object]:
    return meta.metadata(
        name, scope.namespace, scope.labels(component), {meta.SECRET_KEYS_ANNOTATION: ",".join(keys)}
    )


def _api_key_value(scope: PlacementScope) -> pulumi.Output[str]:
    cluster = scope.cluster
    if cluster.api_key_source == "kubernetes":
        password = random.RandomPassword(
            f"{scope.name}-server-key",
            length=API_KEY_LENGTH,
            special=False,
            opts=pulumi.ResourceOptions(parent=scope.opts.parent),
        )
        return password.result
    if cluster.api_key is None:
        raise LlmFleetError(
            f"targets.{cluster.name}: api_key_source is '{cluster.api_key_source}' but the target gives no "
            "api_key reader; set ClusterContext.api_key"
        )
    return cluster.api_key(scope.model.name)


def shared_credentials_file(raw: str, where: str) -> str:
    """JSON ``{accessKeyId, secretAccessKey}`` -> an AWS shared-credentials file (offline: the placeholder)."""
    if raw == SECRET:
        return SECRET
    try:
        data = json.loads(raw)
        key_id, key = str(data["accessKeyId"]), str(data["secretAccessKey"])
    except (json.JSONDecodeError, TypeError, KeyError):
        raise LlmFleetError(
            f"{where}: expected JSON {{\"accessKeyId\": ..., \"secretAccessKey\": ...}} (value not shown)"
        ) from None
    return f"[default]\naws_access_key_id = {key_id}\naws_secret_access_key = {key}\n"
