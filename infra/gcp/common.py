"""What every GCP component of one target shares: the scope, labels, names, service agents."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

import pulumi
import pulumi_gcp as gcp

from infra import naming
from infra.config import GcpTarget, StackConfig

_LABEL_BAD = re.compile(r"[^a-z0-9_-]")


def gcp_labels(stack: StackConfig, target: GcpTarget) -> dict[str, str]:
    """Cost-allocation labels (infra.naming.cost_tags) in GCP's label alphabet.

    GCP label keys and values allow lower-case letters, digits, '_' and '-', at most 63
    characters; keys start with a letter. Anything else is folded to '-'.
    """
    tags = naming.cost_tags(stack.environment, stack.owner, stack.cost_center, target.name)
    return {_label(k): _label(v) for k, v in tags.items()}


def _label(text: str) -> str:
    return _LABEL_BAD.sub("-", text.lower())[:63]


def fit_name(name: str, max_len: int) -> str:
    """``name`` if it fits ``max_len``, else a prefix plus a short stable hash of the whole."""
    if len(name) <= max_len:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:6]
    return f"{name[: max_len - 7].rstrip('-')}-{digest}"


def service_agent(project_number: pulumi.Input[str], domain: str) -> pulumi.Output[str]:
    """IAM member of a Google-managed service agent, ``service-NUMBER@<domain>``."""
    return pulumi.Output.concat("serviceAccount:service-", project_number, "@", domain)


# Service agents that use the target's keys (https://cloud.google.com/iam/docs/service-agents).
GKE_AGENT = "container-engine-robot.iam.gserviceaccount.com"
COMPUTE_AGENT = "compute-system.iam.gserviceaccount.com"
ARTIFACT_REGISTRY_AGENT = "gcp-sa-artifactregistry.iam.gserviceaccount.com"


@dataclass(frozen=True)
class GcpScope:
    """One target's shared inputs: config, the provider, the project number and labels."""

    stack: StackConfig
    target: GcpTarget
    provider: gcp.Provider
    project_number: pulumi.Output[str]
    labels: dict[str, str]
    apis: list[pulumi.Resource] = field(default_factory=list)
    """Project services (APIs) every GCP resource waits for."""

    @property
    def project(self) -> str:
        return self.target.project

    @property
    def region(self) -> str:
        return self.target.region

    def opts(
        self,
        parent: pulumi.Resource,
        *,
        depends_on: list[pulumi.Resource] | None = None,
        protect: bool = False,
        **kwargs: object,
    ) -> pulumi.ResourceOptions:
        """Options of a GCP resource: parented, on the target's provider, after the APIs."""
        return pulumi.ResourceOptions(
            parent=parent,
            provider=self.provider,
            depends_on=[*self.apis, *(depends_on or [])],
            protect=protect,
            **kwargs,  # type: ignore[arg-type]
        )
