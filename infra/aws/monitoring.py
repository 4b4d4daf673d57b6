"""Managed metrics of an AWS target (``monitoring.stack: managed``).

An Amazon Managed Service for Prometheus workspace (encrypted with the target's logs key,
logging to a KMS-encrypted log group) and an agentless AMP scraper that reads the cluster's
pods from inside the VPC. The scraper authenticates to the cluster through an access entry
mapped to a read-only ClusterRole. With ``monitoring.stack: in-cluster`` nothing is created
here: the operations layer installs its Prometheus stack on the cluster.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
import yaml

from infra.aws.cluster import Cluster
from infra.aws.common import AwsEnv
from infra.aws.keys import Keys
from infra.aws.network import Network

COLLECTOR_USER = "aps-collector-user"
COLLECTOR_ROLE = "aps-collector-role"
SCRAPE_INTERVAL = "30s"


def scrape_configuration() -> str:
    """Prometheus scrape config of the managed collector: pods that opt in with the usual
    ``prometheus.io/scrape``, ``/port`` and ``/path`` annotations."""
    pod_annotation = "__meta_kubernetes_pod_annotation_prometheus_io_"
    config: dict[str, Any] = {
        "global": {"scrape_interval": SCRAPE_INTERVAL},
        "scrape_configs": [
            {
                "job_name": "kubernetes-pods",
                "kubernetes_sd_configs": [{"role": "pod"}],
                "relabel_configs": [
                    {"source_labels": [f"{pod_annotation}scrape"], "action": "keep", "regex": "true"},
                    {"source_labels": [f"{pod_annotation}path"], "action": "replace", "target_label": "__metrics_path__", "regex": "(.+)"},
                    {
                        "source_labels": ["__address__", f"{pod_annotation}port"],
                        "action": "replace",
                        "regex": r"([^:]+)(?::\d+)?;(\d+)",
                        "replacement": "$1:$2",
                        "target_label": "__address__",
                    },
                    {"source_labels": ["__meta_kubernetes_namespace"], "target_label": "namespace"},
                    {"source_labels": ["__meta_kubernetes_pod_name"], "target_label": "pod"},
                ],
            }
        ],
    }
    return yaml.safe_dump(config, sort_keys=False)


class ManagedPrometheus(pulumi.ComponentResource):
    """AMP workspace + scraper wired to the cluster."""

    workspace: aws.amp.Workspace
    scraper: aws.amp.Scraper

    def __init__(
        self, name: str, env: AwsEnv, network: Network, cluster: Cluster, keys: Keys, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__("llm-fleet:aws:ManagedPrometheus", name, None, opts)
        self._name = name
        self._env = env
        self._network = network
        self._cluster = cluster
        self._keys = keys
        self._create_workspace()
        self._create_scraper()
        self.register_outputs({"workspaceId": self.workspace.id, "prometheusEndpoint": self.workspace.prometheus_endpoint})

    @property
    def remote_write_url(self) -> pulumi.Output[str]:
        return pulumi.Output.concat(self.workspace.prometheus_endpoint, "api/v1/remote_write")

    def _create_workspace(self) -> None:
        env = self._env
        group = aws.cloudwatch.LogGroup(
            f"{self._name}-logs",
            name=f"/aws/vendedlogs/prometheus/{env.cluster_name}",
            retention_in_days=env.log_retention_days,
            kms_key_id=self._keys.arn("logs"),
            tags=env.tagged(),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.workspace = aws.amp.Workspace(
            f"{self._name}",
            alias=env.cluster_name,
            kms_key_arn=self._keys.arn("logs"),
            logging_configuration=aws.amp.WorkspaceLoggingConfigurationArgs(
                log_group_arn=pulumi.Output.concat(group.arn, ":*")
            ),
            tags=env.tagged(),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _create_scraper(self) -> None:
        env = self._env
        self.scraper = aws.amp.Scraper(
            f"{self._name}-scraper",
            alias=env.cluster_name,
            source=aws.amp.ScraperSourceArgs(
                eks=aws.amp.ScraperSourceEksArgs(
                    cluster_arn=self._cluster.cluster.arn,
                    subnet_ids=[s.id for s in self._network.private_subnets],
                    security_group_ids=[self._cluster.security_group_id],
                )
            ),
            destination=aws.amp.ScraperDestinationArgs(
                amp=aws.amp.ScraperDestinationAmpArgs(workspace_arn=self.workspace.arn)
            ),
            scrape_configuration=scrape_configuration(),
            tags=env.tagged(),
            opts=pulumi.ResourceOptions(parent=self),
        )
        k8s_opts = pulumi.ResourceOptions(parent=self, provider=self._cluster.provider)
        k8s.rbac.v1.ClusterRole(
            f"{self._name}-collector",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=COLLECTOR_ROLE),
            rules=[
                k8s.rbac.v1.PolicyRuleArgs(
                    api_groups=[""],
                    resources=["nodes", "nodes/proxy", "nodes/metrics", "services", "endpoints", "pods", "configmaps"],
                    verbs=["get", "list", "watch"],
                ),
                k8s.rbac.v1.PolicyRuleArgs(
                    api_groups=["discovery.k8s.io"], resources=["endpointslices"], verbs=["get", "list", "watch"]
                ),
                k8s.rbac.v1.PolicyRuleArgs(non_resource_urls=["/metrics"], verbs=["get"]),
            ],
            opts=k8s_opts,
        )
        k8s.rbac.v1.ClusterRoleBinding(
            f"{self._name}-collector",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=COLLECTOR_ROLE),
            role_ref=k8s.rbac.v1.RoleRefArgs(api_group="rbac.authorization.k8s.io", kind="ClusterRole", name=COLLECTOR_ROLE),
            subjects=[k8s.rbac.v1.SubjectArgs(kind="User", name=COLLECTOR_USER, api_group="rbac.authorization.k8s.io")],
            opts=k8s_opts,
        )
        aws.eks.AccessEntry(
            f"{self._name}-collector",
            cluster_name=self._cluster.cluster.name,
            principal_arn=self.scraper.role_arn,
            user_name=COLLECTOR_USER,
            type="STANDARD",
            tags=env.tagged(),
            opts=pulumi.ResourceOptions(parent=self),
        )
