"""EKS: private endpoint, secrets encryption, control-plane logs, access entries, Pod Identity,
add-ons and the hardened system node group."""

from __future__ import annotations

import json

from infra import naming
from infra.aws.cluster import CONTROL_PLANE_LOG_TYPES, kubeconfig_json
from infra.aws.common import LOG_RETENTION_DAYS
from infra.plan.model import SECRET
from tests.aws.conftest import VARIANT_ADMIN, AwsView, policy


def test_api_endpoint_is_private_unless_the_stack_lists_cidrs(any_aws: AwsView) -> None:
    vpc = any_aws.one("aws:eks/cluster:Cluster").props["vpcConfig"]
    cidrs = any_aws.config.get("endpointPublicAccessCidrs", [])
    assert vpc["endpointPrivateAccess"] is True
    assert vpc["endpointPublicAccess"] is bool(cidrs)
    assert vpc.get("publicAccessCidrs", []) == cidrs
    assert "0.0.0.0/0" not in vpc.get("publicAccessCidrs", [])


def test_both_real_stacks_keep_the_endpoint_private(aws: AwsView) -> None:
    vpc = aws.one("aws:eks/cluster:Cluster").props["vpcConfig"]
    assert (vpc["endpointPrivateAccess"], vpc["endpointPublicAccess"]) == (True, False)


def test_variant_opens_the_endpoint_to_its_cidrs_only(variant_aws: AwsView) -> None:
    vpc = variant_aws.one("aws:eks/cluster:Cluster").props["vpcConfig"]
    assert vpc["endpointPublicAccess"] is True
    assert vpc["publicAccessCidrs"] == ["203.0.113.0/24"]


def test_control_plane_in_private_subnets_with_configured_version_on_standard_support(any_aws: AwsView) -> None:
    cluster = any_aws.one("aws:eks/cluster:Cluster")
    private = {any_aws.id_of(s) for s in any_aws.of_type("aws:ec2/subnet:Subnet") if "private" in s.name}
    assert set(cluster.props["vpcConfig"]["subnetIds"]) == private
    assert cluster.props["version"] == any_aws.config["kubernetesVersion"]
    assert cluster.props["upgradePolicy"] == {"supportType": "STANDARD"}
    assert cluster.props["deletionProtection"] is (any_aws.environment == "prod")


def test_secrets_are_envelope_encrypted_with_the_eks_key(any_aws: AwsView) -> None:
    encryption = any_aws.one("aws:eks/cluster:Cluster").props["encryptionConfig"]
    assert encryption["resources"] == ["secrets"]
    assert encryption["provider"]["keyArn"] == any_aws.key_arn("eks")
    role_policy = policy(any_aws.named("cluster-role-secrets-key", "aws:iam/rolePolicy:RolePolicy"))
    assert role_policy["Statement"][0]["Resource"] == [any_aws.key_arn("eks")]


def test_all_control_plane_logs_go_to_an_encrypted_log_group_with_retention(any_aws: AwsView) -> None:
    cluster = any_aws.one("aws:eks/cluster:Cluster")
    assert sorted(cluster.props["enabledClusterLogTypes"]) == sorted(CONTROL_PLANE_LOG_TYPES)
    assert set(CONTROL_PLANE_LOG_TYPES) == {"api", "audit", "authenticator", "controllerManager", "scheduler"}
    group = any_aws.named("cluster-control-plane-logs", "aws:cloudwatch/logGroup:LogGroup")
    assert group.props["name"] == f"/aws/eks/{cluster.props['name']}/cluster"
    assert group.props["kmsKeyId"] == any_aws.key_arn("logs")
    assert group.props["retentionInDays"] == LOG_RETENTION_DAYS[any_aws.environment]
    assert LOG_RETENTION_DAYS["prod"] >= 365 and min(LOG_RETENTION_DAYS.values()) >= 90


def test_authentication_by_access_entries_only(any_aws: AwsView) -> None:
    access = any_aws.one("aws:eks/cluster:Cluster").props["accessConfig"]
    assert access["authenticationMode"] == "API"


def test_admin_roles_get_cluster_admin_through_access_entries(any_aws: AwsView) -> None:
    admins = any_aws.config.get("adminRoleArns", [])
    entries = [e for e in any_aws.of_type("aws:eks/accessEntry:AccessEntry") if e.props["type"] == "STANDARD"
               and "admin" in e.name]
    assert sorted(e.props["principalArn"] for e in entries) == sorted(admins)
    associations = any_aws.of_type("aws:eks/accessPolicyAssociation:AccessPolicyAssociation")
    assert sorted(a.props["principalArn"] for a in associations) == sorted(admins)
    for association in associations:
        assert association.props["policyArn"].endswith(":cluster-access-policy/AmazonEKSClusterAdminPolicy")
        assert association.props["accessScope"] == {"type": "cluster"}


def test_prod_and_variant_have_an_admin_entry_dev_none(prod_aws: AwsView, dev_aws: AwsView, variant_aws: AwsView) -> None:
    assert [a.props["principalArn"] for a in variant_aws.of_type("aws:eks/accessPolicyAssociation:AccessPolicyAssociation")] == [VARIANT_ADMIN]
    assert len(prod_aws.of_type("aws:eks/accessPolicyAssociation:AccessPolicyAssociation")) == 1
    assert dev_aws.of_type("aws:eks/accessPolicyAssociation:AccessPolicyAssociation") == []


