"""Envoy Gateway and Envoy AI Gateway objects (identity, quotas, token metering) checked against
the upstream CRDs vendored in vendor/crds (tools/crdcheck: structural schema and CEL, as the API
server does), including the round-robin-only kinds; one-field changes to the real objects are caught."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from infra.plan import Plan
from tools.crdcheck import check_manifest
from tools.crdcheck.catalog import vendored_catalog


def errors(manifest: dict[str, Any]) -> list[str]:
    result = check_manifest(manifest)
    assert result.status != "unknown-kind", result.errors
    return result.errors
KINDS = {
    "gateway.envoyproxy.io/v1alpha1/BackendTrafficPolicy",
    "gateway.envoyproxy.io/v1alpha1/ClientTrafficPolicy",
    "gateway.envoyproxy.io/v1alpha1/SecurityPolicy",
    "gateway.envoyproxy.io/v1alpha1/HTTPRouteFilter",
    "gateway.envoyproxy.io/v1alpha1/Backend",
    "aigateway.envoyproxy.io/v1beta1/AIGatewayRoute",
    "aigateway.envoyproxy.io/v1beta1/AIServiceBackend",
    "aigateway.envoyproxy.io/v1beta1/BackendSecurityPolicy",
}


def manifests(plan: Plan, kind: str) -> list[dict[str, Any]]:
    group_version, _, name = kind.rpartition("/")
    return [
        dict(r.props)
        for r in plan.resources
        if r.type == f"kubernetes:{group_version}:{name}"
    ]


def test_every_kind_here_has_a_vendored_crd() -> None:
    catalog = vendored_catalog()
    assert all(catalog.lookup(*kind.rsplit("/", 1)) is not None for kind in KINDS)


ROUND_ROBIN_ONLY = {"gateway.envoyproxy.io/v1alpha1/Backend", "aigateway.envoyproxy.io/v1beta1/AIServiceBackend"}
"""Rendered only for a model that opts out of inference-aware routing (dev and prod route on pools):
checked on the stack variant whose models are all ``routing: round-robin``."""


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_rendered_objects_validate(stack_plan: Plan, kind: str) -> None:
    if kind in ROUND_ROBIN_ONLY:
        from tests.workloads.test_workloads_inference_pool import round_robin_plan

        stack_plan = round_robin_plan()
    objects = manifests(stack_plan, kind)
    assert objects, f"{stack_plan.stack} renders no {kind}"
    for manifest in objects:
        assert errors(manifest) == [], (manifest["metadata"]["namespace"], manifest["metadata"]["name"])


NEEDS = {
    "gateway.envoyproxy.io/v1alpha1/BackendTrafficPolicy": ("rateLimit",),
    "gateway.envoyproxy.io/v1alpha1/SecurityPolicy": ("apiKeyAuth",),
}


def _first(plan: Plan, kind: str, predicate: Any = lambda m: True) -> dict[str, Any]:
    return copy.deepcopy(next(m for m in manifests(plan, kind) if predicate(m)))


@pytest.mark.parametrize(
    ("kind", "change", "expected"),
    [
        (
            "gateway.envoyproxy.io/v1alpha1/BackendTrafficPolicy",
            lambda m: m["spec"]["rateLimit"]["global"]["rules"][0]["limit"].__setitem__("unit", "Fortnight"),
            "limit.unit: Unsupported value",
        ),
        (
            "gateway.envoyproxy.io/v1alpha1/BackendTrafficPolicy",
            lambda m: m["spec"]["rateLimit"]["global"]["rules"][0]["cost"]["response"].__setitem__("from", "Body"),
            "response.from: Unsupported value",
        ),
        (
            "gateway.envoyproxy.io/v1alpha1/SecurityPolicy",
            lambda m: m["spec"]["apiKeyAuth"].__setitem__("forwardClientIdHeader", "x"),
            "apiKeyAuth.forwardClientIdHeader: ",
        ),
        (
            "aigateway.envoyproxy.io/v1beta1/AIGatewayRoute",
            lambda m: m["spec"]["llmRequestCosts"][0].__setitem__("type", "Tokens"),
            "llmRequestCosts[0].type: Unsupported value",
        ),
        (
            "aigateway.envoyproxy.io/v1beta1/BackendSecurityPolicy",
            lambda m: m["spec"].__setitem__("type", "Bearer"),
            "spec.type: Unsupported value",
        ),
    ],
)
def test_one_field_changes_are_invalid(prod_plan: Plan, kind: str, change: Any, expected: str) -> None:
    manifest = _first(prod_plan, kind, lambda m: all(k in m["spec"] for k in NEEDS.get(kind, ())))
    change(manifest)
    found = errors(manifest)
    assert any(expected in e for e in found), found
