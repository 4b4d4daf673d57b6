"""Per-client limits on a model's API routes: one Envoy Gateway BackendTrafficPolicy.

* Requests (``clients[].requestsPerMinute``): a local rate limit, one rule per client,
  selected by the client-id header the API-key filter sets (``<client>.<key id>``: a regular
  expression on the client's prefix, so all its keys share one bucket). Local limits count per
  Envoy replica, so the limit is shared out over the replicas; it needs nothing outside Envoy
  and so still holds when the rate-limit service is down.
* Tokens (``tokensPerMinute``, ``tokensPerMonth``, prompt + completion): Envoy Gateway's global
  rate limit, whose counters live in the cluster's Redis (``ratelimit.py``), shared by every
  Envoy replica. A request costs 0 when it arrives and its total token count when the response
  completes, read from the dynamic metadata Envoy AI Gateway's filter writes
  (TOKEN_METADATA_NAMESPACE / TOKEN_METADATA_KEY, from the response's ``usage``); a request is
  refused once the client's charged usage is over the limit (an admitted stream is not cut).
  ``shared``: both API routes of the model count into one bucket.
* Over a limit: HTTP 429 with an OpenAI-style JSON error body (``responseOverride``).

Scope, plainly: every bucket is per client, per model and per target gateway. A weighted or
failover route spreads a client over several targets, each with its own Redis, so the
fleet-wide ceiling is the per-target quota times the targets serving the model.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from infra.config import CLIENT_KEY_SEPARATOR, Client
from infra.workloads import gateway, meta
from infra.workloads.scope import PlacementScope

TOKEN_METADATA_NAMESPACE = "io.envoy.ai_gateway"  # noqa: S105 - a metadata namespace
"""Dynamic-metadata namespace Envoy AI Gateway writes token usage to (its ``llmRequestCosts``)."""
TOKEN_METADATA_KEY = "llm_total_token"  # noqa: S105 - a metadata key
"""``llmRequestCosts[].metadataKey`` of type TotalToken (prompt + completion)."""

OVER_LIMIT_STATUS = 429
OVER_LIMIT_BODY = json.dumps(
    {
        "error": {
            "message": "Rate limit or token quota exceeded for this API client; retry later or ask the "
            "fleet's operators for a higher quota.",
            "type": "rate_limit_exceeded",
            "code": OVER_LIMIT_STATUS,
        }
    },
    separators=(",", ":"),
)
"""The 429 body, shaped like OpenAI's errors so OpenAI clients surface the message."""


def per_replica_limit(requests_per_minute: int, proxy_replicas: int) -> int:
    """Local rate limits count per Envoy replica: share the per-client limit out over them."""
    return max(1, math.ceil(requests_per_minute / max(1, proxy_replicas)))


def client_selector(client: str) -> list[dict[str, Any]]:
    """Every key of ``client``: the forwarded id is ``<client>.<key id>`` (full-match regex)."""
    pattern = f"{client}{re.escape(CLIENT_KEY_SEPARATOR)}[a-z0-9-]+"  # names are [a-z0-9-]: no escaping
    return [{"headers": [{"name": gateway.CLIENT_ID_HEADER, "type": "RegularExpression", "value": pattern}]}]


def token_rule(client: str, tokens: int, unit: str) -> dict[str, Any]:
    return {
        "clientSelectors": client_selector(client),
        "limit": {"requests": tokens, "unit": unit},
        "cost": {
            "request": {"from": "Number", "number": 0},
            "response": {
                "from": "Metadata",
                "metadata": {"namespace": TOKEN_METADATA_NAMESPACE, "key": TOKEN_METADATA_KEY},
            },
        },
        "shared": True,
    }


def limits_spec(api_refs: list[dict[str, Any]], clients: list[Client], proxy_replicas: int) -> dict[str, Any]:
    """The BackendTrafficPolicy spec of one model's API routes for its allowed ``clients``."""
    rate_limit: dict[str, Any] = {}
    if clients:
        rate_limit["local"] = {
            "rules": [
                {
                    "clientSelectors": client_selector(c.name),
                    "limit": {"requests": per_replica_limit(c.requests_per_minute, proxy_replicas), "unit": "Minute"},
                }
                for c in clients
            ]
        }
    token_rules = [
        token_rule(c.name, tokens, unit)
        for c in clients
        for tokens, unit in ((c.tokens_per_minute, "Minute"), (c.tokens_per_month, "Month"))
        if tokens is not None
    ]
    if token_rules:
        rate_limit["global"] = {"rules": token_rules}
    spec: dict[str, Any] = {
        "targetRefs": api_refs,
        "responseOverride": [
            {
                "match": {"statusCodes": [{"type": "Value", "value": OVER_LIMIT_STATUS}]},
                "response": {
                    "contentType": "application/json",
                    "body": {"type": "Inline", "inline": OVER_LIMIT_BODY},
                },
            }
        ],
    }
    if rate_limit:
        spec["rateLimit"] = rate_limit
    return spec


def create_client_limits(
    scope: PlacementScope, api_refs: list[dict[str, Any]], clients: list[Client], opts: pulumi.ResourceOptions
) -> k8s.apiextensions.CustomResource:
    return k8s.apiextensions.CustomResource(
        f"{scope.name}-rate-limit",
        api_version="gateway.envoyproxy.io/v1alpha1",
        kind="BackendTrafficPolicy",
        metadata=meta.metadata(scope.model.name, scope.namespace, scope.labels(meta.SERVER)),
        spec=limits_spec(api_refs, clients, scope.cluster.gateway.proxy_replicas),
        opts=opts,
    )
