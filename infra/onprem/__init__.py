"""The on-prem target: an existing Kubernetes cluster reached through a kubeconfig."""

from infra.onprem.target import OnPremTargetComponent

__all__ = ["OnPremTargetComponent"]
