"""Managed metrics of an AWS target (``monitoring.stack: managed``).

An Amazon Managed Service for Prometheus workspace, encrypted with the target's logs key and
logging to a KMS-encrypted log group, that the operations layer's in-cluster Prometheus
remote-writes to (SigV4) with short local retention. The Prometheus service account gets
``aps:RemoteWrite`` on this workspace only, through EKS Pod Identity; the workloads read the
endpoint from ``ClusterContext.extra["amp_remote_write_url"]``. With ``monitoring.stack:
in-cluster`` nothing is created here.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from infra.aws.cluster import Cluster
from infra.aws.common import AwsEnv, log_group, statement
from infra.aws.identity import pod_identity_role
from infra.aws.keys import Keys
from infra.workloads.operations.cluster import MONITORING_NAMESPACE, PROMETHEUS_RELEASE

PROMETHEUS_SERVICE_ACCOUNT = f"{PROMETHEUS_RELEASE}-prometheus"
"""kube-prometheus-stack names Prometheus' service account ``<fullname>-prometheus``."""


class ManagedPrometheus(pulumi.ComponentResource):
    """AMP workspace, its log group, and Prometheus' remote-write identity."""

    workspace: aws.amp.Workspace
    remote_write_role: aws.iam.Role

    def __init__(self, name: str, env: AwsEnv, cluster: Cluster, keys: Keys, opts: pulumi.ResourceOptions | None = None):
        super().__init__("llm-fleet:aws:ManagedPrometheus", name, None, opts)
        self._name = name
        self._env = env
        self._cluster = cluster
        self._keys = keys
        self._create_workspace()
        self._create_remote_write_identity()
        self.register_outputs({"workspaceId": self.workspace.id, "remoteWriteUrl": self.remote_write_url})

    @property
    def remote_write_url(self) -> pulumi.Output[str]:
        return pulumi.Output.concat(self.workspace.prometheus_endpoint, "api/v1/remote_write")

    def _create_workspace(self) -> None:
        env = self._env
        group = log_group(
            f"{self._name}-logs",
            f"/aws/vendedlogs/prometheus/{env.cluster_name}",
            env,
            self._keys.arn("logs"),
            pulumi.ResourceOptions(parent=self),
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

    def _create_remote_write_identity(self) -> None:
        self.remote_write_role = pod_identity_role(
            f"{self._name}-remote-write",
            self._env,
            self._cluster,
            MONITORING_NAMESPACE,
            PROMETHEUS_SERVICE_ACCOUNT,
            [statement("RemoteWrite", ["aps:RemoteWrite"], [self.workspace.arn])],
            "Prometheus: remote-write to the managed workspace",
            parent=self,
        )
