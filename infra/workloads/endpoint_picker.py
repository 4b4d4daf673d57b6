"""llm-d's endpoint picker (EPP) for one model placement: which server answers each request.

Envoy (the cluster's gateway) calls the picker over gRPC ext_proc for every request to the
model's InferencePool (inference_pool.py); the picker scrapes every server's /metrics and answers
with the pod to use. Configuration (EndpointPickerConfig): llm-d's documented default profile
(the llm-d-router chart's ``default-plugins.yaml`` at versions.LLM_D_ROUTER):

* ``queue-scorer`` (weight 2): fewer waiting requests (vllm:num_requests_waiting) scores higher;
* ``kv-cache-utilization-scorer`` (weight 2): a fuller KV cache (vllm:kv_cache_usage_perc) lower;
* ``prefix-cache-scorer`` (weight 3): approximate prefix affinity: the picker remembers which
  server got which prompt prefix (no KV events from vLLM needed; vLLM's prefix caching does the
  reuse);
* ``metrics-data-source`` + ``core-metrics-extractor``: scrape and read the vLLM metrics
  (serving/catalog/endpoint_picker_metrics.json lists them for the real-server test).

Picker replicas: one in dev, two in prod with leader election (``--ha-enable-leader-election``):
only the leader is Ready, so the Service sends every call to one replica and the approximate
prefix state stays in one place (active-active splits it: llm-d-router #1946); the standby takes
over when the lease expires. The pool fails open (inference_pool.py) for that gap.

Hardened like the rest of the namespace: Pod Security "restricted", non-root, read-only root,
no automatic token (a projected, expiring token is mounted explicitly: the picker watches pods
and its InferencePool), least-privilege Role, NetworkPolicies (in: the gateway's proxies on the
ext_proc port, the scraper on metrics, the kubelet's gRPC probes need none; out: the pool's
servers on their port, the API server, DNS), a PodDisruptionBudget, a PodMonitor.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import yaml

from infra import naming, versions
from infra.workloads import gateway, inference_extension, meta, pod
from infra.workloads.context import OPERATIONS_KEY
from infra.workloads.peers import METRICS_SCRAPERS
from infra.workloads.scope import PlacementScope

COMPONENT = "endpoint-picker"
GRPC_PORT = inference_extension.EXT_PROC_PORT
HEALTH_PORT = 9003
METRICS_PORT = 9090
API_SERVER_PORTS = (443, 6443)
CONFIG_DIR = "/config"
CONFIG_FILE = "epp-config.yaml"
TOKEN_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"  # noqa: S105 - a mount path, not a secret
TOKEN_EXPIRATION_S = 3600
RUN_AS = 65532
"""The image's user (Dockerfile.epp: ``USER 65532:65532``)."""
HA_REPLICAS = 2
PLUGIN_TABLE = Path(__file__).with_name("endpoint_picker_plugins.json")
CONFIG_API_VERSION = "llm-d.ai/v1alpha1"
CONFIG_KIND = "EndpointPickerConfig"

SCORERS: tuple[tuple[str, float], ...] = (
    ("queue-scorer", 2),
    ("kv-cache-utilization-scorer", 2),
    ("prefix-cache-scorer", 3),
)
"""llm-d's default profile: (scorer type, weight). Queue depth, KV-cache use, prefix affinity."""


def picker_name(model: str) -> str:
    return f"{model}-epp"


def replicas(scope: PlacementScope) -> int:
    return HA_REPLICAS if scope.cluster.stack.environment == "prod" else 1


def image(scope: PlacementScope) -> pulumi.Output[str]:
    """The picker mirrored into the target's serving-image repository, addressed by digest only
    (the stack's registries are the only ones workloads may pull from: SUPPLY-01)."""
    return pulumi.Output.from_input(scope.cluster.image).apply(
        lambda ref: f"{ref.split('@', 1)[0]}@{versions.ENDPOINT_PICKER_DIGEST}"
    )


def picker_config() -> dict[str, Any]:
    """The EndpointPickerConfig every placement's picker runs."""
    return {
        "apiVersion": CONFIG_API_VERSION,
        "kind": CONFIG_KIND,
        "plugins": [
            *({"type": scorer} for scorer, _ in SCORERS),
            {"type": "max-score-picker"},
            {"type": "single-profile-handler"},
            {"type": "metrics-data-source", "parameters": {"scheme": "http", "path": "/metrics"}},
            {"type": "core-metrics-extractor"},
        ],
        "schedulingProfiles": [
            {
                "name": "default",
                "plugins": [
                    *({"pluginRef": scorer, "weight": weight} for scorer, weight in SCORERS),
                    {"pluginRef": "max-score-picker"},
                ],
            }
        ],
    }


# -- validation against the picker's documented schema and plugin registry -------------------