def test_managed_addons_include_pod_identity_and_network_policy_enforcement(any_aws: AwsView) -> None:
    addons = {a.props["addonName"]: a for a in any_aws.of_type("aws:eks/addon:Addon")}
    assert set(addons) == {"vpc-cni", "kube-proxy", "eks-pod-identity-agent", "coredns"}
    assert json.loads(addons["vpc-cni"].props["configurationValues"]) == {"enableNetworkPolicy": "true"}
    assert all(a.props["addonVersion"] for a in addons.values())


def test_each_placed_model_gets_server_read_and_stager_write_identities(any_aws: AwsView) -> None:
    models = sorted(
        {m["name"] for m in any_aws.plan.config["models"] for p in m["placements"] if p["target"] == any_aws.target}
    )
    associations = {
        (a.props["namespace"], a.props["serviceAccount"]): a
        for a in any_aws.of_type("aws:eks/podIdentityAssociation:PodIdentityAssociation")
    }
    for model in models:
        ns = naming.namespace(model)
        server = associations[(ns, naming.server_service_account(model))]
        stager = associations[(ns, naming.stager_service_account(model))]
        server_actions = _actions(any_aws, f"identities-{model}-server")
        stager_actions = _actions(any_aws, f"identities-{model}-stager")
        assert "s3:GetObject" in server_actions
        assert not any(a.startswith(("s3:Put", "s3:Delete", "kms:GenerateDataKey")) for a in server_actions)
        assert {"s3:PutObject", "kms:GenerateDataKey"} <= stager_actions
        assert server.props["roleArn"] != stager.props["roleArn"]
        trust = policy(any_aws.named(f"identities-{model}-server", "aws:iam/role:Role"), "assumeRolePolicy")
        assert trust["Statement"][0]["Principal"] == {"Service": "pods.eks.amazonaws.com"}
        assert set(trust["Statement"][0]["Action"]) == {"sts:AssumeRole", "sts:TagSession"}
    assert models, "the stack places a model on this target"


def _actions(view: AwsView, suffix: str) -> set[str]:
    doc = policy(view.named(suffix, "aws:iam/rolePolicy:RolePolicy"))
    return {a for s in doc["Statement"] for a in s["Action"]}


def test_weights_access_is_scoped_to_the_weights_bucket_and_key(any_aws: AwsView) -> None:
    bucket = any_aws.named("storage-weights", "aws:s3/bucket:Bucket").props["bucket"]
    for role in any_aws.of_type("aws:iam/rolePolicy:RolePolicy"):
        if not role.name.startswith(f"{any_aws.target}-identities-"):
            continue
        for st in policy(role)["Statement"]:
            for resource in st["Resource"]:
                assert bucket in resource or resource == any_aws.key_arn("s3"), resource


def test_system_node_group_runs_in_private_subnets_from_a_hardened_launch_template(any_aws: AwsView) -> None:
    group = any_aws.one("aws:eks/nodeGroup:NodeGroup")
    private = {any_aws.id_of(s) for s in any_aws.of_type("aws:ec2/subnet:Subnet") if "private" in s.name}
    assert set(group.props["subnetIds"]) == private
    template = any_aws.one("aws:ec2/launchTemplate:LaunchTemplate")
    assert group.props["launchTemplate"]["id"] == any_aws.id_of(template)
    assert group.props["capacityType"] == "ON_DEMAND"
    metadata = template.props["metadataOptions"]
    assert metadata["httpTokens"] == "required"
    assert metadata["httpPutResponseHopLimit"] == 1
    assert metadata["httpEndpoint"] == "enabled"
    [interface] = template.props["networkInterfaces"]
    assert interface["associatePublicIpAddress"] == "false"
    [disk] = template.props["blockDeviceMappings"]
    assert disk["ebs"]["encrypted"] == "true"
    assert disk["ebs"]["volumeType"] == "gp3"
    assert disk["ebs"]["kmsKeyId"] == any_aws.key_arn("ebs")
    assert "remoteAccess" not in group.props


def test_node_roles_carry_only_the_node_policies(any_aws: AwsView) -> None:
    attached = {
        a.props["policyArn"].rsplit("/", 1)[-1]
        for a in any_aws.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
        if "node" in a.name
    }
    assert attached == {"AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryPullOnly"}


def test_kubernetes_provider_uses_an_exec_kubeconfig_and_is_secret(any_aws: AwsView) -> None:
    providers = any_aws.of_type("pulumi:providers:kubernetes")
    assert [p.name for p in providers] == [f"{any_aws.target}-k8s"]
    assert providers[0].props["kubeconfig"] == SECRET
    config = json.loads(kubeconfig_json("c", "https://example", "Q0E=", "us-east-1"))
    exec_ = config["users"][0]["user"]["exec"]
    assert exec_["command"] == "aws"
    assert exec_["args"][:4] == ["eks", "get-token", "--cluster-name", "c"]
    assert "token" not in config["users"][0]["user"]
