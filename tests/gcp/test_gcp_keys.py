"""Keys: one CMEK per use, rotated at most every 90 days, protected, granted to its service agent."""

from __future__ import annotations

import re

import pytest

from infra.plan import Plan
from infra.plan.mocks import GCP_PROJECT_NUMBER
from tests.gcp.conftest import GcpView

NINETY_DAYS_S = 90 * 24 * 3600
AGENTS = {
    "gke-secrets": f"serviceAccount:service-{GCP_PROJECT_NUMBER}@container-engine-robot.iam.gserviceaccount.com",
    "boot-disks": f"serviceAccount:service-{GCP_PROJECT_NUMBER}@compute-system.iam.gserviceaccount.com",
    "weights": f"serviceAccount:service-{GCP_PROJECT_NUMBER}@gs-project-accounts.iam.gserviceaccount.com",
    "registry": f"serviceAccount:service-{GCP_PROJECT_NUMBER}@gcp-sa-artifactregistry.iam.gserviceaccount.com",
}


def seconds(duration: str) -> int:
    match = re.fullmatch(r"(\d+)s", duration)
    assert match, duration
    return int(match.group(1))


def keys(view: GcpView) -> dict[str, dict]:
    return {k.props["name"]: k for k in view.of_type("gcp:kms/cryptoKey:CryptoKey")}


def test_one_key_per_use(prod_gcp: GcpView) -> None:
    assert set(keys(prod_gcp)) == set(AGENTS)


@pytest.mark.parametrize("use", sorted(AGENTS))
def test_key_rotates_within_90_days_and_is_protected(prod_gcp: GcpView, use: str) -> None:
    key = keys(prod_gcp)[use]
    assert 0 < seconds(key.props["rotationPeriod"]) <= NINETY_DAYS_S
    assert seconds(key.props["destroyScheduledDuration"]) >= 24 * 3600
    assert key.props["purpose"] == "ENCRYPT_DECRYPT"
    assert key.protect is True


def test_key_ring_is_regional_and_protected(prod_gcp: GcpView) -> None:
    ring = prod_gcp.one("gcp:kms/keyRing:KeyRing")
    assert ring.props["location"] == prod_gcp.config["region"]
    assert ring.protect is True


@pytest.mark.parametrize("use", sorted(AGENTS))
def test_each_key_is_granted_to_exactly_its_service_agent(prod_gcp: GcpView, use: str) -> None:
    key_id = f"/keyRings/{prod_gcp.one('gcp:kms/keyRing:KeyRing').props['name']}/cryptoKeys/{use}"
    grants = [
        g
        for g in prod_gcp.of_type("gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember")
        if g.props["cryptoKeyId"].endswith(key_id)
    ]
    assert [(g.props["role"], g.props["member"]) for g in grants] == [
        ("roles/cloudkms.cryptoKeyEncrypterDecrypter", AGENTS[use])
    ]


def test_no_key_is_public(prod_plan: Plan) -> None:
    members = [r.props.get("member", "") for r in prod_plan.resources if r.type.startswith("gcp:kms/")]
    assert not [m for m in members if m in ("allUsers", "allAuthenticatedUsers")]
