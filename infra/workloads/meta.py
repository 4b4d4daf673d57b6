"""Names, labels and annotations every workload object shares.

Label values are stable (derived from the model name only): selectors of Deployments,
Services, PDBs and NetworkPolicies are built from them and must never change.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

PART_OF = "llm-fleet"
DOMAIN = "llm-fleet.dev"
OWNERSHIP_LABELS = {"app.kubernetes.io/part-of": PART_OF, "app.kubernetes.io/managed-by": "pulumi"}
"""Who owns an object: llm-fleet, through Pulumi."""

SERVER = "server"
STAGER = "stager"

GATEWAY_ACCESS_LABEL = f"{DOMAIN}/gateway-access"
"""Label on a namespace whose HTTPRoutes may attach to the cluster's gateway."""

SIGNATURE_CHECK_LABEL = "policy.sigstore.dev/include"
"""Namespace label the Sigstore policy-controller's webhook selects (value "true"): the model
namespaces carry it, so their pods run only signed images (infra/workloads/admission.py)."""

SPEC_HASH_ANNOTATION = f"{DOMAIN}/serving-spec-sha256"
"""Pod-template annotation carrying the sha256 of the ServingSpec: a spec change rolls the servers."""

SECRET_KEYS_ANNOTATION = f"{DOMAIN}/secret-keys"
"""Names a Secret's keys (comma-separated; never values): the Plan redacts a Secret's whole
data map, and the rendered manifest keeps its shape from this."""

KEY_SOURCES_ANNOTATION = f"{DOMAIN}/key-sources"
"""On a client-key Secret: JSON ``{client id: source}``, where each value comes from
(``random:<generator>`` or a secret reference; never a value). Policy compares the sources
across the endpoints of a route: the same client must hold the same key everywhere."""

PULUMI_SKIP_AWAIT = "pulumi.com/skipAwait"
PULUMI_TIMEOUT = "pulumi.com/timeoutSeconds"


def selector_labels(model: str, component: str = SERVER) -> dict[str, str]:
    """The immutable labels a workload's selector matches."""
    return {"app.kubernetes.io/name": model, "app.kubernetes.io/component": component}


def labels(model: str, component: str, target: str) -> dict[str, str]:
    """Selector labels plus ownership labels (every object of a placement carries them)."""
    return {
        **selector_labels(model, component),
        **OWNERSHIP_LABELS,
        f"{DOMAIN}/target": target,
    }


def checkov_skips(skips: Mapping[str, str]) -> dict[str, str]:
    """``checkov.io/skipN`` annotations: ``{"CKV_K8S_40": "why"}`` -> ``{"checkov.io/skip1": "CKV_K8S_40=why"}``.

    Checkov honours these on the object's own metadata. Every suppression carries its reason.
    """
    out: dict[str, str] = {}
    for index, (check, reason) in enumerate(sorted(skips.items()), start=1):
        if not reason.strip():
            raise ValueError(f"checkov skip {check} needs a reason")
        out[f"checkov.io/skip{index}"] = f"{check}={reason}"
    return out


def metadata(
    name: str,
    namespace: str | None = None,
    labels: Mapping[str, str] | None = None,
    annotations: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """ObjectMeta as a camelCase dict, with an explicit name (never auto-named: renders are stable)."""
    meta: dict[str, Any] = {"name": name}
    if namespace is not None:
        meta["namespace"] = namespace
    if labels:
        meta["labels"] = dict(labels)
    if annotations:
        meta["annotations"] = dict(annotations)
    return meta
