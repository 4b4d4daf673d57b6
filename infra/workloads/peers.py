"""NetworkPolicy peers every namespace of the fleet refers to (no Pulumi, no imports of builders)."""

from __future__ import annotations

from typing import Any

ANYWHERE_EXCEPT_LINK_LOCAL = {"cidr": "0.0.0.0/0", "except": ["169.254.0.0/16"]}
"""Public and private addresses, but not link-local ones (cloud metadata endpoints)."""

DNS_SOURCES: list[dict[str, Any]] = [
    {
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
        "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
    },
    {"ipBlock": {"cidr": "169.254.20.10/32"}},  # NodeLocal DNSCache
]

METRICS_SCRAPERS: dict[str, dict[str, Any]] = {
    "prometheus-operator": {
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}},
        "podSelector": {"matchLabels": {"app.kubernetes.io/name": "prometheus"}},
    },
    "gmp": {
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "gke-gmp-system"}},
        "podSelector": {"matchLabels": {"app.kubernetes.io/name": "collector"}},
    },
}
"""Who scrapes /metrics, by ClusterContext.metrics: kube-prometheus-stack's Prometheus in
``monitoring``, or Google Managed Prometheus' collectors in ``gke-gmp-system``. A scraper
outside the cluster (Amazon Managed Service for Prometheus' agentless scraper) is allowed
by address: ``ClusterContext.extra["metrics_scraper_cidrs"]``."""

POD_IDENTITY_ENDPOINTS: dict[str, list[dict[str, Any]]] = {
    "aws": [{"to": [{"ipBlock": {"cidr": "169.254.170.23/32"}}], "ports": [{"protocol": "TCP", "port": 80}]}],
    "gcp": [
        {"to": [{"ipBlock": {"cidr": "169.254.169.254/32"}}], "ports": [{"protocol": "TCP", "port": 80}]},
        {"to": [{"ipBlock": {"cidr": "169.254.169.252/32"}}], "ports": [{"protocol": "TCP", "port": 988}]},
    ],
    "onprem": [],
}
"""Link-local endpoints that hand pods their cloud identity: the EKS Pod Identity agent,
GKE's metadata server (Workload Identity). IRSA needs only STS over HTTPS."""
