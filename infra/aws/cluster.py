"""The EKS cluster of an AWS target: control plane, add-ons, system nodes, k8s provider.

Secure settings: the API endpoint is private unless the stack lists public CIDRs; secrets
are envelope-encrypted with the target's EKS key; all five control-plane log types go to
a KMS-encrypted log group with retention; authentication is by access entries only (no
aws-auth ConfigMap); workloads get AWS credentials through EKS Pod Identity; the Kubernetes
version comes from config and stays on standard support (extended support costs 6x).
The small managed node group runs the cluster's own controllers (Karpenter must not run on
nodes it manages); GPU nodes come from Karpenter (karpenter.py).
"""

from __future__ import annotations

import json
import re
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from infra.aws.common import AwsEnv, assume_role_policy, log_group, policy_document, statement
from infra.aws.keys import Keys
from infra.aws.network import Network

CONTROL_PLANE_LOG_TYPES = ["api", "audit", "authenticator", "controllerManager", "scheduler"]
CLUSTER_ADMIN_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"

SYSTEM_NODE_LABEL = "llm-fleet.dev/node-role"
SYSTEM_NODE_INSTANCE_TYPES = ["m7i.xlarge"]
"""4 vCPU / 16 GiB: Karpenter, the load balancer controller, CoreDNS, the gateway and (with the
in-cluster monitoring stack) Prometheus fit on two of them."""
SYSTEM_NODE_DISK_GIB = 50
SYSTEM_NODES = {"dev": (2, 2, 3), "staging": (2, 2, 4), "prod": (3, 3, 6)}
"""environment -> (min, desired, max) system nodes (one per AZ in prod)."""
NODE_ROLE_POLICIES = ["AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryPullOnly"]

# Managed add-ons and their configuration. The Pod Identity agent serves AWS credentials to
# pods; the VPC CNI enforces NetworkPolicies only with its network policy agent switched on
# (the workloads' default-deny policies depend on it).
ADDONS: dict[str, dict[str, Any] | None] = {
    "vpc-cni": {"enableNetworkPolicy": "true"},
    "kube-proxy": None,
    "eks-pod-identity-agent": None,
    "coredns": None,
}


