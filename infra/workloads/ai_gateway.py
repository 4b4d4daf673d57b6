"""Envoy AI Gateway on top of the cluster's Envoy Gateway: token usage from every response.

Why: a token quota must count real usage, and only something that reads the response knows it.
Envoy AI Gateway (versions.AI_GATEWAY) adds an external processor beside each Envoy proxy (a
sidecar its mutating webhook injects): for an AIGatewayRoute it parses the OpenAI request and
response (streams included) and writes the token counts into Envoy's dynamic metadata
(``llmRequestCosts``), which the global rate limit charges (``quotas.py``), and exports them as
Prometheus series ``gen_ai_client_token_usage_*`` with the client id as a label
(METRICS_CLIENT_LABEL, from the header the API-key filter sets), the per-client metering.

What it needs from Envoy Gateway (ENVOY_GATEWAY_CONFIG, the chart values its docs give): the
extension manager hooks pointing at the controller's extension server, and the Backend API.

Hardened: its namespace enforces Pod Security "restricted" (the chart runs non-root, no
capabilities, seccomp RuntimeDefault; read-only root added here), default-deny NetworkPolicies
with explicit allows (Envoy Gateway's controller -> extension server; the API server -> the
webhook; the scraper -> metrics; the controller -> the API server), two replicas with leader
election and a PodDisruptionBudget.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from infra import versions
from infra.workloads import inference_extension, system_namespaces

API_VERSION = "aigateway.envoyproxy.io/v1beta1"
NAMESPACE = "envoy-ai-gateway-system"
CONTROLLER = "ai-gateway-controller"
EXTENSION_PORT = 1063
"""The controller's gRPC extension server (Envoy Gateway calls it while translating xDS)."""
WEBHOOK_PORT = 9443
CONTROLLER_METRICS_PORT = 8080
EXTPROC_ADMIN_PORT = 1064
"""The external processor's admin server in each Envoy pod: ``/metrics`` (gen_ai_* series)."""
METRICS_CLIENT_LABEL = "llm_fleet.client"
"""Metric attribute of the client id; Prometheus shows it as ``llm_fleet_client``."""
PROMETHEUS_CLIENT_LABEL = "llm_fleet_client"

ENVOY_GATEWAY_CONFIG: dict[str, Any] = {
    "extensionApis": {"enableEnvoyPatchPolicy": True, "enableBackend": True},
    "extensionManager": {
        "hooks": {
            "xdsTranslator": {
                "translation": {
                    "listener": {"includeAll": True},
                    "route": {"includeAll": True},
                    "cluster": {"includeAll": True},
                    "secret": {"includeAll": True},
                },
                "post": ["Translation", "Cluster", "Route"],
            }
        },
        "service": {"fqdn": {"hostname": f"{CONTROLLER}.{NAMESPACE}.svc.cluster.local", "port": EXTENSION_PORT}},
        # InferencePool backends (inference-aware routing, inference_extension.py)
        "backendResources": inference_extension.BACKEND_RESOURCES,
    },
}
"""``config.envoyGateway`` additions of the Envoy Gateway chart (AI Gateway's manifests/envoy-gateway-values.yaml)."""


def controller_values(client_header: str) -> dict[str, Any]:
    return {
        "controller": {
            "fullnameOverride": CONTROLLER,
            "replicaCount": 2,
            "leaderElection": {"enabled": True},
            "podDisruptionBudget": {"enabled": True, "minAvailable": 1},
            "metricsRequestHeaderAttributes": f"{client_header}:{METRICS_CLIENT_LABEL}",
            "securityContext": {
                "allowPrivilegeEscalation": False,
                "capabilities": {"drop": ["ALL"]},
                "privileged": False,
                "readOnlyRootFilesystem": True,
                "runAsNonRoot": True,
                "runAsGroup": 65532,
                "runAsUser": 65532,
                "seccompProfile": {"type": "RuntimeDefault"},
            },
        },
        # Prompts and completions never reach the external processor's logs.
        "extProc": {"enableRedaction": True},
    }


def create_ai_gateway(
    name: str,
    opts: pulumi.ResourceOptions,
    envoy_gateway: pulumi.Resource,
    envoy_gateway_namespace: str,
    metrics: str,
    client_header: str,
) -> k8s.helm.v3.Release:
    """Namespace, CRDs and controller; resources named ``<name>-ai-gateway-*``."""
    namespace = system_namespaces.create_addon_namespace(
        f"{name}-ai-gateway",
        NAMESPACE,
        opts,
        ingress=[
            {
                "from": [system_namespaces.namespace_peer(envoy_gateway_namespace)],
                "ports": system_namespaces.tcp(EXTENSION_PORT),
            },
            # the API server calls the pod-mutating webhook
            {"from": system_namespaces.anywhere(), "ports": system_namespaces.tcp(WEBHOOK_PORT)},
            {"from": [system_namespaces.scraper(metrics)], "ports": system_namespaces.tcp(CONTROLLER_METRICS_PORT)},
        ],
        egress=[system_namespaces.api_server_egress()],
    )

    def merged(*depends: pulumi.Resource) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=list(depends)))

    crds = k8s.helm.v3.Release(
        f"{name}-ai-gateway-crds",
        name="ai-gateway-crds",
        **versions.AI_GATEWAY_CRDS.release_args(),
        namespace=NAMESPACE,
        create_namespace=False,
        opts=merged(namespace, envoy_gateway),
    )
    return k8s.helm.v3.Release(
        f"{name}-ai-gateway",
        name="ai-gateway",
        **versions.AI_GATEWAY.release_args(),
        namespace=NAMESPACE,
        create_namespace=False,
        values=controller_values(client_header),
        opts=merged(namespace, crds, envoy_gateway),
    )
