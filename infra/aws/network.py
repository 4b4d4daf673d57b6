"""The VPC of an AWS target.

Private subnets (one per AZ) hold every node; public subnets hold only the load balancer
and the NAT gateways; no subnet hands out public IPs. NAT: one per AZ in prod (an AZ
outage does not cut egress), one in other environments (cost). All traffic is logged to
a KMS-encrypted log group; S3 (model weights) is reached through a gateway endpoint, off
the NAT (no per-GB NAT charge on tens of GB of weights).
"""

from __future__ import annotations

import ipaddress

import pulumi
import pulumi_aws as aws

from infra.aws.common import AwsEnv, assume_role_policy, log_group, policy_document, statement
from infra.aws.keys import Keys
from serving.errors import LlmFleetError

SUBNET_TIER_TAG = "llm-fleet.dev/subnet-tier"
DISCOVERY_TAG = "karpenter.sh/discovery"
"""Tag Karpenter's EC2NodeClass selects the node subnets by (value: the cluster name)."""
FLOW_LOG_AGGREGATION_S = 60
ALB_SUBNET_MIN_PREFIX = 27


def plan_subnets(target_name: str, vpc_cidr: str, zones: int) -> tuple[list[str], list[str]]:
    """(private, public) CIDRs: private subnets take 1/8 of the VPC range each (up to 7 AZs);
    public ones (only ALB and NAT interfaces) are carved from the last eighth."""
    try:
        network = ipaddress.ip_network(vpc_cidr)
    except ValueError:
        raise LlmFleetError(
            f"targets.{target_name}.vpcCidr: '{vpc_cidr}' is not a network CIDR (e.g. 10.40.0.0/16)"
        ) from None
    if network.version != 4 or not 16 <= network.prefixlen <= 20:
        raise LlmFleetError(
            f"targets.{target_name}.vpcCidr: '{vpc_cidr}' is not allowed; use an IPv4 range from /16 to /20"
        )
    blocks = list(network.subnets(prefixlen_diff=3))
    private = [str(b) for b in blocks[:zones]]
    # An ALB subnet needs at least a /27; /24 when the VPC is large enough.
    public_diff = min(5, ALB_SUBNET_MIN_PREFIX - blocks[-1].prefixlen)
    public = [str(b) for b in list(blocks[-1].subnets(prefixlen_diff=public_diff))[:zones]]
    return private, public