class Cluster(pulumi.ComponentResource):
    """EKS control plane, access entries, add-ons, the system node group and the k8s provider."""

    cluster: aws.eks.Cluster
    node_group: aws.eks.NodeGroup
    addons: dict[str, aws.eks.Addon]
    provider: k8s.Provider
    security_group_id: pulumi.Output[str]

    def __init__(self, name: str, env: AwsEnv, network: Network, keys: Keys, opts: pulumi.ResourceOptions | None = None):
        super().__init__("llm-fleet:aws:Cluster", name, None, opts)
        self._name = name
        self._env = env
        self._network = network
        self._keys = keys
        self._create_control_plane()
        self._create_access_entries()
        self._create_system_nodes()
        self._create_addons()
        self._create_provider()
        self.register_outputs(
            {
                "clusterName": self.cluster.name,
                "endpoint": self.cluster.endpoint,
                "securityGroupId": self.security_group_id,
            }
        )

    def _child(self, **kwargs: Any) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self, **kwargs)

    # -- control plane ------------------------------------------------------------------
    def _create_control_plane(self) -> None:
        env = self._env
        role = aws.iam.Role(
            f"{self._name}-role",
            description=f"EKS control plane of {env.cluster_name}",
            assume_role_policy=assume_role_policy("eks.amazonaws.com", extra_actions=["sts:TagSession"]),
            tags=env.tagged(),
            opts=self._child(),
        )
        attachment = aws.iam.RolePolicyAttachment(
            f"{self._name}-role-cluster-policy",
            role=role.name,
            policy_arn=env.managed_policy("AmazonEKSClusterPolicy"),
            opts=self._child(),
        )
        key_access = aws.iam.RolePolicy(
            f"{self._name}-role-secrets-key",
            role=role.id,
            policy=policy_document(
                [
                    statement(
                        "EnvelopeEncryption",
                        ["kms:Encrypt", "kms:Decrypt", "kms:ListGrants", "kms:DescribeKey"],
                        [self._keys.arn("eks")],
                    )
                ]
            ),
            opts=self._child(),
        )
        # EKS writes to /aws/eks/<name>/cluster; creating it first sets its key and retention.
        self.log_group = log_group(
            f"{self._name}-control-plane-logs",
            f"/aws/eks/{env.cluster_name}/cluster",
            env,
            self._keys.arn("logs"),
            self._child(),
        )
        public_cidrs = list(env.target.endpoint_public_access_cidrs)
        vpc_config = aws.eks.ClusterVpcConfigArgs(
            subnet_ids=[s.id for s in self._network.private_subnets],
            endpoint_private_access=True,
            endpoint_public_access=bool(public_cidrs),
            public_access_cidrs=public_cidrs or None,
        )
        self.cluster = aws.eks.Cluster(
            f"{self._name}",
            name=env.cluster_name,
            version=env.target.kubernetes_version,
            role_arn=role.arn,
            vpc_config=vpc_config,
            encryption_config=aws.eks.ClusterEncryptionConfigArgs(
                provider=aws.eks.ClusterEncryptionConfigProviderArgs(key_arn=self._keys.arn("eks")),
                resources=["secrets"],
            ),
            enabled_cluster_log_types=CONTROL_PLANE_LOG_TYPES,
            access_config=aws.eks.ClusterAccessConfigArgs(
                authentication_mode="API",
                # The identity running `pulumi up` needs cluster access to apply the in-cluster
                # resources (Helm releases, NodePools) in the same run.
                bootstrap_cluster_creator_admin_permissions=True,
            ),
            upgrade_policy=aws.eks.ClusterUpgradePolicyArgs(support_type="STANDARD"),
            deletion_protection=env.prod,
            tags=env.tagged(),
            opts=self._child(depends_on=[self.log_group, attachment, key_access]),
        )
        self.security_group_id = self.cluster.vpc_config.cluster_security_group_id

    def _create_access_entries(self) -> None:
        env = self._env
        self.access_entries: list[aws.eks.AccessEntry] = []
        for arn in env.target.admin_role_arns:
            suffix = _principal_suffix(arn)
            entry = aws.eks.AccessEntry(
                f"{self._name}-admin-{suffix}",
                cluster_name=self.cluster.name,
                principal_arn=arn,
                type="STANDARD",
                tags=env.tagged(),
                opts=self._child(),
            )
            aws.eks.AccessPolicyAssociation(
                f"{self._name}-admin-{suffix}",
                cluster_name=self.cluster.name,
                principal_arn=arn,
                policy_arn=CLUSTER_ADMIN_POLICY,
                access_scope=aws.eks.AccessPolicyAssociationAccessScopeArgs(type="cluster"),
                opts=self._child(depends_on=[entry]),
            )
            self.access_entries.append(entry)

    # -- system nodes -------------------------------------------------------------------
    def _create_system_nodes(self) -> None:
        env = self._env
        self.node_role = node_role(f"{self._name}-system-node", env, self)
        launch_template = aws.ec2.LaunchTemplate(
            f"{self._name}-system",
            description=f"System nodes of {env.cluster_name}: IMDSv2 only, encrypted gp3, no public IP",
            update_default_version=True,
            metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(
                http_endpoint="enabled",
                http_tokens="required",
                http_put_response_hop_limit=1,
                instance_metadata_tags="disabled",
            ),
            block_device_mappings=[
                aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
                    device_name="/dev/xvda",
                    ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(
                        volume_size=SYSTEM_NODE_DISK_GIB,
                        volume_type="gp3",
                        encrypted="true",
                        kms_key_id=self._keys.arn("ebs"),
                        delete_on_termination="true",
                    ),
                )
            ],
            network_interfaces=[
                aws.ec2.LaunchTemplateNetworkInterfaceArgs(
                    device_index=0,
                    associate_public_ip_address="false",
                    delete_on_termination="true",
                    security_groups=[self.security_group_id],
                )
            ],
            tag_specifications=[
                aws.ec2.LaunchTemplateTagSpecificationArgs(resource_type=kind, tags=env.tagged(Name=f"{env.cluster_name}-system"))
                for kind in ("instance", "volume", "network-interface")
            ],
            tags=env.tagged(),
            opts=self._child(),
        )
        low, desired, high = SYSTEM_NODES[env.stack.environment]
        self.node_group = aws.eks.NodeGroup(
            f"{self._name}-system",
            cluster_name=self.cluster.name,
            node_role_arn=self.node_role.arn,
            subnet_ids=[s.id for s in self._network.private_subnets],
            ami_type="AL2023_x86_64_STANDARD",
            capacity_type="ON_DEMAND",
            instance_types=SYSTEM_NODE_INSTANCE_TYPES,
            launch_template=aws.eks.NodeGroupLaunchTemplateArgs(
                id=launch_template.id,
                version=launch_template.latest_version.apply(str),
            ),
            scaling_config=aws.eks.NodeGroupScalingConfigArgs(min_size=low, desired_size=desired, max_size=high),
            update_config=aws.eks.NodeGroupUpdateConfigArgs(max_unavailable=1),
            labels={SYSTEM_NODE_LABEL: "system"},
            tags=env.tagged(),
            opts=self._child(ignore_changes=["scalingConfig.desiredSize"]),
        )

    # -- add-ons ------------------------------------------------------------------------
    def _create_addons(self) -> None:
        env = self._env
        self.addons = {}
        # The control plane installs self-managed vpc-cni, kube-proxy and CoreDNS, so nodes
        # join first; the managed add-ons then take them over (CoreDNS needs running nodes).
        for addon, configuration in ADDONS.items():
            version = aws.eks.get_addon_version_output(
                addon_name=addon,
                kubernetes_version=env.target.kubernetes_version,
                most_recent=True,
                opts=pulumi.InvokeOutputOptions(parent=self, provider=env.provider),
            )
            self.addons[addon] = aws.eks.Addon(
                f"{self._name}-{addon}",
                cluster_name=self.cluster.name,
                addon_name=addon,
                addon_version=version.version,
                configuration_values=json.dumps(configuration) if configuration else None,
                resolve_conflicts_on_create="OVERWRITE",
                resolve_conflicts_on_update="PRESERVE",
                tags=env.tagged(),
                opts=self._child(depends_on=[self.node_group]),
            )

    # -- kubernetes provider --------------------------------------------------------------
    def _create_provider(self) -> None:
        env = self._env
        kubeconfig = pulumi.Output.all(self.cluster.name, self.cluster.endpoint, self.cluster.certificate_authority.data).apply(
            lambda args: kubeconfig_json(args[0], args[1], args[2], env.region)
        )
        # Named after the target: workloads and Helm releases of every layer use this provider.
        self.provider = k8s.Provider(
            f"{env.name}-k8s",
            kubeconfig=pulumi.Output.secret(kubeconfig),
            enable_server_side_apply=True,
            opts=self._child(depends_on=[*self.addons.values(), *self.access_entries]),
        )


