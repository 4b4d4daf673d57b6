"""The ServingSpec of a placement and the ConfigMap that carries it to the launcher.

The spec is the only input of the server container besides its Secrets: the launcher reads
``spec.json`` from the ConfigMap mounted at serving.versions.SPEC_PATH. Its sha256 goes on
the pod template, so any change to the spec rolls the servers.
"""

from __future__ import annotations

import hashlib

import pulumi_kubernetes as k8s

from infra import naming
from infra.workloads import image, meta
from infra.workloads.scope import PlacementScope
from infra.workloads.sizing import GROUP_JOIN_TIMEOUT_S
from serving.spec import RunaiStreamerConfig, ServingSpec

RUNAI_CONCURRENCY = 16
"""Parallel bucket reads of the Run:ai streamer (vLLM's documented example)."""


def build_spec(scope: PlacementScope) -> ServingSpec:
    model = scope.model
    shape = scope.shape
    location = image.weights_location(scope.cluster.weights, model)
    bucket = location.startswith(("s3://", "gs://"))
    return ServingSpec(
        model=location,
        served_model_name=scope.served_name,
        revision=model.source.revision,
        manifest_sha256=model.source.manifest_sha256,
        architecture=model.architecture,
        gpu=scope.pool.gpu,
        tensor_parallel_size=shape.tp,
        pipeline_parallel_size=shape.pp,
        # A server wider than a node is a LeaderWorkerSet group: one Ray cluster per group.
        distributed_executor_backend="ray" if shape.multi_node else None,
        group_join_timeout=GROUP_JOIN_TIMEOUT_S,
        max_model_len=shape.plan.max_model_len,
        gpu_memory_utilization=model.gpu_memory_utilization,
        max_num_seqs=model.max_num_seqs,
        kv_cache_dtype=model.kv_cache_dtype,
        quantization=model.quantization,
        load_format="runai_streamer" if bucket else "auto",
        model_loader_extra_config=(
            RunaiStreamerConfig(concurrency=RUNAI_CONCURRENCY, distributed=shape.gpus > 1) if bucket else None
        ),
        shutdown_timeout=shape.drain.shutdown_timeout_s,
        port=naming.SERVER_PORT,
        api_key_file=image.API_KEY_PATH,
        hf_hub_offline=True,
        require_manifest=True,
    )


def spec_sha256(spec: ServingSpec) -> str:
    return hashlib.sha256(spec.to_json().encode()).hexdigest()


def create_config_map(
    scope: PlacementScope, namespace: k8s.core.v1.Namespace, spec: ServingSpec
) -> tuple[k8s.core.v1.ConfigMap, str]:
    name = f"{scope.model.name}-serving-spec"
    config_map = k8s.core.v1.ConfigMap(
        f"{scope.name}-serving-spec",
        metadata=meta.metadata(
            name, scope.namespace, scope.labels(meta.SERVER), {meta.SPEC_HASH_ANNOTATION: spec_sha256(spec)}
        ),
        data={image.SPEC_FILE: spec.to_json()},
        opts=scope.child(depends_on=[namespace]),
    )
    return config_map, name
