"""The GCP target: a GKE GPU cluster with its edge, CMEK, weights, registry and budget."""

from infra.gcp.target import GcpTargetComponent

__all__ = ["GcpTargetComponent"]
