"""Managed Prometheus when the target asks for it; nothing AWS-side for the in-cluster stack."""

from __future__ import annotations

from infra.aws.monitoring import PROMETHEUS_SERVICE_ACCOUNT
from tests.aws.conftest import AwsView, policy, resolved


def test_in_cluster_monitoring_creates_no_workspace(aws: AwsView) -> None:
    assert aws.config["monitoring"]["stack"] == "in-cluster"
    assert aws.of_type("aws:amp/workspace:Workspace") == []
    assert "amp_remote_write_url" not in aws.component.context.extra


def test_managed_monitoring_gets_an_encrypted_logged_workspace(variant_aws: AwsView) -> None:
    workspace = variant_aws.one("aws:amp/workspace:Workspace")
    assert workspace.props["kmsKeyArn"] == variant_aws.key_arn("logs")
    group = variant_aws.named("metrics-logs", "aws:cloudwatch/logGroup:LogGroup")
    assert group.props["kmsKeyId"] == variant_aws.key_arn("logs")
    assert workspace.props["loggingConfiguration"]["logGroupArn"] == variant_aws.output(group, "arn") + ":*"


def test_prometheus_may_only_remote_write_to_that_workspace(variant_aws: AwsView) -> None:
    workspace = variant_aws.one("aws:amp/workspace:Workspace")
    association = next(
        a for a in variant_aws.of_type("aws:eks/podIdentityAssociation:PodIdentityAssociation")
        if a.props["serviceAccount"] == PROMETHEUS_SERVICE_ACCOUNT
    )
    assert association.props["namespace"] == "monitoring"
    [statement] = policy(variant_aws.named("metrics-remote-write", "aws:iam/rolePolicy:RolePolicy"))["Statement"]
    assert statement["Action"] == ["aps:RemoteWrite"]
    assert statement["Resource"] == [variant_aws.output(workspace, "arn")]
    url = resolved(variant_aws.component.context.extra["amp_remote_write_url"])
    assert url == variant_aws.output(workspace, "prometheusEndpoint") + "api/v1/remote_write"
    release = next(r for r in variant_aws.of_type("kubernetes:helm.sh/v3:Release") if "kube-prometheus" in r.name)
    assert release.props["values"]["prometheus"]["prometheusSpec"]["remoteWrite"][0]["url"] == url
