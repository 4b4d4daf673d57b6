"""Keys: a Cloud KMS key ring and one key per use, granted to the service agents that use them."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp

from infra.gcp.common import ARTIFACT_REGISTRY_AGENT, COMPUTE_AGENT, GKE_AGENT, GcpScope, service_agent

ROTATION_PERIOD = "7776000s"
"""90 days: the longest rotation period CIS GCP 1.10 / CKV_GCP_43 accept."""
DESTROY_SCHEDULED_DURATION = "2592000s"
"""30 days in DESTROY_SCHEDULED before a key version is gone: time to notice and restore."""
ENCRYPTER_DECRYPTER = "roles/cloudkms.cryptoKeyEncrypterDecrypter"


@dataclass(frozen=True)
class KeyUse:
    key: str
    """Short name of the key, e.g. 'gke-secrets'."""
    purpose: str


GKE_SECRETS = KeyUse("gke-secrets", "GKE application-layer (etcd) secrets encryption")
BOOT_DISKS = KeyUse("boot-disks", "GKE node boot disks")
WEIGHTS = KeyUse("weights", "model weight bucket and its access-log bucket")
REGISTRY = KeyUse("registry", "Artifact Registry serving image repository")
KEY_USES = (GKE_SECRETS, BOOT_DISKS, WEIGHTS, REGISTRY)


class Keys(pulumi.ComponentResource):
    ring: gcp.kms.KeyRing
    keys: dict[str, gcp.kms.CryptoKey]
    grants: dict[str, list[gcp.kms.CryptoKeyIAMMember]]
    """Per key, the IAM grants a resource using the key must wait for."""

    def __init__(self, name: str, scope: GcpScope, opts: pulumi.ResourceOptions | None = None):
        super().__init__("llm-fleet:gcp:Keys", name, None, opts)
        self._scope = scope
        self._create_ring(name)
        self._create_keys(name)
        self._create_grants(name)
        self.register_outputs({"ring": self.ring.id, "keys": {k: v.id for k, v in self.keys.items()}})

    def key_id(self, use: KeyUse) -> pulumi.Output[str]:
        return self.keys[use.key].id

    def _create_ring(self, name: str) -> None:
        # Key rings cannot be deleted in GCP; protect keeps Pulumi from pretending otherwise.
        self.ring = gcp.kms.KeyRing(
            f"{name}-ring",
            name=f"{name}-ring",
            project=self._scope.project,
            location=self._scope.region,
            opts=self._scope.opts(self, protect=True),
        )

    def _create_keys(self, name: str) -> None:
        self.keys = {
            use.key: gcp.kms.CryptoKey(
                f"{name}-{use.key}",
                name=use.key,
                key_ring=self.ring.id,
                purpose="ENCRYPT_DECRYPT",
                rotation_period=ROTATION_PERIOD,
                destroy_scheduled_duration=DESTROY_SCHEDULED_DURATION,
                version_template=gcp.kms.CryptoKeyVersionTemplateArgs(
                    algorithm="GOOGLE_SYMMETRIC_ENCRYPTION", protection_level="SOFTWARE"
                ),
                labels={**self._scope.labels, "llm-fleet-key-use": use.key},
                opts=self._scope.opts(self, protect=True),
            )
            for use in KEY_USES
        }

    def _create_grants(self, name: str) -> None:
        number = self._scope.project_number
        gcs_agent = gcp.storage.get_project_service_account_output(
            project=self._scope.project, opts=pulumi.InvokeOutputOptions(provider=self._scope.provider)
        )
        # The Artifact Registry agent exists only once asked for; the others come with their API.
        registry_identity = gcp.projects.ServiceIdentity(
            f"{name}-registry-agent",
            project=self._scope.project,
            service="artifactregistry.googleapis.com",
            opts=self._scope.opts(self),
        )
        members: dict[str, list[tuple[str, pulumi.Input[str], list[pulumi.Resource]]]] = {
            GKE_SECRETS.key: [("gke", service_agent(number, GKE_AGENT), [])],
            BOOT_DISKS.key: [("compute", service_agent(number, COMPUTE_AGENT), [])],
            WEIGHTS.key: [("gcs", gcs_agent.member, [])],
            REGISTRY.key: [("registry", service_agent(number, ARTIFACT_REGISTRY_AGENT), [registry_identity])],
        }
        self.grants = {
            key: [
                gcp.kms.CryptoKeyIAMMember(
                    f"{name}-{key}-{agent}",
                    crypto_key_id=self.keys[key].id,
                    role=ENCRYPTER_DECRYPTER,
                    member=member,
                    opts=self._scope.opts(self, depends_on=after),
                )
                for agent, member, after in grants
            ]
            for key, grants in members.items()
        }
