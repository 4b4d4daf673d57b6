"""The shared counter of the gateway's global rate limits (the client token quotas).

Envoy Gateway runs the rate-limit service (envoyproxy/ratelimit, ``envoy-ratelimit`` in
ENVOY_GATEWAY_NAMESPACE) when its configuration names a backend; every Envoy replica asks it,
and it keeps the counters in a Redis-protocol store, so a quota holds across replicas. The
store here is Valkey (the official chart, versions.VALKEY), a Redis-compatible server:

* its own namespace (Pod Security "restricted"; the chart runs non-root, read-only root, no
  capabilities), a ClusterIP Service only, and NetworkPolicies: default deny, ingress only from
  the rate-limit pods on STORE_PORT, no egress but DNS;
* ACL authentication: the ``default`` user's password is generated per cluster
  (pulumi_random), kept in a Secret here (the chart reads it) and in ENVOY_GATEWAY_NAMESPACE
  (the rate-limit service reads it as REDIS_AUTH); it never appears in a value or the Plan;
* persistence on a PersistentVolumeClaim, so monthly counters survive a restart.

The counters are per cluster: each target has its own store, so a quota is per target.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random

from infra import versions
from infra.workloads import meta, system_namespaces

STORE_NAMESPACE = "llm-ratelimit"
STORE_RELEASE = "ratelimit-store"
STORE_PORT = 6379
STORE_USERS_SECRET = "ratelimit-store-users"  # noqa: S105 - a Secret's name, not a value
STORE_AUTH_SECRET = "ratelimit-store-auth"  # noqa: S105 - a Secret's name, not a value
STORE_USER = "default"
STORE_DISK = "8Gi"
RATELIMIT_GRPC_PORT = 8081
"""envoy-ratelimit's gRPC port (Envoy proxies call it)."""
RATELIMIT_POD = {"app.kubernetes.io/name": "envoy-ratelimit", "app.kubernetes.io/component": "ratelimit"}
PASSWORD_LENGTH = 40


@dataclass(frozen=True)
class RateLimitStore:
    namespace: k8s.core.v1.Namespace
    release: k8s.helm.v3.Release
    auth_secret: k8s.core.v1.Secret
    """REDIS_AUTH for the rate-limit service, in ENVOY_GATEWAY_NAMESPACE."""

    @property
    def url(self) -> str:
        return f"{STORE_RELEASE}.{STORE_NAMESPACE}.svc.cluster.local:{STORE_PORT}"


def envoy_gateway_config(store: RateLimitStore) -> dict[str, Any]:
    """``config.envoyGateway`` values of the Envoy Gateway chart that turn the global rate limit on."""
    return {
        "rateLimit": {"backend": {"type": "Redis", "redis": {"url": store.url}}},
        "provider": {
            "type": "Kubernetes",
            "kubernetes": {
                "rateLimitDeployment": {
                    "replicas": 2,
                    "container": {
                        "env": [
                            {
                                "name": "REDIS_AUTH",
                                "valueFrom": {"secretKeyRef": {"name": STORE_AUTH_SECRET, "key": STORE_USER}},
                            }
                        ]
                    },
                }
            },
        },
    }


def create_store(
    name: str, opts: pulumi.ResourceOptions, controller_namespace: pulumi.Resource, envoy_gateway_namespace: str
) -> RateLimitStore:
    """The store, its two auth Secrets and its namespace; resources named ``<name>-ratelimit-*``."""
    namespace = system_namespaces.create_addon_namespace(
        f"{name}-ratelimit",
        STORE_NAMESPACE,
        opts,
        ingress=[
            {
                "from": [{**system_namespaces.namespace_peer(envoy_gateway_namespace), "podSelector": {
                    "matchLabels": dict(RATELIMIT_POD)}}],
                "ports": system_namespaces.tcp(STORE_PORT),
            }
        ],
    )
    password = random.RandomPassword(
        f"{name}-ratelimit-store-password", length=PASSWORD_LENGTH, special=False, opts=pulumi.ResourceOptions(
            parent=opts.parent)
    ).result
    labels = {**meta.OWNERSHIP_LABELS}

    def secret(suffix: str, secret_name: str, ns: str, depends: pulumi.Resource) -> k8s.core.v1.Secret:
        return k8s.core.v1.Secret(
            f"{name}-{suffix}",
            metadata=meta.metadata(secret_name, ns, labels, {meta.SECRET_KEYS_ANNOTATION: STORE_USER}),
            type="Opaque",
            string_data={STORE_USER: pulumi.Output.secret(password)},
            opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[depends])),
        )

    users = secret("ratelimit-store-users", STORE_USERS_SECRET, STORE_NAMESPACE, namespace)
    auth = secret("ratelimit-store-auth", STORE_AUTH_SECRET, envoy_gateway_namespace, controller_namespace)
    release = k8s.helm.v3.Release(
        f"{name}-ratelimit-store",
        name=STORE_RELEASE,
        **versions.VALKEY.release_args(),
        namespace=STORE_NAMESPACE,
        create_namespace=False,
        values=store_values(),
        opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[namespace, users])),
    )
    return RateLimitStore(namespace=namespace, release=release, auth_secret=auth)


def store_values() -> dict[str, Any]:
    """Values of the Valkey chart: one authenticated, persistent primary behind a ClusterIP Service."""
    return {
        "fullnameOverride": STORE_RELEASE,
        "service": {"type": "ClusterIP", "port": STORE_PORT},
        "auth": {
            "enabled": True,
            "usersExistingSecret": STORE_USERS_SECRET,
            "aclUsers": {STORE_USER: {"permissions": "~* &* +@all", "passwordKey": STORE_USER}},
        },
        "dataStorage": {"enabled": True, "requestedSize": STORE_DISK, "keepPvc": True},
        # One primary on a ReadWriteOnce volume: replace it, never run two.
        "deploymentStrategy": "Recreate",
        "resources": {
            "requests": {"cpu": "100m", "memory": "256Mi"},
            "limits": {"cpu": "1", "memory": "1Gi"},
        },
    }
