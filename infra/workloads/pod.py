"""Pod-spec building blocks shared by the servers and the stager (camelCase dicts, as rendered).

Every pod: non-root UID 2000 / GID 0 (the vLLM image's user), RuntimeDefault seccomp, no
privilege escalation, ALL capabilities dropped, a read-only root filesystem with writable
emptyDirs where the image writes (caches, /tmp), no ServiceAccount token, no service links.
"""

from __future__ import annotations

from typing import Any

from infra.workloads import credentials, image
from infra.workloads.credentials import PlacementSecrets
from infra.workloads.scope import PlacementScope

CACHE_SIZE_LIMIT = "20Gi"
"""torch.compile, Triton and CUDA caches (vLLM's VLLM_CACHE_ROOT lives here)."""
TMP_SIZE_LIMIT = "10Gi"
"""Model config and tokenizer files pulled next to bucket weights; staging scratch."""
WEIGHTS_SECRET_DIR = f"{image.SECRETS_DIR}/weights"
SOURCE_SECRET_DIR = f"{image.SECRETS_DIR}/source"
SECRET_FILE_MODE = 0o440
"""Readable by the owner (root) and group 0, the group the image's user runs in."""


def pod_security_context() -> dict[str, Any]:
    return {
        "runAsNonRoot": True,
        "runAsUser": image.RUN_AS_USER,
        "runAsGroup": image.RUN_AS_GROUP,
        "fsGroup": image.RUN_AS_GROUP,
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def container_security_context() -> dict[str, Any]:
    return {
        "runAsNonRoot": True,
        "runAsUser": image.RUN_AS_USER,
        "runAsGroup": image.RUN_AS_GROUP,
        "allowPrivilegeEscalation": False,
        "privileged": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def resources(cpu: int | str, memory: str, gpus: int = 0) -> dict[str, Any]:
    """Requests equal to limits (Guaranteed QoS); GPUs as nvidia.com/gpu."""
    amounts: dict[str, Any] = {"cpu": str(cpu), "memory": memory}
    if gpus:
        amounts["nvidia.com/gpu"] = str(gpus)
    return {"requests": dict(amounts), "limits": dict(amounts)}


def empty_dir(name: str, size_limit: str, medium: str | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"sizeLimit": size_limit}
    if medium:
        spec["medium"] = medium
    return {"name": name, "emptyDir": spec}


def weight_store_env(scope: PlacementScope, keys: PlacementSecrets) -> list[dict[str, Any]]:
    """Variables boto3, google-cloud-storage and the Run:ai streamer read to reach the store."""
    store = scope.cluster.weights
    env: list[dict[str, Any]] = []
    if store.endpoint:
        env += [
            {"name": "AWS_ENDPOINT_URL", "value": store.endpoint},
            {"name": "AWS_ENDPOINT_URL_S3", "value": store.endpoint},
            {"name": "AWS_REGION", "value": "us-east-1"},  # S3-compatible stores ignore it; SDKs need one
            {"name": "AWS_EC2_METADATA_DISABLED", "value": "true"},
            {"name": "RUNAI_STREAMER_S3_USE_VIRTUAL_ADDRESSING", "value": "0"},
        ]
    if keys.weights_name:
        env.append(
            {"name": "AWS_SHARED_CREDENTIALS_FILE", "value": f"{WEIGHTS_SECRET_DIR}/{credentials.WEIGHTS_CREDENTIALS_KEY}"}
        )
    return env


def weight_store_volumes(
    scope: PlacementScope, keys: PlacementSecrets, *, writable: bool
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(volumes, mounts) for the store's credentials file and, for a PVC store, the claim."""
    volumes: list[dict[str, Any]] = []
    mounts: list[dict[str, Any]] = []
    if keys.weights_name:
        volumes.append(
            {"name": "weights-credentials", "secret": {"secretName": keys.weights_name, "defaultMode": SECRET_FILE_MODE}}
        )
        mounts.append({"name": "weights-credentials", "mountPath": WEIGHTS_SECRET_DIR, "readOnly": True})
    claim = pvc_claim_name(scope)
    if claim:
        volumes.append({"name": "weights", "persistentVolumeClaim": {"claimName": claim, "readOnly": not writable}})
        mounts.append({"name": "weights", "mountPath": image.WEIGHTS_DIR, "readOnly": not writable})
    return volumes, mounts


def pvc_claim_name(scope: PlacementScope) -> str | None:
    uri = scope.cluster.weights.uri
    return uri.removeprefix("pvc://") if uri.startswith("pvc://") else None


def topology_spread(selector: dict[str, str]) -> list[dict[str, Any]]:
    """Spread replicas over zones and nodes; never block scheduling on it (GPU capacity is scarce)."""
    return [
        {
            "maxSkew": 1,
            "topologyKey": key,
            "whenUnsatisfiable": "ScheduleAnyway",
            "labelSelector": {"matchLabels": dict(selector)},
            "nodeAffinityPolicy": "Honor",
            "nodeTaintsPolicy": "Honor",
        }
        for key in ("topology.kubernetes.io/zone", "kubernetes.io/hostname")
    ]
