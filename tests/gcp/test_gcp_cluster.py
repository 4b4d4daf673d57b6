"""GKE: a private regional cluster with Workload Identity, Dataplane V2, CMEK secrets and hardened nodes."""

from __future__ import annotations

import json

from infra.gcp.cluster import NODE_ROLES
from infra.gcp.target import kubeconfig
from infra.plan import SECRET
from tests.gcp.conftest import GcpView

CLUSTER = "gcp:container/cluster:Cluster"


def cluster(view: GcpView) -> dict:
    return view.one(CLUSTER).props


def test_cluster_is_regional_on_the_configured_release_channel(prod_gcp: GcpView, variant_gcp: GcpView) -> None:
    for view in (prod_gcp, variant_gcp):
        props = cluster(view)
        assert props["location"] == view.config["region"]
        assert props["releaseChannel"] == {"channel": view.config["releaseChannel"]}
    assert cluster(variant_gcp)["releaseChannel"]["channel"] == "RAPID"


def test_nodes_are_private_and_the_api_is_restricted_to_the_configured_cidrs(prod_gcp: GcpView) -> None:
    props = cluster(prod_gcp)
    assert props["privateClusterConfig"]["enablePrivateNodes"] is True
    assert props["privateClusterConfig"]["enablePrivateEndpoint"] is False
    assert props["privateClusterConfig"]["masterIpv4CidrBlock"] == prod_gcp.config["masterCidr"]
    networks = props["masterAuthorizedNetworksConfig"]
    assert (
        [b["cidrBlock"] for b in networks["cidrBlocks"]]
        == prod_gcp.config["masterAuthorizedCidrs"]
        == ["203.0.113.0/24"]
    )
    assert networks["gcpPublicCidrsAccessEnabled"] is False


def test_without_authorized_cidrs_the_endpoint_is_private(variant_gcp: GcpView) -> None:
    props = cluster(variant_gcp)
    assert props["privateClusterConfig"]["enablePrivateEndpoint"] is True
    assert props["privateClusterConfig"]["enablePrivateNodes"] is True
    cidrs = [b["cidrBlock"] for b in props["masterAuthorizedNetworksConfig"]["cidrBlocks"]]
    assert cidrs == [variant_gcp.config["networkCidr"]]


def test_workload_identity_dataplane_v2_and_shielded_nodes(prod_gcp: GcpView) -> None:
    props = cluster(prod_gcp)
    assert props["workloadIdentityConfig"] == {"workloadPool": f"{prod_gcp.config['project']}.svc.id.goog"}
    assert props["datapathProvider"] == "ADVANCED_DATAPATH"
    assert "networkPolicy" not in props  # Dataplane V2 enforces NetworkPolicy itself
    assert props["enableShieldedNodes"] is True


def test_secrets_are_encrypted_with_the_gke_key(prod_gcp: GcpView) -> None:
    props = cluster(prod_gcp)
    ring = prod_gcp.one("gcp:kms/keyRing:KeyRing").props["name"]
    assert props["databaseEncryption"]["state"] == "ENCRYPTED"
    assert props["databaseEncryption"]["keyName"].endswith(f"/keyRings/{ring}/cryptoKeys/gke-secrets")


def test_no_legacy_abac_no_client_certificates_binary_authorization_on(prod_gcp: GcpView) -> None:
    props = cluster(prod_gcp)
    assert props["enableLegacyAbac"] is False
    assert props["masterAuth"]["clientCertificateConfig"]["issueClientCertificate"] is False
    assert props["binaryAuthorization"]["evaluationMode"] == "PROJECT_SINGLETON_POLICY_ENFORCE"
    assert props["nodePoolDefaults"]["nodeConfigDefaults"]["insecureKubeletReadonlyPortEnabled"] == "FALSE"


