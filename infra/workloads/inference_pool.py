"""A placement's InferencePool: its servers as one pool, replicas picked by llm-d's endpoint picker.

The pool selects exactly the pods that serve the API: the server pods (in a LeaderWorkerSet
group only the leader, which runs vLLM's API server; the workers hold GPUs for it), on the
server port. The model's API routes name the pool as their backend (routes.py); the health
route stays on the Service.

Failure mode: ``FailOpen`` (the CRD's default is FailClose, so it is set explicitly). When the
picker does not answer (a leader hand-over, a crash), Envoy falls back to its own balancing over
the pool's endpoints: the request is served, without prefix/queue awareness, instead of failing.
Nothing that protects the API is in the picker: API keys, client authorization, rate limits,
token quotas and the WAF run in the gateway before the picker is asked, so failing open
bypasses none of them. FailClose would turn every picker outage into a model outage.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from infra import naming
from infra.workloads import endpoint_picker, inference_extension, meta
from infra.workloads.endpoint_picker import EndpointPicker
from infra.workloads.scope import PlacementScope
from infra.workloads.server import ROLE_LABEL

FAILURE_MODE = "FailOpen"


@dataclass(frozen=True)
class PlacementPool:
    name: str
    pool: k8s.apiextensions.CustomResource
    picker: EndpointPicker

    @property
    def backend_ref(self) -> dict[str, Any]:
        return inference_extension.pool_ref(self.name)


def server_selector(scope: PlacementScope) -> dict[str, str]:
    """Labels of the pods that serve the API (the Service's selector)."""
    selector = scope.selector(meta.SERVER)
    return {**selector, ROLE_LABEL: "leader"} if scope.shape.multi_node else selector


def pool_spec(scope: PlacementScope) -> dict[str, Any]:
    return {
        "selector": {"matchLabels": server_selector(scope)},
        "targetPorts": [{"number": naming.SERVER_PORT}],
        "appProtocol": "http",
        "endpointPickerRef": {
            "kind": "Service",
            "name": endpoint_picker.picker_name(scope.model.name),
            "port": {"number": endpoint_picker.GRPC_PORT},
            "failureMode": FAILURE_MODE,
        },
    }


def create_pool(
    scope: PlacementScope,
    namespace: k8s.core.v1.Namespace,
    workload: pulumi.Resource,
    crd: pulumi.Resource,
) -> PlacementPool:
    """The pool and its picker; the pool waits for its CRD, its namespace and the picker's Service."""
    name = scope.model.name
    picker = endpoint_picker.create_endpoint_picker(scope, namespace, name, server_selector(scope), [crd])
    pool = k8s.apiextensions.CustomResource(
        f"{scope.name}-inference-pool",
        api_version=inference_extension.API_VERSION,
        kind=inference_extension.KIND,
        metadata=meta.metadata(name, scope.namespace, scope.labels(meta.SERVER)),
        spec=pool_spec(scope),
        opts=scope.child(depends_on=[namespace, crd, picker.service, workload]),
    )
    return PlacementPool(name=name, pool=pool, picker=picker)