CONFIG_FIELDS = {
    "apiVersion", "kind", "featureGates", "plugins", "schedulingProfiles", "dataLayer", "flowControl",
    "requestHandler", "saturationDetector", "parser",
}  # fmt: skip
"""EndpointPickerConfig's fields (apix/config/v1alpha1/endpointpickerconfig_types.go, vendored)."""
PLUGIN_FIELDS = {"name", "type", "parameters"}
PROFILE_FIELDS = {"name", "plugins"}
PROFILE_PLUGIN_FIELDS = {"pluginRef", "weight"}


@cache
def known_plugins() -> dict[str, dict[str, str]]:
    """Plugin type -> {stability, package}: what the pinned picker registers (runner.go)."""
    return json.loads(PLUGIN_TABLE.read_text(encoding="utf-8"))["plugins"]


def config_errors(config: dict[str, Any], *, allow_experimental: bool = False) -> list[str]:
    """Everything the picker would reject or silently ignore in ``config``; empty when valid."""
    errors: list[str] = []
    if config.get("apiVersion") != CONFIG_API_VERSION or config.get("kind") != CONFIG_KIND:
        errors.append(f"apiVersion/kind must be {CONFIG_API_VERSION} {CONFIG_KIND}")
    errors += [f"unknown field {k!r}" for k in sorted(set(config) - CONFIG_FIELDS)]
    names: set[str] = set()
    for i, plugin in enumerate(config.get("plugins") or []):
        errors += [f"plugins[{i}]: unknown field {k!r}" for k in sorted(set(plugin) - PLUGIN_FIELDS)]
        kind = plugin.get("type")
        info = known_plugins().get(kind or "")
        if info is None:
            errors.append(f"plugins[{i}]: unknown plugin type {kind!r}")
        elif info["stability"] == "alpha" and not allow_experimental:
            errors.append(f"plugins[{i}]: {kind} is alpha (needs --allow-experimental-plugins)")
        name = plugin.get("name") or kind
        if name in names:
            errors.append(f"plugins[{i}]: duplicate plugin name {name!r}")
        names.add(name)
    profiles = config.get("schedulingProfiles") or []
    if not profiles:
        errors.append("schedulingProfiles: at least one profile is required")
    for i, profile in enumerate(profiles):
        errors += [f"schedulingProfiles[{i}]: unknown field {k!r}" for k in sorted(set(profile) - PROFILE_FIELDS)]
        for j, ref in enumerate(profile.get("plugins") or []):
            where = f"schedulingProfiles[{i}].plugins[{j}]"
            errors += [f"{where}: unknown field {k!r}" for k in sorted(set(ref) - PROFILE_PLUGIN_FIELDS)]
            if ref.get("pluginRef") not in names:
                errors.append(f"{where}: pluginRef {ref.get('pluginRef')!r} names no plugin")
            weight = ref.get("weight")
            if weight is not None and (not isinstance(weight, int | float) or weight < 0):
                errors.append(f"{where}: weight {weight!r} must be a number >= 0")
    return errors


def scorer_weights(config: dict[str, Any]) -> dict[str, float]:
    """Scorer type -> weight in the default profile (what the policy rules and report read)."""
    types = {p.get("name") or p["type"]: p["type"] for p in config.get("plugins") or []}
    out: dict[str, float] = {}
    for profile in config.get("schedulingProfiles") or []:
        for ref in profile.get("plugins") or []:
            kind = types.get(ref.get("pluginRef"), "")
            if kind.endswith("-scorer"):
                out[kind] = float(ref.get("weight", 1) or 0)
    return out


# -- objects --------------------------------------------------------------------------------


@dataclass(frozen=True)
class EndpointPicker:
    name: str
    service: k8s.core.v1.Service
    deployment: k8s.apps.v1.Deployment
    config: dict[str, Any]


def args(scope: PlacementScope, pool_name: str, ha: bool) -> list[str]:
    out = [
        "--pool-name", pool_name,
        "--pool-namespace", scope.namespace,
        "--pool-group", inference_extension.API_GROUP,
        "--config-file", f"{CONFIG_DIR}/{CONFIG_FILE}",
        "--grpc-port", str(GRPC_PORT),
        "--grpc-health-port", str(HEALTH_PORT),
        "--metrics-port", str(METRICS_PORT),
        # /metrics is reachable only from the scraper (NetworkPolicy); no TokenReview RBAC needed.
        "--metrics-endpoint-auth=false",
        "--tracing=false",
        "--zap-encoder", "json",
    ]  # fmt: skip
    if ha:
        out.append("--ha-enable-leader-election")
    return out


def _grpc_probe(service: str, period: int) -> dict[str, Any]:
    return {"grpc": {"port": HEALTH_PORT, "service": service}, "periodSeconds": period, "initialDelaySeconds": 5}


