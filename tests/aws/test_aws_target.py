"""Target-wide: provider and default tags, cost tags on billable resources, protection, and the
ClusterContext handed to the workloads."""

from __future__ import annotations

import json

from infra import naming
from infra.targets import POOL_LABEL
from infra.workloads.gateway import GATEWAY_KEY
from tests.aws.conftest import AwsView, resolved

BILLABLE = {
    "aws:ec2/vpc:Vpc", "aws:ec2/natGateway:NatGateway", "aws:ec2/eip:Eip", "aws:ec2/vpcEndpoint:VpcEndpoint",
    "aws:ec2/flowLog:FlowLog", "aws:eks/cluster:Cluster", "aws:eks/nodeGroup:NodeGroup",
    "aws:ec2/launchTemplate:LaunchTemplate", "aws:eks/addon:Addon", "aws:lb/loadBalancer:LoadBalancer",
    "aws:lb/targetGroup:TargetGroup", "aws:wafv2/webAcl:WebAcl", "aws:kms/key:Key", "aws:s3/bucket:Bucket",
    "aws:ecr/repository:Repository", "aws:cloudwatch/logGroup:LogGroup", "aws:sqs/queue:Queue",
    "aws:acm/certificate:Certificate", "aws:amp/workspace:Workspace", "aws:budgets/budget:Budget",
}
STATEFUL = {"aws:kms/key:Key", "aws:s3/bucket:Bucket", "aws:ecr/repository:Repository"}


def cost_tags(view: AwsView) -> dict[str, str]:
    config = view.plan.config
    return naming.cost_tags(config["environment"], config["owner"], config["costCenter"], target=view.target)


def test_provider_is_in_the_target_region_with_cost_tags_as_default_tags(any_aws: AwsView) -> None:
    [provider] = any_aws.of_type("pulumi:providers:aws")
    assert provider.props["region"] == any_aws.config["region"]
    # Provider inputs reach the engine JSON-encoded.
    assert json.loads(provider.props["defaultTags"]) == {"tags": cost_tags(any_aws)}
    for resource in any_aws.resources:
        if resource.type.startswith("aws:"):
            assert resource.provider == provider.urn, resource.name


def test_billable_resources_carry_the_cost_tags_explicitly(any_aws: AwsView) -> None:
    expected = cost_tags(any_aws)
    seen = set()
    for resource in any_aws.resources:
        if resource.type in BILLABLE or (resource.type.startswith("aws:") and "tags" in resource.props):
            tags = resource.props.get("tags") or {}
            assert expected.items() <= tags.items(), f"{resource.type} {resource.name}"
            seen.add(resource.type)
    assert seen >= BILLABLE - {"aws:amp/workspace:Workspace"}


def test_stateful_resources_are_protected(any_aws: AwsView) -> None:
    stateful = [r for r in any_aws.resources if r.type in STATEFUL]
    assert len(stateful) == 5 + 2 + 1
    assert all(r.protect for r in stateful)


def test_context_schedules_each_pool_by_its_label_and_gpu_taint(any_aws: AwsView) -> None:
    context = any_aws.component.context
    assert set(context.pools) == {p["name"] for p in any_aws.config["gpuPools"]}
    for name, pool in context.pools.items():
        assert pool.node_selector == {POOL_LABEL: name}
        assert pool.tolerations == [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]
        config = next(p for p in any_aws.config["gpuPools"] if p["name"] == name)
        assert pool.max_nodes == config["nodes"]["max"]
        assert list(pool.instance_types) == config["instanceTypes"]


def test_context_uses_pod_identity_kubernetes_secrets_and_the_target_provider(any_aws: AwsView) -> None:
    target = any_aws.component
    context = target.context
    assert context.server_sa_annotations == {} and context.stager_sa_annotations == {}
    assert context.api_key_source == "kubernetes"
    assert context.provider is target.cluster.provider
    assert context.extra[GATEWAY_KEY] is target.gateway
    assert context.gateway == target.gateway.ref


def test_workloads_wait_for_node_pools_addons_and_identities(any_aws: AwsView) -> None:
    target = any_aws.component
    waits = {id(r) for r in target.context.depends_on}
    required = [
        *target.karpenter.node_pools.values(),
        target.karpenter.release,
        target.karpenter.device_plugin,
        *target.cluster.addons.values(),
        target.identities,
        *target.gateway.ready,
    ]
    assert all(id(r) in waits for r in required)


def test_kubernetes_resources_of_the_target_use_its_cluster_provider(any_aws: AwsView) -> None:
    [provider] = any_aws.of_type("pulumi:providers:kubernetes")
    for resource in any_aws.resources:
        if resource.type.startswith("kubernetes:"):
            assert resource.provider == provider.urn, resource.name


def test_routing_aliases_routed_hostnames_to_the_alb(prod_aws: AwsView) -> None:
    lb = prod_aws.one("aws:lb/loadBalancer:LoadBalancer")
    alias = prod_aws.component.edge_alias
    assert resolved(alias["name"]) == prod_aws.output(lb, "dnsName")
    assert resolved(alias["zone_id"]) == prod_aws.output(lb, "zoneId")
    routed = [r for r in prod_aws.plan.resources
              if r.type == "aws:route53/record:Record" and r.name.startswith("route-") and r.name.endswith("-aws-use1")]
    assert routed
    for record in routed:
        assert record.props["aliases"][0]["name"] == prod_aws.output(lb, "dnsName")
