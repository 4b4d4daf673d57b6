"""Namespaces of cluster add-ons (Envoy Gateway, cert-manager, GPU Operator, LeaderWorkerSet):
a Pod Security level (an exception to "restricted" carries its reason), a default-deny
NetworkPolicy and the explicit allows each add-on needs.

Peers outside the pod network (the API server calling webhooks, load balancer health checks,
clients) have no selector: those allows name the port and accept any address.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from infra.workloads import meta
from infra.workloads.namespace import pod_security_labels
from infra.workloads.peers import ANYWHERE_EXCEPT_LINK_LOCAL, DNS_SOURCES, METRICS_SCRAPERS

POD_SECURITY_EXCEPTION = f"{meta.DOMAIN}/pod-security-exception"
"""Annotation that explains why a namespace enforces less than "restricted" (policy K8S-13)."""

API_SERVER_PORTS = (443, 6443)
"""Where pods reach the Kubernetes API server (the Service's port, or the endpoints' port)."""


def tcp(*ports: int) -> list[dict[str, Any]]:
    return [{"protocol": "TCP", "port": p} for p in ports]


def anywhere() -> list[dict[str, Any]]:
    return [{"ipBlock": dict(ANYWHERE_EXCEPT_LINK_LOCAL)}]


def namespace_peer(name: str) -> dict[str, Any]:
    return {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": name}}}


def scraper(metrics: str) -> dict[str, Any]:
    return METRICS_SCRAPERS[metrics]


def api_server_egress() -> dict[str, Any]:
    return {"to": anywhere(), "ports": tcp(*API_SERVER_PORTS)}


def create_system_namespace(
    resource_name: str,
    name: str,
    opts: pulumi.ResourceOptions,
    *,
    pod_security: str = "restricted",
    exception: str | None = None,
) -> k8s.core.v1.Namespace:
    """An add-on's namespace; a level below "restricted" needs the ``exception`` reason."""
    if pod_security != "restricted" and not (exception and len(exception.strip()) >= 10):
        raise ValueError(f"namespace {name}: pod security '{pod_security}' needs the reason for the exception")
    labels = {**pod_security_labels("restricted"), "app.kubernetes.io/part-of": meta.PART_OF}
    if pod_security != "restricted":
        labels["pod-security.kubernetes.io/enforce"] = pod_security
    annotations = {POD_SECURITY_EXCEPTION: exception} if pod_security != "restricted" else None
    return k8s.core.v1.Namespace(resource_name, metadata=meta.metadata(name, labels=labels, annotations=annotations), opts=opts)


def create_addon_namespace(
    prefix: str,
    name: str,
    opts: pulumi.ResourceOptions,
    *,
    pod_security: str = "restricted",
    exception: str | None = None,
    ingress: Sequence[dict[str, Any]] = (),
    egress: Sequence[dict[str, Any]] = (),
) -> k8s.core.v1.Namespace:
    """:func:`create_system_namespace` (resource ``<prefix>-ns``) and its
    :func:`create_namespace_policies` (resources ``<prefix>-*``)."""
    namespace = create_system_namespace(f"{prefix}-ns", name, opts, pod_security=pod_security, exception=exception)
    create_namespace_policies(prefix, name, namespace, opts, ingress=ingress, egress=egress)
    return namespace


def create_namespace_policies(
    prefix: str,
    namespace: str,
    namespace_resource: pulumi.Resource,
    opts: pulumi.ResourceOptions,
    *,
    ingress: Sequence[dict[str, Any]] = (),
    egress: Sequence[dict[str, Any]] = (),
) -> list[k8s.networking.v1.NetworkPolicy]:
    """default-deny, allow-dns, and one ``allow-<namespace>`` policy with the explicit rules."""
    specs: dict[str, dict[str, Any]] = {
        "default-deny": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
        "allow-dns": {
            "podSelector": {},
            "policyTypes": ["Egress"],
            "egress": [{"to": DNS_SOURCES, "ports": [{"protocol": "UDP", "port": 53}, *tcp(53)]}],
        },
    }
    allow: dict[str, Any] = {"podSelector": {}, "policyTypes": []}
    if ingress:
        allow["policyTypes"].append("Ingress")
        allow["ingress"] = list(ingress)
    if egress:
        allow["policyTypes"].append("Egress")
        allow["egress"] = list(egress)
    if allow["policyTypes"]:
        specs[f"allow-{namespace}"] = allow
    child = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[namespace_resource]))
    return [
        k8s.networking.v1.NetworkPolicy(
            f"{prefix}-{name}",
            metadata=meta.metadata(name, namespace, {"app.kubernetes.io/part-of": meta.PART_OF}),
            spec=spec,
            opts=child,
        )
        for name, spec in specs.items()
    ]
