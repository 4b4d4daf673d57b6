"""Rendered custom resources checked against the vendored upstream CRDs (vendor/crds) the way the
API server checks them on create: structural schema, strict unknown fields, CEL rules.

    from tools.crdcheck import check_manifest
    check_manifest(manifest)  -> CheckResult(status="ok"|"invalid"|"unknown-kind", errors=[...])

Test tooling, not part of the program (infra never imports it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tools.crdcheck.catalog import Catalog, vendored_catalog
from tools.crdcheck.structural import validate

BUILT_IN_GROUPS = {"", "apps", "batch", "policy", "autoscaling", "networking.k8s.io", "rbac.authorization.k8s.io",
                   "storage.k8s.io", "scheduling.k8s.io", "admissionregistration.k8s.io", "coordination.k8s.io",
                   "discovery.k8s.io", "node.k8s.io", "apiextensions.k8s.io"}
"""API groups of Kubernetes' own kinds (kubernetes-validate checks those)."""
NOT_API_OBJECTS = {"helm.sh"}
"""``helm.sh/v3 Release`` is llmfleet's record of a Helm release, not an object sent to the API server."""


def is_custom_resource(manifest: object) -> bool:
    if not isinstance(manifest, dict) or "apiVersion" not in manifest:
        return False
    group = str(manifest["apiVersion"]).rpartition("/")[0]
    return group not in BUILT_IN_GROUPS and group not in NOT_API_OBJECTS


@dataclass(frozen=True)
class CheckResult:
    status: str
    """``ok``; ``invalid``; ``unknown-kind`` (no vendored CRD serves that apiVersion/kind)."""
    gvk: str
    name: str
    errors: list[str] = field(default_factory=list)


def check_manifest(manifest: dict[str, Any], catalog: Catalog | None = None) -> CheckResult:
    catalog = catalog or vendored_catalog()
    api_version, kind = manifest.get("apiVersion", "-"), manifest.get("kind", "-")
    name = (manifest.get("metadata") or {}).get("name", "-")
    gvk = f"{api_version}/{kind}"
    served = catalog.lookup(api_version, kind)
    if served is None:
        return CheckResult("unknown-kind", gvk, name, [f"no vendored CRD serves {api_version} {kind}"])
    errors = validate(manifest, served.schema, namespaced=served.namespaced)
    return CheckResult("invalid" if errors else "ok", gvk, name, errors)
