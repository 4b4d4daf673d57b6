"""Names shared between parts, derived from target and model names so URNs are stable."""

from __future__ import annotations

SERVER_PORT = 8000


def placement_name(target: str, model: str) -> str:
    """Pulumi name of a model placement component, e.g. ``aws-use1-llama-8b``."""
    return f"{target}-{model}"


def namespace(model: str) -> str:
    """Kubernetes namespace of a model's servers on every cluster."""
    return f"llm-{model}"


def server_service_account(model: str) -> str:
    return f"{model}-server"


def stager_service_account(model: str) -> str:
    return f"{model}-stager"


def server_name(model: str) -> str:
    """Name of the Deployment/LeaderWorkerSet and Service of a model's servers.

    Deliberately not prefixed with 'vllm': a Service named vllm* injects VLLM_PORT (vllm#34199).
    """
    return f"{model}-server"


def cost_tags(environment: str, owner: str, cost_center: str, target: str | None = None) -> dict[str, str]:
    """Cost-allocation tags (AWS) / labels (GCP) put on every billable resource."""
    tags = {
        "llm-fleet-environment": environment,
        "llm-fleet-owner": owner,
        "llm-fleet-cost-center": cost_center,
        "managed-by": "pulumi-llm-fleet",
    }
    if target:
        tags["llm-fleet-target"] = target
    return tags
