"""The Gateway API Inference Extension API on a cluster: the InferencePool CRD and its names.

The CRD is applied from the vendored upstream file (vendor/crds/gateway-api-inference-extension/,
versions.GATEWAY_API_INFERENCE_EXTENSION) rather than fetched at deploy time: what the tests
validate every rendered InferencePool against is exactly what the cluster gets. Envoy AI
Gateway's controller looks for this CRD when it starts (it skips its InferencePool controller
otherwise), so its Helm release depends on it (gateway.py).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import yaml

API_GROUP = "inference.networking.k8s.io"
API_VERSION = f"{API_GROUP}/v1"
KIND = "InferencePool"
VENDOR_DIR = Path(__file__).resolve().parents[2] / "vendor"
CRD_FILE = VENDOR_DIR / "crds" / "gateway-api-inference-extension" / f"{API_GROUP}_inferencepools.yaml"

BACKEND_RESOURCES: list[dict[str, str]] = [{"group": API_GROUP, "kind": KIND, "version": "v1"}]
"""Envoy Gateway ``extensionManager.backendResources``: lets an HTTPRoute (and AI Gateway's
generated one) name an InferencePool as backend; AI Gateway's extension server then inserts the
ext_proc call to the pool's endpoint picker (AI Gateway v1.1.0
examples/inference-pool/envoy-gateway-values-addon.yaml)."""


SCHEMA_EXTENSIONS = (
    "embedded-resource", "int-or-string", "list-map-keys", "list-type", "map-type",
    "preserve-unknown-fields", "validations",
)  # fmt: skip
"""The ``x-kubernetes-*`` schema extensions: pulumi-kubernetes' JSONSchemaProps names them
``x_kubernetes_*`` and its provider turns them back into dashes for the API server
(provider/pkg/provider/provider.go); ``infra/render.py`` does the same for manifests."""


def sdk_schema_names(node: Any) -> Any:
    """A CRD spec with its schema extensions under the SDK's names (``x_kubernetes_list_type``)."""
    if isinstance(node, dict):
        return {_sdk_name(k): sdk_schema_names(v) for k, v in node.items()}
    if isinstance(node, list):
        return [sdk_schema_names(v) for v in node]
    return node


def _sdk_name(key: str) -> str:
    suffix = key.removeprefix("x-kubernetes-")
    return f"x_kubernetes_{suffix.replace('-', '_')}" if suffix != key and suffix in SCHEMA_EXTENSIONS else key


@cache
def load_crd() -> dict[str, Any]:
    return yaml.safe_load(CRD_FILE.read_text(encoding="utf-8"))


def served_schema(version: str = "v1") -> dict[str, Any]:
    """The openAPIV3Schema of the served ``version``."""
    for entry in load_crd()["spec"]["versions"]:
        if entry["name"] == version and entry.get("served"):
            return entry["schema"]["openAPIV3Schema"]
    raise KeyError(f"{KIND} {version} is not served by the vendored CRD")


def pool_ref(name: str) -> dict[str, Any]:
    """A Gateway API backendRef to the InferencePool ``name`` (same namespace; no port: the pool's
    targetPorts)."""
    return {"group": API_GROUP, "kind": KIND, "name": name}


def create_crds(name: str, opts: pulumi.ResourceOptions) -> k8s.apiextensions.v1.CustomResourceDefinition:
    crd = load_crd()
    return k8s.apiextensions.v1.CustomResourceDefinition(
        f"{name}-inferencepool-crd",
        metadata={
            "name": crd["metadata"]["name"],
            "annotations": dict(crd["metadata"].get("annotations") or {}),
            "labels": {"app.kubernetes.io/part-of": "llm-fleet", "app.kubernetes.io/managed-by": "pulumi"},
        },
        spec=sdk_schema_names(crd["spec"]),
        opts=opts,
    )


EXT_PROC_PORT = 9002
"""The endpoint picker's gRPC ext_proc port (the pool's ``endpointPickerRef.port``): the gateway's
Envoy proxies call it for every request to a pool."""
