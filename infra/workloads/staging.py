"""The staging Job: the serving image's staging command copies the model at its pinned revision
into the target's weight store and writes the sha256 manifest.

Idempotent: a rerun with the manifest in place and matching is a no-op (serving.stage).
The Job's name carries the revision, so a new revision is a new Job and an unchanged one is
left alone. Pulumi does not wait for it (a first copy can take an hour): the servers' init
container waits for the manifest instead, and the launcher refuses unverified weights.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from infra import naming
from infra.workloads import credentials, image, meta, pod
from infra.workloads.credentials import PlacementSecrets
from infra.workloads.scope import PlacementScope

STAGER_CPU = 4
STAGER_MEMORY = "8Gi"
SCRATCH_SIZE_LIMIT = "100Gi"
"""Files in flight (4 parallel files of up to ~20 GB each) on the node's ephemeral storage."""
BACKOFF_LIMIT = 6

STAGER_CHECKOV_SKIPS = {
    "CKV_K8S_40": "the serving image's user is UID 2000 (GID 0); runAsNonRoot is enforced",
}


def job_name(scope: PlacementScope) -> str:
    return f"{scope.model.name}-stage-{scope.model.source.revision[:12]}"


def create_weights_claim(scope: PlacementScope, namespace: k8s.core.v1.Namespace) -> k8s.core.v1.PersistentVolumeClaim | None:
    """The weights PVC of an on-prem ``weights.kind: pvc`` store (ReadWriteMany: every server mounts it)."""
    claim = pod.pvc_claim_name(scope)
    if claim is None:
        return None
    store = getattr(scope.cluster.target, "weights", None)
    spec: dict[str, Any] = {
        "accessModes": ["ReadWriteMany"],
        "resources": {"requests": {"storage": f"{store.size_gib if store else 500}Gi"}},
    }
    if store is not None and store.storage_class:
        spec["storageClassName"] = store.storage_class
    return k8s.core.v1.PersistentVolumeClaim(
        f"{scope.name}-weights",
        metadata=meta.metadata(claim, scope.namespace, scope.labels(meta.STAGER)),
        spec=spec,
        opts=scope.child(depends_on=[namespace], protect=True),
    )


def create_staging_job(
    scope: PlacementScope,
    namespace: k8s.core.v1.Namespace,
    service_account: k8s.core.v1.ServiceAccount,
    keys: PlacementSecrets,
    depends_on: list[pulumi.Resource],
) -> k8s.batch.v1.Job:
    shape = scope.shape
    store_volumes, store_mounts = pod.weight_store_volumes(scope, keys, writable=True)
    volumes = [
        pod.empty_dir("cache", pod.CACHE_SIZE_LIMIT),
        pod.empty_dir("tmp", SCRATCH_SIZE_LIMIT),
        *store_volumes,
    ]
    mounts = [
        {"name": "cache", "mountPath": image.CACHE_ROOT},
        {"name": "tmp", "mountPath": image.TMP_DIR},
        *store_mounts,
    ]
    env: list[dict[str, Any]] = [
        {"name": "HOME", "value": image.CACHE_ROOT},
        {"name": "HF_HOME", "value": f"{image.CACHE_ROOT}/huggingface"},
        {"name": "HF_HUB_OFFLINE", "value": "0"},  # the image defaults to offline; staging downloads
        {"name": "HF_HUB_DISABLE_TELEMETRY", "value": "1"},
        *pod.weight_store_env(scope, keys),
    ]
    if keys.source_token_name:
        volumes.append(
            {
                "name": "source-token",
                "secret": {"secretName": keys.source_token_name, "defaultMode": pod.SECRET_FILE_MODE},
            }
        )
        mounts.append({"name": "source-token", "mountPath": pod.SOURCE_SECRET_DIR, "readOnly": True})
        env.append({"name": "HF_TOKEN_PATH", "value": f"{pod.SOURCE_SECRET_DIR}/{credentials.SOURCE_TOKEN_KEY}"})
    container = {
        "name": "stage",
        "image": scope.cluster.image,
        "imagePullPolicy": "IfNotPresent",
        "args": image.stage_args(
            scope.model,
            scope.cluster.weights,
            list(scope.cluster.stack.policy.allowed_model_sources),
            scratch_dir=image.TMP_DIR,
        ),
        "env": env,
        "resources": pod.resources(STAGER_CPU, STAGER_MEMORY),
        "securityContext": pod.container_security_context(),
        "volumeMounts": mounts,
    }
    deps = [namespace, service_account, *depends_on]
    if keys.source_token is not None:
        deps.append(keys.source_token)
    if keys.weights is not None:
        deps.append(keys.weights)
    return k8s.batch.v1.Job(
        f"{scope.name}-stage",
        metadata=meta.metadata(
            job_name(scope),
            scope.namespace,
            scope.labels(meta.STAGER),
            {**meta.checkov_skips(STAGER_CHECKOV_SKIPS), meta.PULUMI_SKIP_AWAIT: "true"},
        ),
        spec={
            "backoffLimit": BACKOFF_LIMIT,
            "activeDeadlineSeconds": shape.staging_budget_s * 2,
            "template": {
                "metadata": {"labels": scope.labels(meta.STAGER)},
                "spec": {
                    "serviceAccountName": naming.stager_service_account(scope.model.name),
                    "automountServiceAccountToken": False,
                    "enableServiceLinks": False,
                    "restartPolicy": "Never",
                    "securityContext": pod.pod_security_context(),
                    "containers": [container],
                    "volumes": volumes,
                },
            },
        },
        opts=scope.child(depends_on=deps, delete_before_replace=True),
    )