def pod_spec(scope: PlacementScope, pool_name: str, config_map: str, ha: bool) -> dict[str, Any]:
    name = picker_name(scope.model.name)
    # With leader election only the leader reports ready ("readiness"); liveness stays per replica.
    health = ("liveness", "readiness") if ha else ("inference-extension", "inference-extension")
    return {
        "serviceAccountName": name,
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,
        "terminationGracePeriodSeconds": 130,
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": RUN_AS,
            "runAsGroup": RUN_AS,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "topologySpreadConstraints": pod.topology_spread(scope.selector(COMPONENT)),
        "containers": [
            {
                "name": "epp",
                "image": image(scope),
                "imagePullPolicy": "IfNotPresent",
                "args": args(scope, pool_name, ha),
                "ports": [
                    {"name": "grpc", "containerPort": GRPC_PORT, "protocol": "TCP"},
                    {"name": "grpc-health", "containerPort": HEALTH_PORT, "protocol": "TCP"},
                    {"name": "metrics", "containerPort": METRICS_PORT, "protocol": "TCP"},
                ],
                "env": [
                    {"name": "NAMESPACE", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
                    {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
                ],
                "livenessProbe": _grpc_probe(health[0], 10),
                "readinessProbe": _grpc_probe(health[1], 2),
                "resources": pod.resources(2, "2Gi"),
                "securityContext": {
                    "runAsNonRoot": True,
                    "runAsUser": RUN_AS,
                    "runAsGroup": RUN_AS,
                    "allowPrivilegeEscalation": False,
                    "privileged": False,
                    "readOnlyRootFilesystem": True,
                    "capabilities": {"drop": ["ALL"]},
                    "seccompProfile": {"type": "RuntimeDefault"},
                },
                "volumeMounts": [
                    {"name": "config", "mountPath": CONFIG_DIR, "readOnly": True},
                    {"name": "api-token", "mountPath": TOKEN_DIR, "readOnly": True},
                    {"name": "tmp", "mountPath": "/tmp"},  # noqa: S108 - emptyDir over the read-only root
                ],
            }
        ],
        "volumes": [
            {"name": "config", "configMap": {"name": config_map}},
            # The API token, explicitly: bounded lifetime, the cluster CA and the namespace
            # (what client-go's in-cluster config reads), instead of the automatic mount.
            {
                "name": "api-token",
                "projected": {
                    "defaultMode": 0o444,
                    "sources": [
                        {"serviceAccountToken": {"path": "token", "expirationSeconds": TOKEN_EXPIRATION_S}},
                        {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
                        {
                            "downwardAPI": {
                                "items": [{"path": "namespace", "fieldRef": {"fieldPath": "metadata.namespace"}}]
                            }
                        },
                    ],
                },
            },
            pod.empty_dir("tmp", "64Mi"),
        ],
    }


def rbac_rules(ha: bool) -> list[dict[str, Any]]:
    """Least privilege: read pods and its InferencePool; leases (and events) only for leader election."""
    rules: list[dict[str, Any]] = [
        {"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list", "watch"]},
        {
            "apiGroups": [inference_extension.API_GROUP],
            "resources": ["inferencepools"],
            "verbs": ["get", "list", "watch"],
        },
    ]
    if ha:
        rules += [
            {
                "apiGroups": ["coordination.k8s.io"],
                "resources": ["leases"],
                "verbs": ["get", "list", "watch", "create", "update", "patch", "delete"],
            },
            {"apiGroups": [""], "resources": ["events"], "verbs": ["create", "patch"]},
        ]
    return rules


def network_policies(scope: PlacementScope, server_selector: dict[str, str]) -> list[tuple[str, dict[str, Any]]]:
    """(suffix, spec): the picker's own allows, and the servers' allow for its scrapes."""
    picker = scope.selector(COMPONENT)
    external = [{"ipBlock": {"cidr": c}} for c in scope.cluster.extra.get("metrics_scraper_cidrs", [])]
    tcp = lambda *ports: [{"protocol": "TCP", "port": p} for p in ports]  # noqa: E731
    return [
        (
            "picker",
            {
                "podSelector": {"matchLabels": picker},
                "policyTypes": ["Ingress", "Egress"],
                "ingress": [
                    {"from": [gateway.proxy_peer(scope.cluster.gateway)], "ports": tcp(GRPC_PORT)},
                    {"from": [METRICS_SCRAPERS[scope.cluster.metrics], *external], "ports": tcp(METRICS_PORT)},
                ],
                "egress": [
                    {"to": [{"podSelector": {"matchLabels": dict(server_selector)}}], "ports": tcp(naming.SERVER_PORT)},
                    {
                        "to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["169.254.0.0/16"]}}],
                        "ports": tcp(*API_SERVER_PORTS),
                    },
                ],
            },
        ),
        (
            "server-from-picker",
            {
                "podSelector": {"matchLabels": dict(server_selector)},
                "policyTypes": ["Ingress"],
                "ingress": [{"from": [{"podSelector": {"matchLabels": picker}}], "ports": tcp(naming.SERVER_PORT)}],
            },
        ),
    ]


def create_endpoint_picker(
    scope: PlacementScope,
    namespace: k8s.core.v1.Namespace,
    pool_name: str,
    server_selector: dict[str, str],
    depends_on: list[pulumi.Resource],
) -> EndpointPicker:
    model = scope.model.name
    name = picker_name(model)
    labels = scope.labels(COMPONENT)
    selector = scope.selector(COMPONENT)
    count = replicas(scope)
    ha = count > 1
    config = picker_config()
    errors = config_errors(config)
    if errors:  # a programming error, caught by the tests long before a deploy
        raise ValueError(f"endpoint picker config: {'; '.join(errors)}")

    def opts(*extra: pulumi.Resource) -> pulumi.ResourceOptions:
        return scope.child(depends_on=[namespace, *extra])

    def md(object_name: str = name) -> dict[str, Any]:
        return meta.metadata(object_name, scope.namespace, labels)

    account = k8s.core.v1.ServiceAccount(
        f"{scope.name}-epp-sa", metadata=md(), automount_service_account_token=False, opts=opts()
    )
    role = k8s.rbac.v1.Role(f"{scope.name}-epp-role", metadata=md(), rules=rbac_rules(ha), opts=opts())
    binding = k8s.rbac.v1.RoleBinding(
        f"{scope.name}-epp-binding",
        metadata=md(),
        role_ref={"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name},
        subjects=[{"kind": "ServiceAccount", "name": name, "namespace": scope.namespace}],
        opts=opts(role, account),
    )
    config_map = k8s.core.v1.ConfigMap(
        f"{scope.name}-epp-config",
        metadata=md(),
        data={CONFIG_FILE: yaml.safe_dump(config, sort_keys=False)},
        opts=opts(),
    )
    for suffix, spec in network_policies(scope, server_selector):
        k8s.networking.v1.NetworkPolicy(
            f"{scope.name}-netpol-epp-{suffix}",
            metadata=md(f"{model}-epp-{suffix}" if suffix != "picker" else name),
            spec=spec,
            opts=opts(),
        )
    deployment = k8s.apps.v1.Deployment(
        f"{scope.name}-epp",
        metadata=md(),
        spec={
            "replicas": count,
            "selector": {"matchLabels": selector},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}},
            "revisionHistoryLimit": 5,
            "template": {
                "metadata": {"labels": labels},
                "spec": pod_spec(scope, pool_name, name, ha),
            },
        },
        opts=opts(account, binding, config_map, *depends_on),
    )
    service = k8s.core.v1.Service(
        f"{scope.name}-epp-service",
        metadata=md(),
        spec={
            "type": "ClusterIP",
            "selector": selector,
            "ports": [
                {"name": "grpc", "port": GRPC_PORT, "targetPort": GRPC_PORT, "protocol": "TCP", "appProtocol": "http2"}
            ],
        },
        opts=opts(),
    )
    k8s.policy.v1.PodDisruptionBudget(
        f"{scope.name}-epp-pdb",
        metadata=md(),
        spec={"maxUnavailable": 1, "selector": {"matchLabels": selector}},
        opts=opts(),
    )
    # The scrape object is a custom resource of the cluster's metrics stack: it waits for what
    # installs its CRD (kube-prometheus-stack's release), as the placement's own monitors do.
    operations = scope.cluster.extra.get(OPERATIONS_KEY)
    _create_pod_monitor(scope, name, selector, opts(*depends_on, *getattr(operations, "dependencies", [])))
    return EndpointPicker(name=name, service=service, deployment=deployment, config=config)


def _create_pod_monitor(
    scope: PlacementScope, name: str, selector: dict[str, str], opts: pulumi.ResourceOptions
) -> None:
    endpoint = {"port": "metrics", "path": "/metrics", "interval": "30s"}
    if scope.cluster.metrics == "gmp":
        api_version, kind, spec = (
            "monitoring.googleapis.com/v1",
            "PodMonitoring",
            {"selector": {"matchLabels": selector}, "endpoints": [endpoint]},
        )
    else:
        api_version, kind, spec = (
            "monitoring.coreos.com/v1",
            "PodMonitor",
            {"selector": {"matchLabels": selector}, "podMetricsEndpoints": [endpoint]},
        )
    k8s.apiextensions.CustomResource(
        f"{scope.name}-epp-scrape",
        api_version=api_version,
        kind=kind,
        metadata=meta.metadata(name, scope.namespace, scope.labels(COMPONENT)),
        spec=spec,
        opts=opts,
    )
