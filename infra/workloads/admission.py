"""Signature verification at admission: model servers run only images CI signed.

On every cluster target the Sigstore policy-controller (Helm, pinned) checks each pod created
in a namespace labelled ``policy.sigstore.dev/include: "true"`` -- the model namespaces, and
nothing else, so system add-ons keep working. Its ClusterImagePolicy admits the serving
image only with a keyless signature whose Fulcio certificate names this repository's signing
workflow (``image.signer``); an image in those namespaces that no policy matches is refused.

Why policy-controller on GKE too: Binary Authorization's checks take attestations or public
keys, not a Sigstore keyless identity (a workflow, not a key), so one mechanism serves all three
kinds of target and the same objects are tested once.

Stacks that build their image in the stack (dev, ``image.build``) run an image no workflow
signed: the policy is in ``warn`` mode there, so a missing signature shows in events and
audit logs without blocking; with a promoted digest it is ``enforce``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from infra import versions
from infra.config import ImageSigner
from infra.workloads import meta
from infra.workloads.addon_release import create_addon_release
from infra.workloads.context import ClusterContext
from infra.workloads.operations.cluster import NO_CPU_LIMIT
from infra.workloads.peers import POD_IDENTITY_ENDPOINTS
from infra.workloads.system_namespaces import anywhere, api_server_egress, create_addon_namespace, tcp

NAMESPACE = "cosign-system"
INCLUDE_LABEL = meta.SIGNATURE_CHECK_LABEL
"""The chart's webhook namespaceSelector: only namespaces with this label set to "true" are checked."""
WEBHOOK_PORT = 8443
"""The webhook container's port (the Service's 443 targets it); the API server calls it."""
POLICY_NAME = "llm-fleet-serving-image"
SIGNATURE_FORMAT = "bundle"
"""cosign v3 signs in the Sigstore bundle format (stored as an OCI referrer), not the legacy
``.sig`` tag; the authority must expect it."""


NONROOT_UID = 65532
"""The distroless ``nonroot`` user of the policy-controller image."""
RESTRICTED_POD = {"runAsNonRoot": True, "runAsUser": NONROOT_UID, "seccompProfile": {"type": "RuntimeDefault"}}
RESTRICTED_CONTAINER = {
    "allowPrivilegeEscalation": False,
    "readOnlyRootFilesystem": True,
    "runAsNonRoot": True,
    "runAsUser": NONROOT_UID,
    "capabilities": {"drop": ["ALL"]},
    "seccompProfile": {"type": "RuntimeDefault"},
}


@dataclass(frozen=True)
class ImageAdmissionArgs:
    context: ClusterContext
    signer: ImageSigner

    @property
    def enforce(self) -> bool:
        """Enforce with a promoted, CI-built digest; warn while the stack builds its own image."""
        image = self.context.stack.image
        return image.digest is not None and not image.build


def repository_of(image: str) -> str:
    """``repo@sha256:...`` or ``repo:tag`` -> ``repo``."""
    if "@" in image:
        return image.split("@", 1)[0]
    last = image.rsplit("/", 1)[-1]
    return image[: len(image) - len(last)] + last.split(":", 1)[0]


def cluster_image_policy_spec(repository: str, signer: ImageSigner, *, enforce: bool) -> dict[str, Any]:
    """The ClusterImagePolicy: the serving repository, signed keylessly by the signing workflow."""
    return {
        "images": [{"glob": f"{repository}**"}],
        "mode": "enforce" if enforce else "warn",
        "authorities": [
            {
                "name": "ci-workflow",
                "signatureFormat": SIGNATURE_FORMAT,
                "keyless": {
                    "url": versions.SIGSTORE_FULCIO_URL,
                    "identities": [{"issuer": signer.issuer, "subject": signer.identity}],
                },
            }
        ],
    }


def policy_controller_values() -> dict[str, Any]:
    return {
        "installCRDs": True,
        "webhook": {
            # Two replicas and the chart's PodDisruptionBudget: the webhook fails closed
            # (failurePolicy Fail), so one replica down must not block model rollouts.
            "replicaCount": 2,
            "failurePolicy": "Fail",
            # No policy matches -> deny, in the included (model) namespaces only.
            "configData": {"no-match-policy": "deny"},
            "namespaceSelector": {
                "matchExpressions": [{"key": INCLUDE_LABEL, "operator": "In", "values": ["true"]}]
            },
            # The chart's "podSecurityContext" is the container's securityContext and
            # "securityContext" the pod's: both at Pod Security "restricted".
            "podSecurityContext": {"enabled": True, **RESTRICTED_CONTAINER},
            "securityContext": {"enabled": True, **RESTRICTED_POD},
            # Memory limit only: the chart's CPU limit is deleted (null), as for every add-on.
            "resources": {
                "requests": {"cpu": "100m", "memory": "128Mi"},
                "limits": NO_CPU_LIMIT | {"memory": "512Mi"},
            },
            "podDisruptionBudget": {"enabled": True, "minAvailable": 1},
        },
        # The post-delete hook Job that removes the webhook's leases (on uninstall).
        "leasescleanup": {
            "podSecurityContext": {"enabled": True, **RESTRICTED_CONTAINER},
            "resources": {"limits": dict(NO_CPU_LIMIT)},
        },
    }


class ImageAdmission(pulumi.ComponentResource):
    """policy-controller in ``cosign-system`` and the serving image's ClusterImagePolicy."""

    namespace: k8s.core.v1.Namespace
    release: k8s.helm.v3.Release
    policy: k8s.apiextensions.CustomResource

    def __init__(self, name: str, args: ImageAdmissionArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("llm-fleet:workloads:ImageAdmission", name, None, opts)
        self._name = name
        self._args = args
        self._create_namespace()
        self._create_release()
        self._create_policy()
        self.register_outputs({"namespace": NAMESPACE, "mode": "enforce" if args.enforce else "warn"})

    def _opts(self, *depends_on: pulumi.Resource) -> pulumi.ResourceOptions:
        context = self._args.context
        return pulumi.ResourceOptions(
            parent=self, provider=context.provider, depends_on=[*context.depends_on, *depends_on]
        )

    def _create_namespace(self) -> None:
        self.namespace = create_addon_namespace(
            f"{self._name}-policy-controller",
            NAMESPACE,
            self._opts(),
            ingress=[{"from": anywhere(), "ports": tcp(WEBHOOK_PORT)}],  # API server -> webhook
            egress=[
                api_server_egress(),
                # Registries (the image's signature bundle) and Sigstore's TUF root: HTTPS, any address.
                {"to": anywhere(), "ports": tcp(443)},
                *POD_IDENTITY_ENDPOINTS.get(self._args.context.kind, []),
            ],
        )

    def _create_release(self) -> None:
        self.release = create_addon_release(
            f"{self._name}-policy-controller",
            versions.POLICY_CONTROLLER,
            name="policy-controller",
            namespace=NAMESPACE,
            values=policy_controller_values(),
            opts=self._opts(self.namespace),
        )

    def _create_policy(self) -> None:
        args = self._args
        spec = pulumi.Output.from_input(args.context.image).apply(
            lambda image: cluster_image_policy_spec(repository_of(image), args.signer, enforce=args.enforce)
        )
        self.policy = k8s.apiextensions.CustomResource(
            f"{self._name}-serving-image-policy",
            api_version="policy.sigstore.dev/v1beta1",
            kind="ClusterImagePolicy",
            metadata={"name": POLICY_NAME, "labels": dict(meta.OWNERSHIP_LABELS)},
            spec=spec,
            opts=self._opts(self.release),
        )