def node_role(name: str, env: AwsEnv, parent: pulumi.Resource) -> aws.iam.Role:
    """IAM role of EC2 nodes: join the cluster, run the VPC CNI, pull images. Nothing else:
    workloads get their own identities through Pod Identity (IMDS hop limit 1 keeps pods off
    the node role)."""
    role = aws.iam.Role(
        name,
        description=f"Nodes of {env.cluster_name}",
        assume_role_policy=assume_role_policy("ec2.amazonaws.com"),
        tags=env.tagged(),
        opts=pulumi.ResourceOptions(parent=parent),
    )
    for policy in NODE_ROLE_POLICIES:
        aws.iam.RolePolicyAttachment(
            f"{name}-{_kebab(policy)}",
            role=role.name,
            policy_arn=env.managed_policy(policy),
            opts=pulumi.ResourceOptions(parent=parent),
        )
    return role


def kubeconfig_json(cluster_name: str, endpoint: str, ca_data: str, region: str) -> str:
    """A kubeconfig that authenticates with ``aws eks get-token`` (no static credentials)."""
    return json.dumps(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": cluster_name, "cluster": {"server": endpoint, "certificate-authority-data": ca_data}}],
            "contexts": [{"name": cluster_name, "context": {"cluster": cluster_name, "user": cluster_name}}],
            "current-context": cluster_name,
            "users": [
                {
                    "name": cluster_name,
                    "user": {
                        "exec": {
                            "apiVersion": "client.authentication.k8s.io/v1beta1",
                            "command": "aws",
                            "args": ["eks", "get-token", "--cluster-name", cluster_name, "--region", region, "--output", "json"],
                            "interactiveMode": "Never",
                        }
                    },
                }
            ],
        }
    )


def _principal_suffix(arn: str) -> str:
    """Stable resource-name suffix of an IAM principal ARN (its name, DNS-label safe)."""
    tail = arn.rsplit("/", 1)[-1].rsplit(":", 1)[-1]
    return re.sub(r"[^a-z0-9-]+", "-", tail.lower()).strip("-") or "principal"


def _kebab(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", re.sub(r"(?<=[a-z0-9])([A-Z])", r"-\1", name).lower()).strip("-")
