"""The model servers: a Deployment (or a LeaderWorkerSet when one server spans nodes), its
Service and its PodDisruptionBudget.

Rollouts never drop below serving capacity: a new server starts (maxSurge 1) and must pass
its probes before an old one stops (maxUnavailable 0). Stopping drains: preStop sleep, then the
launcher's drain (serving.supervisor: new requests 503, in-flight ones get the spec's
shutdownTimeout, then end with an error), inside terminationGracePeriodSeconds.

The API key Secret is mounted read-only as a file (the spec's ``apiKeyFile``), never mapped
into the environment. In a group, the leader runs the Ray head and vLLM (HTTP probes on
/health); a worker runs only ``ray start --block`` (serving.launch) and is probed on its
raylet's fixed TCP port; it gets no API key.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from infra import naming
from infra.workloads import image, meta, pod
from infra.workloads.credentials import PlacementSecrets
from infra.workloads.scope import PlacementScope
from infra.workloads.sizing import (
    LIVENESS_FAILURE_THRESHOLD,
    LIVENESS_PERIOD_S,
    LIVENESS_TIMEOUT_S,
    READINESS_FAILURE_THRESHOLD,
    READINESS_PERIOD_S,
    READINESS_TIMEOUT_S,
    STARTUP_PERIOD_S,
)

HEALTH_PATH = "/health"
PORT_NAME = "http"
ROLE_LABEL = f"{meta.DOMAIN}/role"
LWS_API_VERSION = "leaderworkerset.x-k8s.io/v1"
WAIT_RESOURCES = pod.resources("250m", "512Mi")
"""The init container only lists a bucket prefix."""
ROLLOUT_MARGIN_S = 300

GROUP_ROLE_ENV = image.GROUP_ROLE_ENV
GROUP_SIZE_ENV = image.GROUP_SIZE_ENV
"""In a LeaderWorkerSet group: ``leader`` or ``worker``, and the pods per group. The LWS
controller adds LWS_LEADER_ADDRESS, LWS_GROUP_SIZE and LWS_WORKER_INDEX to every container."""
RAY_GCS_PORT_NAME = "ray-gcs"
RAYLET_PORT_NAME = "raylet"
API_KEY_VOLUME = "api-key"

SERVER_CHECKOV_SKIPS = {
    "CKV_K8S_40": "the vLLM image's user is UID 2000 (GID 0) and owns HOME and the caches; "
    "runAsNonRoot is enforced and no host paths are mounted",
}


@dataclass(frozen=True)
class ServerObjects:
    workload: pulumi.CustomResource
    """The Deployment, or the LeaderWorkerSet custom resource."""
    kind: str
    """``Deployment`` or ``LeaderWorkerSet``."""
    api_version: str
    service: k8s.core.v1.Service
    pdb: k8s.policy.v1.PodDisruptionBudget
    labels: dict[str, str]
    """Selector labels of every server pod."""


def create_server(
    scope: PlacementScope,
    namespace: k8s.core.v1.Namespace,
    service_account: k8s.core.v1.ServiceAccount,
    config_map: k8s.core.v1.ConfigMap,
    config_map_name: str,
    spec_hash: str,
    keys: PlacementSecrets,
    *,
    replicas: int | None,
    depends_on: list[pulumi.Resource],
) -> ServerObjects:
    """``replicas=None`` leaves the count to an autoscaler (server-side apply never fights it)."""
    deps = [namespace, service_account, config_map, keys.api_key, *depends_on]
    selector = scope.selector(meta.SERVER)
    annotations = {
        **meta.checkov_skips(SERVER_CHECKOV_SKIPS),
        meta.PULUMI_TIMEOUT: str(scope.shape.staging_budget_s + scope.shape.startup_budget_s + ROLLOUT_MARGIN_S),
    }
    metadata = meta.metadata(scope.server_name, scope.namespace, scope.labels(meta.SERVER), annotations)
    if scope.shape.multi_node:
        leader = pod_template(scope, config_map_name, spec_hash, keys, role="leader")
        worker = pod_template(scope, config_map_name, spec_hash, keys, role="worker")
        spec: dict[str, Any] = {
            "startupPolicy": "LeaderCreated",
            "rolloutStrategy": {
                "type": "RollingUpdate",
                "rollingUpdateConfiguration": {"maxUnavailable": 0, "maxSurge": 1},
            },
            "leaderWorkerTemplate": {
                "size": scope.shape.nodes,
                "restartPolicy": "RecreateGroupOnPodRestart",
                "leaderTemplate": leader,
                "workerTemplate": worker,
            },
            "networkConfig": {"subdomainPolicy": "Shared"},
        }
        if replicas is not None:
            spec["replicas"] = replicas
        workload: pulumi.CustomResource = k8s.apiextensions.CustomResource(
            f"{scope.name}-server",
            api_version=LWS_API_VERSION,
            kind="LeaderWorkerSet",
            metadata=metadata,
            spec=spec,
            opts=scope.child(depends_on=deps),
        )
        kind, api_version = "LeaderWorkerSet", LWS_API_VERSION
        service_selector = {**selector, ROLE_LABEL: "leader"}
    else:
        deployment_spec: dict[str, Any] = {
            "selector": {"matchLabels": selector},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}},
            "revisionHistoryLimit": 5,
            "progressDeadlineSeconds": scope.shape.staging_budget_s + scope.shape.startup_budget_s,
            "template": pod_template(scope, config_map_name, spec_hash, keys, role="server"),
        }
        if replicas is not None:
            deployment_spec["replicas"] = replicas
        workload = k8s.apps.v1.Deployment(
            f"{scope.name}-server", metadata=metadata, spec=deployment_spec, opts=scope.child(depends_on=deps)
        )
        kind, api_version = "Deployment", "apps/v1"
        service_selector = selector

    service = k8s.core.v1.Service(
        f"{scope.name}-service",
        metadata=meta.metadata(scope.server_name, scope.namespace, scope.labels(meta.SERVER)),
        spec={
            "type": "ClusterIP",
            "selector": service_selector,
            "ports": [
                {
                    "name": PORT_NAME,
                    "port": naming.SERVER_PORT,
                    "targetPort": PORT_NAME,
                    "protocol": "TCP",
                    "appProtocol": "http",
                }
            ],
        },
        opts=scope.child(depends_on=[namespace]),
    )
    pdb = k8s.policy.v1.PodDisruptionBudget(
        f"{scope.name}-pdb",
        metadata=meta.metadata(scope.server_name, scope.namespace, scope.labels(meta.SERVER)),
        spec={"maxUnavailable": 1, "selector": {"matchLabels": selector}},
        opts=scope.child(depends_on=[namespace]),
    )
    return ServerObjects(
        workload=workload, kind=kind, api_version=api_version, service=service, pdb=pdb, labels=selector
    )


def pod_template(
    scope: PlacementScope, config_map_name: str, spec_hash: str, keys: PlacementSecrets, *, role: str
) -> dict[str, Any]:
    """Pod template of a server (``role`` server), or of a group's leader or worker."""
    shape = scope.shape
    pool = scope.pool
    labels = {**scope.labels(meta.SERVER), ROLE_LABEL: role}
    store_volumes, store_mounts = pod.weight_store_volumes(scope, keys, writable=False)
    serves = role != "worker"  # the server and a group's leader run vLLM; a worker runs only Ray
    env = [
        {"name": image.SPEC_ENV, "value": image.SPEC_PATH},
        {"name": image.CACHE_ROOT_ENV, "value": image.CACHE_ROOT},
        *pod.weight_store_env(scope, keys),
    ]
    ports: list[dict[str, Any]] = []
    if serves:
        ports.append({"name": PORT_NAME, "containerPort": naming.SERVER_PORT, "protocol": "TCP"})
    if role in ("leader", "worker"):
        env += [
            {"name": GROUP_ROLE_ENV, "value": role},
            {"name": GROUP_SIZE_ENV, "value": str(shape.nodes)},
        ]
        if role == "leader":
            ports.append({"name": RAY_GCS_PORT_NAME, "containerPort": image.RAY_PORT, "protocol": "TCP"})
        ports.append({"name": RAYLET_PORT_NAME, "containerPort": image.RAY_NODE_MANAGER_PORT, "protocol": "TCP"})
    mounts = [
        {"name": "serving-spec", "mountPath": image.SPEC_DIR, "readOnly": True},
        {"name": "cache", "mountPath": image.CACHE_ROOT},
        {"name": "tmp", "mountPath": image.TMP_DIR},
        {"name": "shm", "mountPath": image.SHM_DIR},
        *store_mounts,
    ]
    key_volumes: list[dict[str, Any]] = []
    if serves:
        mounts.append({"name": API_KEY_VOLUME, "mountPath": image.API_KEY_DIR, "readOnly": True})
        key_volumes.append(api_key_volume(keys))
    container: dict[str, Any] = {
        "name": "server",
        "image": scope.cluster.image,
        "imagePullPolicy": "IfNotPresent",
        "env": env,
        "ports": ports,
        "resources": pod.resources(shape.cpu_per_pod, f"{shape.memory_gib_per_pod}Gi", shape.gpus_per_pod),
        "securityContext": pod.container_security_context(),
        "lifecycle": {"preStop": {"sleep": {"seconds": shape.drain.pre_stop_sleep_s}}},
        "volumeMounts": mounts,
    }
    if serves:
        container.update(probes(shape.startup_failure_threshold))
    else:
        container.update(probes(shape.startup_failure_threshold, tcp_port=RAYLET_PORT_NAME))
    wait = {
        "name": "wait-for-weights",
        "image": scope.cluster.image,
        "imagePullPolicy": "IfNotPresent",
        "command": image.wait_for_weights_command(scope.model, scope.cluster.weights, shape.staging_budget_s),
        "env": [
            {"name": "HOME", "value": image.TMP_DIR},
            *pod.weight_store_env(scope, keys),
        ],
        "resources": WAIT_RESOURCES,
        "securityContext": pod.container_security_context(),
        "volumeMounts": [{"name": "tmp", "mountPath": image.TMP_DIR}, *store_mounts],
    }
    spec: dict[str, Any] = {
        "serviceAccountName": naming.server_service_account(scope.model.name),
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,
        "terminationGracePeriodSeconds": shape.drain.grace_period_s,
        "securityContext": pod.pod_security_context(),
        "nodeSelector": dict(pool.node_selector),
        "tolerations": [dict(t) for t in pool.tolerations],
        "topologySpreadConstraints": pod.topology_spread(scope.selector(meta.SERVER)),
        "initContainers": [wait],
        "containers": [container],
        "volumes": [
            {
                "name": "serving-spec",
                "configMap": {
                    "name": config_map_name,
                    "items": [{"key": image.SPEC_FILE, "path": image.SPEC_FILE}],
                    "defaultMode": 0o444,
                },
            },
            pod.empty_dir("cache", pod.CACHE_SIZE_LIMIT),
            pod.empty_dir("tmp", pod.TMP_SIZE_LIMIT),
            pod.empty_dir("shm", f"{shape.shm_gib}Gi", medium="Memory"),
            *store_volumes,
            *key_volumes,
        ],
    }
    annotations = {meta.SPEC_HASH_ANNOTATION: spec_hash, "kubectl.kubernetes.io/default-container": "server"}
    if role in ("leader", "worker"):
        # Checkov cannot see into custom resources; the tests check these templates as Pods.
        annotations.update(meta.checkov_skips(SERVER_CHECKOV_SKIPS))
    return {"metadata": {"labels": labels, "annotations": annotations}, "spec": spec}