def test_logging_and_monitoring_with_managed_prometheus(prod_gcp: GcpView, variant_gcp: GcpView) -> None:
    props = cluster(prod_gcp)
    assert props["loggingService"] == "logging.googleapis.com/kubernetes"
    assert props["monitoringService"] == "monitoring.googleapis.com/kubernetes"
    assert {"SYSTEM_COMPONENTS", "WORKLOADS", "APISERVER"} <= set(props["loggingConfig"]["enableComponents"])
    assert props["monitoringConfig"]["managedPrometheus"] == {"enabled": True}
    assert "DCGM" in props["monitoringConfig"]["enableComponents"]
    # monitoring.stack: in-cluster -> no managed collection to pay for twice
    assert cluster(variant_gcp)["monitoringConfig"]["managedPrometheus"] == {"enabled": False}


def test_default_pool_is_removed_and_hardened_while_it_lives(prod_gcp: GcpView) -> None:
    props = cluster(prod_gcp)
    assert props["removeDefaultNodePool"] is True
    assert props["initialNodeCount"] == 1
    node = props["nodeConfig"]
    assert node["imageType"] == "COS_CONTAINERD"
    assert node["workloadMetadataConfig"] == {"mode": "GKE_METADATA"}
    assert node["shieldedInstanceConfig"] == {"enableSecureBoot": True, "enableIntegrityMonitoring": True}
    assert node["bootDiskKmsKey"].endswith("/cryptoKeys/boot-disks")


def test_deletion_protection_in_prod_only(prod_gcp: GcpView, variant_gcp: GcpView) -> None:
    assert cluster(prod_gcp)["deletionProtection"] is True
    assert cluster(variant_gcp)["deletionProtection"] is False


def test_nodes_run_as_a_dedicated_least_privilege_service_account(prod_gcp: GcpView) -> None:
    node_sa = prod_gcp.named(f"{prod_gcp.target}-gke-nodes")
    email = f"{node_sa.props['accountId']}@{prod_gcp.config['project']}.iam.gserviceaccount.com"
    assert "compute@developer" not in email
    pools = prod_gcp.of_type("gcp:container/nodePool:NodePool")
    assert pools and {p.props["nodeConfig"]["serviceAccount"] for p in pools} == {email}
    assert cluster(prod_gcp)["nodeConfig"]["serviceAccount"] == email
    project_roles = {
        r.props["role"]
        for r in prod_gcp.of_type("gcp:projects/iAMMember:IAMMember")
        if r.props["member"] == f"serviceAccount:{email}"
    }
    assert project_roles == set(NODE_ROLES)
    assert all(role.endswith(("logWriter", "metricWriter", "resourceMetadata.writer")) for role in project_roles)


def test_system_pool_is_small_hardened_and_autoscaled(prod_gcp: GcpView) -> None:
    pool = prod_gcp.named(f"{prod_gcp.target}-gke-system").props
    assert pool["autoscaling"]["maxNodeCount"] <= 3
    assert pool["management"] == {"autoRepair": True, "autoUpgrade": True}
    assert pool["nodeConfig"]["shieldedInstanceConfig"]["enableSecureBoot"] is True
    assert pool["nodeConfig"]["workloadMetadataConfig"]["mode"] == "GKE_METADATA"
    assert "taints" not in pool["nodeConfig"]


def test_kubernetes_provider_uses_the_gke_auth_plugin_and_is_secret(prod_gcp: GcpView) -> None:
    provider = prod_gcp.one("pulumi:providers:kubernetes")
    assert provider.props["kubeconfig"] == SECRET
    config = json.loads(kubeconfig("c1", "34.1.2.3", "Q0E="))
    assert config["clusters"][0]["cluster"]["server"] == "https://34.1.2.3"
    [user] = config["users"]
    assert user["user"]["exec"]["command"] == "gke-gcloud-auth-plugin"
    assert "token" not in user["user"] and "client-key-data" not in user["user"]
    assert config["clusters"][0]["cluster"]["certificate-authority-data"] == "Q0E="
