"""The VPC: private node subnets, public LB-only subnets, NAT per environment, flow logs, S3 endpoint."""

from __future__ import annotations

import ipaddress
import json

import pytest

from infra.aws.network import DISCOVERY_TAG, SUBNET_TIER_TAG, plan_subnets
from serving.errors import LlmFleetError
from tests.aws.conftest import AwsView


def subnets(view: AwsView, tier: str) -> list:
    return sorted(
        (s for s in view.of_type("aws:ec2/subnet:Subnet") if s.props["tags"][SUBNET_TIER_TAG] == tier),
        key=lambda s: s.name,
    )


def test_vpc_spans_the_configured_cidr_with_dns(any_aws: AwsView) -> None:
    vpc = any_aws.one("aws:ec2/vpc:Vpc")
    assert vpc.props["cidrBlock"] == any_aws.config["vpcCidr"]
    assert vpc.props["enableDnsSupport"] is True
    assert vpc.props["enableDnsHostnames"] is True


def test_one_private_and_one_public_subnet_per_zone_none_with_public_ips(any_aws: AwsView) -> None:
    zones = any_aws.config["availabilityZones"]
    private, public = subnets(any_aws, "private"), subnets(any_aws, "public")
    assert len(private) == len(public) == zones
    for tier in (private, public):
        assert len({s.props["availabilityZone"] for s in tier}) == zones
    every = any_aws.of_type("aws:ec2/subnet:Subnet")
    assert all(s.props["mapPublicIpOnLaunch"] is False for s in every)
    vpc = ipaddress.ip_network(any_aws.config["vpcCidr"])
    cidrs = [ipaddress.ip_network(s.props["cidrBlock"]) for s in every]
    assert all(c.subnet_of(vpc) for c in cidrs)
    assert not any(a.overlaps(b) for i, a in enumerate(cidrs) for b in cidrs[i + 1 :])


def test_private_subnets_are_tagged_for_karpenter_and_internal_lbs_only(any_aws: AwsView) -> None:
    cluster_name = any_aws.one("aws:eks/cluster:Cluster").props["name"]
    for subnet in subnets(any_aws, "private"):
        assert subnet.props["tags"][DISCOVERY_TAG] == cluster_name
        assert subnet.props["tags"]["kubernetes.io/role/internal-elb"] == "1"
        assert "kubernetes.io/role/elb" not in subnet.props["tags"]
    for subnet in subnets(any_aws, "public"):
        assert subnet.props["tags"]["kubernetes.io/role/elb"] == "1"
        assert DISCOVERY_TAG not in subnet.props["tags"]


def test_nat_one_per_zone_in_prod_and_one_elsewhere(any_aws: AwsView) -> None:
    nats = any_aws.of_type("aws:ec2/natGateway:NatGateway")
    expected = any_aws.config["availabilityZones"] if any_aws.environment == "prod" else 1
    assert len(nats) == expected
    public_ids = {any_aws.id_of(s) for s in subnets(any_aws, "public")}
    assert {n.props["subnetId"] for n in nats} <= public_ids
    assert len({n.props["subnetId"] for n in nats}) == expected


def test_private_subnets_route_to_the_internet_only_through_nat(any_aws: AwsView) -> None:
    nat_ids = {any_aws.id_of(n) for n in any_aws.of_type("aws:ec2/natGateway:NatGateway")}
    routes = [r for r in any_aws.of_type("aws:ec2/route:Route") if "private" in r.name]
    assert len(routes) == any_aws.config["availabilityZones"]
    assert all(r.props["destinationCidrBlock"] == "0.0.0.0/0" for r in routes)
    assert all("gatewayId" not in r.props for r in routes)
    used = [r.props["natGatewayId"] for r in routes]
    assert set(used) == nat_ids
    if any_aws.environment == "prod":
        assert len(set(used)) == len(used), "each zone egresses through its own NAT in prod"


def test_public_route_table_uses_the_internet_gateway(any_aws: AwsView) -> None:
    route = any_aws.named("network-public-default")
    assert route.props["gatewayId"] == any_aws.id_of(any_aws.one("aws:ec2/internetGateway:InternetGateway"))


def test_default_security_group_has_no_rules(any_aws: AwsView) -> None:
    group = any_aws.one("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
    assert group.props.get("ingress", []) == []
    assert group.props.get("egress", []) == []


def test_flow_logs_capture_all_traffic_to_an_encrypted_log_group(any_aws: AwsView) -> None:
    flow = any_aws.one("aws:ec2/flowLog:FlowLog")
    group = any_aws.named("network-flow-logs", "aws:cloudwatch/logGroup:LogGroup")
    assert flow.props["vpcId"] == any_aws.id_of(any_aws.one("aws:ec2/vpc:Vpc"))
    assert flow.props["trafficType"] == "ALL"
    assert flow.props["logDestinationType"] == "cloud-watch-logs"
    assert flow.props["logDestination"] == any_aws.output(group, "arn")
    assert group.props["kmsKeyId"] == any_aws.key_arn("logs")
    assert group.props["retentionInDays"] >= 90
    role = any_aws.named("network-flow-logs", "aws:iam/role:Role")
    trust = json.loads(role.props["assumeRolePolicy"])["Statement"][0]
    assert trust["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}
    assert trust["Condition"]["StringEquals"]["aws:SourceAccount"]


def test_s3_is_reached_through_a_gateway_endpoint_from_every_private_route_table(any_aws: AwsView) -> None:
    endpoint = any_aws.one("aws:ec2/vpcEndpoint:VpcEndpoint")
    assert endpoint.props["vpcEndpointType"] == "Gateway"
    assert endpoint.props["serviceName"] == f"com.amazonaws.{any_aws.config['region']}.s3"
    private_tables = {
        any_aws.id_of(t) for t in any_aws.of_type("aws:ec2/routeTable:RouteTable") if "private" in t.name
    }
    assert set(endpoint.props["routeTableIds"]) == private_tables
    assert len(private_tables) == any_aws.config["availabilityZones"]


@pytest.mark.parametrize(
    ("cidr", "zones", "public_prefix"),
    [("10.40.0.0/16", 3, 24), ("10.40.0.0/16", 6, 24), ("10.50.0.0/20", 2, 27), ("172.16.0.0/18", 4, 26)],
)
def test_subnet_plan_fits_the_vpc_and_leaves_alb_subnets_at_least_27(cidr: str, zones: int, public_prefix: int) -> None:
    private, public = plan_subnets("t", cidr, zones)
    assert len(private) == len(public) == zones
    nets = [ipaddress.ip_network(c) for c in private + public]
    assert all(n.subnet_of(ipaddress.ip_network(cidr)) for n in nets)
    assert not any(a.overlaps(b) for i, a in enumerate(nets) for b in nets[i + 1 :])
    assert {ipaddress.ip_network(c).prefixlen for c in public} == {public_prefix}


@pytest.mark.parametrize(("cidr", "message"), [("10.0.0.0/24", "from /16 to /20"), ("banana", "not a network CIDR")])
def test_subnet_plan_rejects_unusable_vpc_ranges(cidr: str, message: str) -> None:
    with pytest.raises(LlmFleetError, match=message) as err:
        plan_subnets("aws-x", cidr, 3)
    assert "targets.aws-x.vpcCidr" in str(err.value)