class Network(pulumi.ComponentResource):
    """VPC, subnets, routing, NAT, flow logs and the S3 gateway endpoint."""

    vpc: aws.ec2.Vpc
    private_subnets: list[aws.ec2.Subnet]
    public_subnets: list[aws.ec2.Subnet]
    nat_gateways: list[aws.ec2.NatGateway]
    private_route_tables: list[aws.ec2.RouteTable]

    def __init__(self, name: str, env: AwsEnv, keys: Keys, opts: pulumi.ResourceOptions | None = None):
        super().__init__("llm-fleet:aws:Network", name, None, opts)
        self._name = name
        self._env = env
        self._keys = keys
        zones = env.target.availability_zones
        self._private_cidrs, self._public_cidrs = plan_subnets(env.name, env.target.vpc_cidr, zones)
        available = aws.get_availability_zones_output(
            state="available", opts=pulumi.InvokeOutputOptions(parent=self, provider=env.provider)
        )
        self._zones = [available.names.apply(lambda names, i=i: _zone(names, i, env)) for i in range(zones)]

        self._create_vpc()
        self._create_public_subnets()
        self._create_nat_gateways()
        self._create_private_subnets()
        self._create_flow_logs()
        self._create_s3_endpoint()
        self.register_outputs(
            {
                "vpcId": self.vpc.id,
                "privateSubnetIds": [s.id for s in self.private_subnets],
                "publicSubnetIds": [s.id for s in self.public_subnets],
            }
        )

    @property
    def nat_per_zone(self) -> bool:
        return self._env.prod

    def _child(self, **kwargs: object) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self, **kwargs)  # type: ignore[arg-type]

    def _create_vpc(self) -> None:
        env = self._env
        self.vpc = aws.ec2.Vpc(
            f"{self._name}-vpc",
            cidr_block=env.target.vpc_cidr,
            enable_dns_support=True,
            enable_dns_hostnames=True,
            tags=env.tagged(Name=env.cluster_name),
            opts=self._child(),
        )
        # The default security group allows all traffic between its members: strip its rules.
        aws.ec2.DefaultSecurityGroup(
            f"{self._name}-default-sg",
            vpc_id=self.vpc.id,
            ingress=[],
            egress=[],
            tags=env.tagged(Name=f"{env.cluster_name}-default-unused"),
            opts=self._child(),
        )
        self.internet_gateway = aws.ec2.InternetGateway(
            f"{self._name}-igw",
            vpc_id=self.vpc.id,
            tags=env.tagged(Name=env.cluster_name),
            opts=self._child(),
        )

    def _create_public_subnets(self) -> None:
        env = self._env
        table = aws.ec2.RouteTable(
            f"{self._name}-public",
            vpc_id=self.vpc.id,
            tags=env.tagged(Name=f"{env.cluster_name}-public"),
            opts=self._child(),
        )
        aws.ec2.Route(
            f"{self._name}-public-default",
            route_table_id=table.id,
            destination_cidr_block="0.0.0.0/0",
            gateway_id=self.internet_gateway.id,
            opts=self._child(),
        )
        self.public_subnets = []
        for i, cidr in enumerate(self._public_cidrs):
            subnet = aws.ec2.Subnet(
                f"{self._name}-public-{i}",
                vpc_id=self.vpc.id,
                cidr_block=cidr,
                availability_zone=self._zones[i],
                map_public_ip_on_launch=False,
                tags=env.tagged(
                    Name=f"{env.cluster_name}-public-{i}",
                    **{SUBNET_TIER_TAG: "public", "kubernetes.io/role/elb": "1"},
                ),
                opts=self._child(),
            )
            aws.ec2.RouteTableAssociation(
                f"{self._name}-public-{i}",
                subnet_id=subnet.id,
                route_table_id=table.id,
                opts=self._child(),
            )
            self.public_subnets.append(subnet)

    def _create_nat_gateways(self) -> None:
        env = self._env
        count = len(self.public_subnets) if self.nat_per_zone else 1
        self.nat_gateways = []
        for i in range(count):
            eip = aws.ec2.Eip(
                f"{self._name}-nat-{i}",
                domain="vpc",
                tags=env.tagged(Name=f"{env.cluster_name}-nat-{i}"),
                opts=self._child(depends_on=[self.internet_gateway]),
            )
            self.nat_gateways.append(
                aws.ec2.NatGateway(
                    f"{self._name}-nat-{i}",
                    allocation_id=eip.allocation_id,
                    subnet_id=self.public_subnets[i].id,
                    connectivity_type="public",
                    tags=env.tagged(Name=f"{env.cluster_name}-nat-{i}"),
                    opts=self._child(),
                )
            )

    def _create_private_subnets(self) -> None:
        env = self._env
        self.private_subnets = []
        self.private_route_tables = []
        for i, cidr in enumerate(self._private_cidrs):
            subnet = aws.ec2.Subnet(
                f"{self._name}-private-{i}",
                vpc_id=self.vpc.id,
                cidr_block=cidr,
                availability_zone=self._zones[i],
                map_public_ip_on_launch=False,
                tags=env.tagged(
                    Name=f"{env.cluster_name}-private-{i}",
                    **{
                        SUBNET_TIER_TAG: "private",
                        DISCOVERY_TAG: env.cluster_name,
                        "kubernetes.io/role/internal-elb": "1",
                    },
                ),
                opts=self._child(),
            )
            table = aws.ec2.RouteTable(
                f"{self._name}-private-{i}",
                vpc_id=self.vpc.id,
                tags=env.tagged(Name=f"{env.cluster_name}-private-{i}"),
                opts=self._child(),
            )
            nat = self.nat_gateways[i if self.nat_per_zone else 0]
            aws.ec2.Route(
                f"{self._name}-private-{i}-default",
                route_table_id=table.id,
                destination_cidr_block="0.0.0.0/0",
                nat_gateway_id=nat.id,
                opts=self._child(),
            )
            aws.ec2.RouteTableAssociation(
                f"{self._name}-private-{i}",
                subnet_id=subnet.id,
                route_table_id=table.id,
                opts=self._child(),
            )
            self.private_subnets.append(subnet)
            self.private_route_tables.append(table)

    def _create_flow_logs(self) -> None:
        env = self._env
        self.flow_log_group = log_group(
            f"{self._name}-flow-logs", f"/{env.cluster_name}/vpc-flow-logs", env, self._keys.arn("logs"), self._child()
        )
        role = aws.iam.Role(
            f"{self._name}-flow-logs",
            description=f"VPC flow logs of {env.cluster_name} to CloudWatch Logs",
            assume_role_policy=assume_role_policy(
                "vpc-flow-logs.amazonaws.com",
                conditions={
                    "StringEquals": {"aws:SourceAccount": env.account_id},
                    "ArnLike": {"aws:SourceArn": env.arn("ec2", "vpc-flow-log/*")},
                },
            ),
            tags=env.tagged(),
            opts=self._child(),
        )
        aws.iam.RolePolicy(
            f"{self._name}-flow-logs",
            role=role.id,
            policy=policy_document(
                [
                    statement(
                        "WriteFlowLogs",
                        ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                        [pulumi.Output.concat(self.flow_log_group.arn, ":*")],
                    ),
                    statement("DescribeLogGroups", ["logs:DescribeLogGroups"]),
                ]
            ),
            opts=self._child(),
        )
        self.flow_log = aws.ec2.FlowLog(
            f"{self._name}-flow-log",
            vpc_id=self.vpc.id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=self.flow_log_group.arn,
            iam_role_arn=role.arn,
            max_aggregation_interval=FLOW_LOG_AGGREGATION_S,
            tags=env.tagged(),
            opts=self._child(),
        )

    def _create_s3_endpoint(self) -> None:
        env = self._env
        self.s3_endpoint = aws.ec2.VpcEndpoint(
            f"{self._name}-s3",
            vpc_id=self.vpc.id,
            service_name=f"com.amazonaws.{env.region}.s3",
            vpc_endpoint_type="Gateway",
            route_table_ids=[t.id for t in self.private_route_tables],
            tags=env.tagged(Name=f"{env.cluster_name}-s3"),
            opts=self._child(),
        )


def _zone(names: list[str], index: int, env: AwsEnv) -> str:
    if index >= len(names):
        raise LlmFleetError(
            f"targets.{env.name}.availabilityZones: {env.target.availability_zones} is not allowed; "
            f"{env.region} has {len(names)} available zones"
        )
    return names[index]
