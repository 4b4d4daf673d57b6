"""One cluster's copy of the fleet's client keys, in the gateway's namespace.

* Secret CLIENT_KEYS_SECRET (Envoy Gateway's apiKeyAuth format: each data key is a client id,
  its value the API key): every active key of every client allowed a model placed on this
  cluster, with the fleet-wide value from :class:`infra.api_clients.ApiClients` (the same value
  on every target). Client ids are ``<client>.<key id>``: Envoy Gateway keeps one key per
  client id, so a client with two active keys (rotation) has two ids with its name as prefix.
* ReferenceGrant: the model namespaces' SecurityPolicies may read that Secret (Envoy Gateway
  refuses a cross-namespace credentialRef without one), and nothing else may.

Each model's SecurityPolicy then allows only that model's clients (``routes.py``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from infra import naming
from infra.api_clients import ClientKeys
from infra.workloads import meta
from infra.workloads.context import ClusterContext
from infra.workloads.gateway import GatewayEdge

CLIENT_KEYS_SECRET = "llm-fleet-client-keys"  # noqa: S105 - a Secret's name, not a value
EXTRA_KEY = "client_credentials"
"""ClusterContext.extra key of the cluster's TargetClientCredentials (built once per cluster)."""


@dataclass(frozen=True)
class TargetClientCredentials:
    secret: k8s.core.v1.Secret
    grant: k8s.apiextensions.CustomResource
    client_ids: tuple[str, ...]
    namespace: str

    @property
    def credential_ref(self) -> dict[str, Any]:
        """SecurityPolicy ``apiKeyAuth.credentialRefs`` entry."""
        return {"group": "", "kind": "Secret", "name": CLIENT_KEYS_SECRET, "namespace": self.namespace}


def ensure_client_credentials(
    context: ClusterContext, clients: ClientKeys, edge: GatewayEdge, parent: pulumi.Resource | None
) -> TargetClientCredentials:
    """The cluster's client-key Secret and its ReferenceGrant, created by the first placement."""
    found = context.extra.get(EXTRA_KEY)
    if found is not None:
        return found
    models = sorted({m.name for m, p in context.stack.placements() if p.target == context.name})
    keys = clients.for_models(set(models))
    namespace = edge.ref.namespace
    labels = {**meta.OWNERSHIP_LABELS, f"{meta.DOMAIN}/target": context.name}
    opts = pulumi.ResourceOptions(parent=parent, provider=context.provider, depends_on=[edge.gateway_namespace])
    ids = tuple(k.client_id for k in keys)
    secret = k8s.core.v1.Secret(
        f"{context.name}-client-keys",
        metadata=meta.metadata(
            CLIENT_KEYS_SECRET,
            namespace,
            labels,
            {
                meta.SECRET_KEYS_ANNOTATION: ",".join(ids),
                meta.KEY_SOURCES_ANNOTATION: json.dumps({k.client_id: k.source for k in keys}, sort_keys=True),
            },
        ),
        type="Opaque",
        string_data={k.client_id: k.value for k in keys},
        opts=opts,
    )
    grant = k8s.apiextensions.CustomResource(
        f"{context.name}-client-keys-grant",
        api_version="gateway.networking.k8s.io/v1beta1",
        kind="ReferenceGrant",
        metadata=meta.metadata(CLIENT_KEYS_SECRET, namespace, labels),
        spec={
            "from": [
                {"group": "gateway.envoyproxy.io", "kind": "SecurityPolicy", "namespace": naming.namespace(m)}
                for m in models
            ],
            "to": [{"group": "", "kind": "Secret", "name": CLIENT_KEYS_SECRET}],
        },
        opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=list(edge.ready))),
    )
    credentials = TargetClientCredentials(secret=secret, grant=grant, client_ids=ids, namespace=namespace)
    context.extra[EXTRA_KEY] = credentials
    return credentials
