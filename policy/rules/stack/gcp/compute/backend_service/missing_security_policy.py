"""ARMOR-01: every external GCP backend is protected by a Cloud Armor policy."""

import re

from policy.props import get
from policy.rules.base import Violation, stack_rule

BACKEND = "gcp:compute/backendService:BackendService"
GATEWAY = "kubernetes:gateway.networking.k8s.io/v1:Gateway"
BACKEND_POLICY = "kubernetes:networking.gke.io/v1:GCPBackendPolicy"
EXTERNAL_CLASS = re.compile(r"^gke-l7-(global-external|regional-external|gxlb|rilb-mc|gxlb-mc)")


@stack_rule(
    id="ARMOR-01",
    title="Every external GCP backend is protected by a Cloud Armor policy",
    severity="high",
    category="security",
    types=(BACKEND, GATEWAY, BACKEND_POLICY),
    remediation="Set securityPolicy on each external gcp.compute.BackendService; with the GKE Gateway, declare a "
    "GCPBackendPolicy (networking.gke.io/v1) with spec.default.securityPolicy for the served Services.",
    references=("CKV_GCP_73", "custom"),
)
def missing_security_policy(ctx):
    for backend in ctx.of_type(BACKEND):
        scheme = get(backend.props, "loadBalancingScheme", "EXTERNAL")
        if scheme in ("EXTERNAL", "EXTERNAL_MANAGED") and not get(backend.props, "securityPolicy"):
            yield Violation(
                "external backend service has no securityPolicy; expected a Cloud Armor policy", backend.urn
            )
    protected = {ctx.cluster_key(p) for p in ctx.of_type(BACKEND_POLICY) if get(p.props, "spec.default.securityPolicy")}
    for gateway in ctx.of_type(GATEWAY):
        external = EXTERNAL_CLASS.match(str(get(gateway.props, "spec.gatewayClassName") or ""))
        if external and ctx.cluster_key(gateway) not in protected:
            yield Violation(
                "external GKE Gateway has no GCPBackendPolicy with spec.default.securityPolicy in its cluster",
                gateway.urn,
            )
