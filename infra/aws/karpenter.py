"""GPU capacity of an AWS target: Karpenter, one EC2NodeClass + NodePool per GPU pool, and
the NVIDIA device plugin.

Karpenter (Helm, pinned in infra/versions.py) runs on the system nodes with its own Pod
Identity role, and drains spot nodes ahead of interruptions it reads from an SQS queue fed
by EventBridge. Each GPU pool becomes an EC2NodeClass (AL2023 NVIDIA AMI pinned by alias,
IMDSv2 required with hop limit 1, a KMS-encrypted gp3 root volume sized by ``diskGib``,
private subnets and the cluster security group, cost tags) and a NodePool (the pool's
instance types and capacity type, the ``nvidia.com/gpu`` NoSchedule taint, the pool label,
and a hard ``nvidia.com/gpu`` limit of ``nodes.max x GPUs per node`` so capacity and cost
have a ceiling).

Consolidation is ``WhenEmpty``: moving a running vLLM server to repack nodes costs minutes
of model load; empty nodes (after the autoscaler removed replicas) go after
:data:`CONSOLIDATE_AFTER`. Minimum capacity comes from each placement's minimum replicas.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from infra import versions
from infra.aws.cluster import SYSTEM_NODE_LABEL, Cluster, node_role
from infra.aws.common import AwsEnv, deny_insecure_transport, policy_document, statement
from infra.aws.identity import pod_identity_role
from infra.aws.keys import Keys
from infra.aws.network import DISCOVERY_TAG, SUBNET_TIER_TAG
from infra.config import GpuPool
from infra.targets import POOL_LABEL, pool_gpu
from infra.workloads.context import GPU_TAINT

NAMESPACE = "kube-system"
SERVICE_ACCOUNT = "karpenter"
GPU_RESOURCE = "nvidia.com/gpu"
ROOT_DEVICE = "/dev/xvda"
ROOT_VOLUME_IOPS = 3000
ROOT_VOLUME_THROUGHPUT = 250
"""MB/s: above the gp3 baseline (125) so the ~12 GB serving image pulls faster."""
CONSOLIDATE_AFTER = {"dev": "5m", "staging": "10m", "prod": "15m"}
EXPIRE_AFTER = "720h"
"""Nodes are replaced after 30 days, picking up the pinned AMI and security patches."""
INTERRUPTION_MESSAGE_RETENTION_S = 300
INTERRUPTION_EVENTS: dict[str, dict[str, list[str]]] = {
    "scheduled-change": {"source": ["aws.health"], "detail-type": ["AWS Health Event"]},
    "spot-interruption": {"source": ["aws.ec2"], "detail-type": ["EC2 Spot Instance Interruption Warning"]},
    "rebalance": {"source": ["aws.ec2"], "detail-type": ["EC2 Instance Rebalance Recommendation"]},
    "instance-state-change": {"source": ["aws.ec2"], "detail-type": ["EC2 Instance State-change Notification"]},
}
"""EventBridge rule suffix -> event pattern (https://karpenter.sh/docs/concepts/disruption/#interruption)."""


class Karpenter(pulumi.ComponentResource):
    """Karpenter with its IAM, interruption queue and per-pool NodeClasses/NodePools."""

    release: k8s.helm.v3.Release
    device_plugin: k8s.helm.v3.Release
    node_classes: dict[str, k8s.apiextensions.CustomResource]
    node_pools: dict[str, k8s.apiextensions.CustomResource]

    def __init__(self, name: str, env: AwsEnv, cluster: Cluster, keys: Keys, opts: pulumi.ResourceOptions | None = None):
        super().__init__("llm-fleet:aws:Karpenter", name, None, opts)
        self._name = name
        self._env = env
        self._cluster = cluster
        self._keys = keys
        self._create_node_role()
        self._create_interruption_queue()
        self._create_controller_role()
        self._create_release()
        self._create_device_plugin()
        self.node_classes = {}
        self.node_pools = {}
        for pool in env.target.gpu_pools:
            self._create_pool(pool)
        self.register_outputs(
            {
                "nodeRoleArn": self.node_role.arn,
                "interruptionQueue": self.queue.name,
                "nodePools": sorted(self.node_pools),
            }
        )

    def _child(self, **kwargs: Any) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self, **kwargs)

    def _k8s(self, **kwargs: Any) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self, provider=self._cluster.provider, **kwargs)

    # -- AWS side -------------------------------------------------------------------------
    def _create_node_role(self) -> None:
        self.node_role = node_role(f"{self._name}-node", self._env, self)
        # Nodes launched by Karpenter join through an EC2_LINUX access entry of their role.
        self.node_access = aws.eks.AccessEntry(
            f"{self._name}-node",
            cluster_name=self._cluster.cluster.name,
            principal_arn=self.node_role.arn,
            type="EC2_LINUX",
            tags=self._env.tagged(),
            opts=self._child(),
        )

    def _create_interruption_queue(self) -> None:
        env = self._env
        self.queue = aws.sqs.Queue(
            f"{self._name}-interruptions",
            name=f"{env.cluster_name}-karpenter",
            message_retention_seconds=INTERRUPTION_MESSAGE_RETENTION_S,
            sqs_managed_sse_enabled=True,
            tags=env.tagged(),
            opts=self._child(),
        )
        rules = []
        for suffix, pattern in INTERRUPTION_EVENTS.items():
            rule = aws.cloudwatch.EventRule(
                f"{self._name}-{suffix}",
                description=f"Karpenter interruption handling for {env.cluster_name}: {suffix}",
                event_pattern=pulumi.Output.json_dumps(pattern),
                tags=env.tagged(),
                opts=self._child(),
            )
            aws.cloudwatch.EventTarget(
                f"{self._name}-{suffix}",
                rule=rule.name,
                arn=self.queue.arn,
                target_id="karpenter-interruption-queue",
                opts=self._child(),
            )
            rules.append(rule)
        aws.sqs.QueuePolicy(
            f"{self._name}-interruptions",
            queue_url=self.queue.url,
            policy=policy_document(
                [
                    statement(
                        "AllowEventBridgeRules",
                        ["sqs:SendMessage"],
                        [self.queue.arn],
                        principal={"Service": "events.amazonaws.com"},
                        conditions={"ArnEquals": {"aws:SourceArn": [r.arn for r in rules]}},
                    ),
                    deny_insecure_transport("sqs:*", [self.queue.arn]),
                ]
            ),
            opts=self._child(),
        )

    def _create_controller_role(self) -> None:
        env = self._env
        cluster = env.cluster_name
        ec2 = lambda resource: env.arn("ec2", resource)  # noqa: E731
        launched = [ec2(r) for r in ("fleet/*", "instance/*", "volume/*", "network-interface/*", "launch-template/*", "spot-instances-request/*")]
        owned = {f"aws:ResourceTag/kubernetes.io/cluster/{cluster}": "owned"}
        tagging_request = {f"aws:RequestTag/kubernetes.io/cluster/{cluster}": "owned"}
        statements = [
            statement(
                "AllowScopedEC2InstanceAccessActions",
                ["ec2:RunInstances", "ec2:CreateFleet"],
                [env.arn("ec2", "image/*", account=False), env.arn("ec2", "snapshot/*", account=False),
                 ec2("security-group/*"), ec2("subnet/*"), ec2("capacity-reservation/*")],
            ),
            statement(
                "AllowScopedEC2LaunchTemplateAccessActions",
                ["ec2:RunInstances", "ec2:CreateFleet"],
                [ec2("launch-template/*")],
                conditions={"StringEquals": owned, "StringLike": {"aws:ResourceTag/karpenter.sh/nodepool": "*"}},
            ),
            statement(
                "AllowScopedEC2InstanceActionsWithTags",
                ["ec2:RunInstances", "ec2:CreateFleet", "ec2:CreateLaunchTemplate"],
                launched,
                conditions={"StringEquals": tagging_request, "StringLike": {"aws:RequestTag/karpenter.sh/nodepool": "*"}},
            ),
            statement(
                "AllowScopedResourceCreationTagging",
                ["ec2:CreateTags"],
                launched,
                conditions={
                    "StringEquals": {**tagging_request, "ec2:CreateAction": ["RunInstances", "CreateFleet", "CreateLaunchTemplate"]},
                    "StringLike": {"aws:RequestTag/karpenter.sh/nodepool": "*"},
                },
            ),
            statement(
                "AllowScopedResourceTagging",
                ["ec2:CreateTags"],
                [ec2("instance/*")],
                conditions={"StringEquals": owned, "StringLike": {"aws:ResourceTag/karpenter.sh/nodepool": "*"}},
            ),
            statement(
                "AllowScopedDeletion",
                ["ec2:TerminateInstances", "ec2:DeleteLaunchTemplate"],
                [ec2("instance/*"), ec2("launch-template/*")],
                conditions={"StringEquals": owned, "StringLike": {"aws:ResourceTag/karpenter.sh/nodepool": "*"}},
            ),
            statement(
                "AllowRegionalReadActions",
                [
                    "ec2:DescribeAvailabilityZones", "ec2:DescribeCapacityReservations", "ec2:DescribeImages",
                    "ec2:DescribeInstances", "ec2:DescribeInstanceTypeOfferings", "ec2:DescribeInstanceTypes",
                    "ec2:DescribeLaunchTemplates", "ec2:DescribeSecurityGroups", "ec2:DescribeSpotPriceHistory",
                    "ec2:DescribeSubnets",
                ],
                conditions={"StringEquals": {"aws:RequestedRegion": env.region}},
            ),
            statement(
                "AllowSSMReadActions",
                ["ssm:GetParameter"],
                [env.arn("ssm", "parameter/aws/service/*", account=False)],
            ),
            statement("AllowPricingReadActions", ["pricing:GetProducts"]),
            statement(
                "AllowInterruptionQueueActions",
                ["sqs:DeleteMessage", "sqs:GetQueueUrl", "sqs:ReceiveMessage"],
                [self.queue.arn],
            ),
            statement(
                "AllowPassingInstanceRole",
                ["iam:PassRole"],
                [self.node_role.arn],
                conditions={"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}},
            ),
            statement(
                "AllowScopedInstanceProfileCreation",
                ["iam:CreateInstanceProfile", "iam:TagInstanceProfile"],
                [pulumi.Output.concat("arn:", env.partition, ":iam::", env.account_id, ":instance-profile/*")],
                conditions={
                    "StringEquals": {**tagging_request, "aws:RequestTag/topology.kubernetes.io/region": env.region},
                    "StringLike": {"aws:RequestTag/karpenter.k8s.aws/ec2nodeclass": "*"},
                },
            ),
            statement(
                "AllowScopedInstanceProfileActions",
                ["iam:AddRoleToInstanceProfile", "iam:RemoveRoleFromInstanceProfile", "iam:DeleteInstanceProfile", "iam:TagInstanceProfile"],
                [pulumi.Output.concat("arn:", env.partition, ":iam::", env.account_id, ":instance-profile/*")],
                conditions={
                    "StringEquals": {**owned, "aws:ResourceTag/topology.kubernetes.io/region": env.region},
                    "StringLike": {"aws:ResourceTag/karpenter.k8s.aws/ec2nodeclass": "*"},
                },
            ),
            statement("AllowInstanceProfileReadActions", ["iam:GetInstanceProfile", "iam:ListInstanceProfiles"]),
            statement(
                "AllowAPIServerEndpointDiscovery",
                ["eks:DescribeCluster"],
                [env.arn("eks", f"cluster/{cluster}")],
            ),
            # Launching nodes whose root volumes use the target's EBS key.
            statement(
                "AllowEncryptedNodeVolumes",
                ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
                [self._keys.arn("ebs")],
                conditions={"StringEquals": {"kms:ViaService": f"ec2.{env.region}.amazonaws.com"}},
            ),
            statement(
                "AllowEncryptedNodeVolumeGrants",
                ["kms:CreateGrant"],
                [self._keys.arn("ebs")],
                conditions={"Bool": {"kms:GrantIsForAWSResource": "true"}},
            ),
        ]
        self.controller_role = pod_identity_role(
            f"{self._name}-controller",
            env,
            self._cluster,
            NAMESPACE,
            SERVICE_ACCOUNT,
            statements,
            "Karpenter controller: launch and terminate GPU nodes",
            parent=self,
        )

    # -- cluster side -----------------------------------------------------------------------
    def _create_release(self) -> None:
        env = self._env
        chart = versions.KARPENTER
        self.release = k8s.helm.v3.Release(
            f"{self._name}",
            name="karpenter",
            **chart.release_args(),
            namespace=NAMESPACE,
            create_namespace=False,
            values={
                "settings": {
                    "clusterName": env.cluster_name,
                    "clusterEndpoint": self._cluster.cluster.endpoint,
                    "interruptionQueue": self.queue.name,
                },
                "serviceAccount": {"name": SERVICE_ACCOUNT},
                "replicas": 2 if env.prod else 1,
                "nodeSelector": {SYSTEM_NODE_LABEL: "system"},
                "controller": {
                    "resources": {"requests": {"cpu": "500m", "memory": "1Gi"}, "limits": {"memory": "1Gi"}},
                },
            },
            opts=self._k8s(depends_on=[self.controller_role, self.node_access]),
        )

    def _create_device_plugin(self) -> None:
        chart = versions.NVIDIA_DEVICE_PLUGIN
        self.device_plugin = k8s.helm.v3.Release(
            f"{self._name}-nvidia-device-plugin",
            name="nvidia-device-plugin",
            **chart.release_args(),
            namespace=NAMESPACE,
            create_namespace=False,
            values={
                "priorityClassName": "system-node-critical",
                "tolerations": [dict(GPU_TAINT), {"key": "CriticalAddonsOnly", "operator": "Exists"}],
                # Only on this target's GPU pools (the chart's default affinity needs NFD labels).
                "affinity": {
                    "nodeAffinity": {
                        "requiredDuringSchedulingIgnoredDuringExecution": {
                            "nodeSelectorTerms": [{"matchExpressions": [{"key": POOL_LABEL, "operator": "Exists"}]}]
                        }
                    }
                },
            },
            opts=self._k8s(),
        )

    def _create_pool(self, pool: GpuPool) -> None:
        env = self._env
        _, gpus_per_node = pool_gpu(env.target, pool)
        node_class = k8s.apiextensions.CustomResource(
            f"{self._name}-{pool.name}-nodeclass",
            api_version="karpenter.k8s.aws/v1",
            kind="EC2NodeClass",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=pool.name, labels={POOL_LABEL: pool.name}),
            spec={
                "role": self.node_role.name,
                "amiSelectorTerms": [{"alias": versions.KARPENTER_AMI_ALIAS}],
                "subnetSelectorTerms": [{"tags": {DISCOVERY_TAG: env.cluster_name, SUBNET_TIER_TAG: "private"}}],
                "securityGroupSelectorTerms": [{"id": self._cluster.security_group_id}],
                "associatePublicIPAddress": False,
                "metadataOptions": {
                    "httpEndpoint": "enabled",
                    "httpProtocolIPv6": "disabled",
                    "httpPutResponseHopLimit": 1,
                    "httpTokens": "required",
                },
                "blockDeviceMappings": [
                    {
                        "deviceName": ROOT_DEVICE,
                        "rootVolume": True,
                        "ebs": {
                            "volumeSize": f"{pool.disk_gib}Gi",
                            "volumeType": "gp3",
                            "iops": ROOT_VOLUME_IOPS,
                            "throughput": ROOT_VOLUME_THROUGHPUT,
                            "encrypted": True,
                            "kmsKeyID": self._keys.arn("ebs"),
                            "deleteOnTermination": True,
                        },
                    }
                ],
                "tags": env.tagged(**{"llm-fleet-gpu-pool": pool.name}),
            },
            opts=self._k8s(depends_on=[self.release]),
        )
        requirements: list[dict[str, Any]] = [
            {"key": "node.kubernetes.io/instance-type", "operator": "In", "values": list(pool.instance_types)},
            {"key": "karpenter.sh/capacity-type", "operator": "In", "values": [pool.capacity_type]},
            {"key": "kubernetes.io/os", "operator": "In", "values": ["linux"]},
        ]
        if pool.zones:
            requirements.append({"key": "topology.kubernetes.io/zone", "operator": "In", "values": list(pool.zones)})
        node_pool = k8s.apiextensions.CustomResource(
            f"{self._name}-{pool.name}-nodepool",
            api_version="karpenter.sh/v1",
            kind="NodePool",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=pool.name, labels={POOL_LABEL: pool.name}),
            spec={
                "template": {
                    "metadata": {"labels": {POOL_LABEL: pool.name}},
                    "spec": {
                        "nodeClassRef": {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": pool.name},
                        "requirements": requirements,
                        "taints": [{"key": GPU_TAINT["key"], "effect": GPU_TAINT["effect"]}],
                        "expireAfter": EXPIRE_AFTER,
                    },
                },
                "disruption": {
                    "consolidationPolicy": "WhenEmpty",
                    "consolidateAfter": CONSOLIDATE_AFTER[env.stack.environment],
                    "budgets": [{"nodes": "1"}],
                },
                "limits": {GPU_RESOURCE: pool.nodes.max * gpus_per_node},
            },
            opts=self._k8s(depends_on=[node_class]),
        )
        self.node_classes[pool.name] = node_class
        self.node_pools[pool.name] = node_pool
