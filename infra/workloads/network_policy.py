"""Default-deny NetworkPolicies for the model namespace, then explicit allows.

* every pod: DNS to the cluster resolver (and NodeLocal DNSCache where it runs);
* servers: in from the gateway's Envoy proxies and from the metrics scraper on the server
  port; out to the weight store (and the pod-identity endpoint of the cloud); in a
  multi-node group, to and from the other pods of the same server (Ray, NCCL);
* stager: out on HTTPS (model source and bucket) and to the weight-store endpoint.

Nothing needs the Kubernetes API server (no ServiceAccount token is mounted either).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pulumi_kubernetes as k8s

from infra import naming
from infra.workloads import gateway, meta
from infra.workloads.peers import (
    ANYWHERE_EXCEPT_LINK_LOCAL,
    DNS_SOURCES,
    METRICS_SCRAPERS,
    POD_IDENTITY_ENDPOINTS,
)
from infra.workloads.scope import PlacementScope

POLICY_COMPONENT = {"default-deny": "namespace", "dns": "namespace", "server": meta.SERVER, "stager": meta.STAGER}


def weight_store_ports(scope: PlacementScope) -> list[int]:
    """TCP ports the weight store answers on (none for a PVC)."""
    store = scope.cluster.weights
    if store.uri.startswith("pvc://"):
        return []
    if store.endpoint:
        parts = urlsplit(store.endpoint)
        return [parts.port or (443 if parts.scheme == "https" else 80)]
    return [443]


def create_network_policies(scope: PlacementScope, namespace: k8s.core.v1.Namespace) -> list[k8s.networking.v1.NetworkPolicy]:
    model = scope.model.name
    server = scope.selector(meta.SERVER)
    stager = scope.selector(meta.STAGER)
    port = naming.SERVER_PORT
    identity = POD_IDENTITY_ENDPOINTS.get(scope.cluster.kind, [])
    external_scrapers = [{"ipBlock": {"cidr": c}} for c in scope.cluster.extra.get("metrics_scraper_cidrs", [])]

    server_ingress: list[dict[str, Any]] = [
        {"from": [gateway.proxy_peer(scope.cluster.gateway)], "ports": [{"protocol": "TCP", "port": port}]},
        {"from": [METRICS_SCRAPERS[scope.cluster.metrics], *external_scrapers], "ports": [{"protocol": "TCP", "port": port}]},
    ]
    server_egress: list[dict[str, Any]] = [
        *(
            {"to": [{"ipBlock": ANYWHERE_EXCEPT_LINK_LOCAL}], "ports": [{"protocol": "TCP", "port": p}]}
            for p in weight_store_ports(scope)
        ),
        *identity,
    ]
    if scope.shape.multi_node:
        group = {"podSelector": {"matchLabels": server}}
        server_ingress.append({"from": [group]})
        server_egress.append({"to": [group]})

    stager_ports = sorted({443, *weight_store_ports(scope)})
    stager_egress = [
        {"to": [{"ipBlock": ANYWHERE_EXCEPT_LINK_LOCAL}], "ports": [{"protocol": "TCP", "port": p} for p in stager_ports]},
        *identity,
    ]

    specs: dict[str, tuple[str, dict[str, Any]]] = {
        "default-deny": (
            "default-deny",
            {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
        ),
        "dns": (
            "allow-dns",
            {
                "podSelector": {},
                "policyTypes": ["Egress"],
                "egress": [
                    {
                        "to": DNS_SOURCES,
                        "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
                    }
                ],
            },
        ),
        "server": (
            f"{naming.server_name(model)}",
            {
                "podSelector": {"matchLabels": server},
                "policyTypes": ["Ingress", "Egress"],
                "ingress": server_ingress,
                "egress": server_egress,
            },
        ),
        "stager": (
            f"{model}-stager",
            {
                "podSelector": {"matchLabels": stager},
                "policyTypes": ["Ingress", "Egress"],
                "egress": stager_egress,
            },
        ),
    }
    return [
        k8s.networking.v1.NetworkPolicy(
            f"{scope.name}-netpol-{key}",
            metadata=meta.metadata(object_name, scope.namespace, scope.labels(POLICY_COMPONENT[key])),
            spec=spec,
            opts=scope.child(depends_on=[namespace]),
        )
        for key, (object_name, spec) in specs.items()
    ]