def api_key_volume(keys: PlacementSecrets) -> dict[str, Any]:
    """The API key Secret as one read-only file, ``image.API_KEY_FILE`` (group 0 reads it: fsGroup 0)."""
    return {
        "name": API_KEY_VOLUME,
        "secret": {
            "secretName": keys.api_key_name,
            "items": [{"key": keys.api_key_item, "path": image.API_KEY_FILE}],
            "defaultMode": pod.SECRET_FILE_MODE,
        },
    }


def probes(startup_failure_threshold: int, *, tcp_port: str | None = None) -> dict[str, Any]:
    """Startup (budget for loading), readiness (every 5 s) and liveness; no initial delay.

    On vLLM's /health, or (``tcp_port``) a TCP check of a named port: a group worker's raylet.
    """
    get: dict[str, Any] = (
        {"tcpSocket": {"port": tcp_port}} if tcp_port else {"httpGet": {"path": HEALTH_PATH, "port": PORT_NAME}}
    )
    return {
        "startupProbe": {
            **get,
            "periodSeconds": STARTUP_PERIOD_S,
            "timeoutSeconds": 5,
            "failureThreshold": startup_failure_threshold,
        },
        "readinessProbe": {
            **get,
            "periodSeconds": READINESS_PERIOD_S,
            "timeoutSeconds": READINESS_TIMEOUT_S,
            "failureThreshold": READINESS_FAILURE_THRESHOLD,
        },
        "livenessProbe": {
            **get,
            "periodSeconds": LIVENESS_PERIOD_S,
            "timeoutSeconds": LIVENESS_TIMEOUT_S,
            "failureThreshold": LIVENESS_FAILURE_THRESHOLD,
        },
    }
