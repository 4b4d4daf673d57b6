"""NET-15: the subnets nodes run in send no internet traffic straight to an internet gateway."""

from policy.props import as_list, get
from policy.rules._helpers import cidrs_open, refers_to, resource_names
from policy.rules.base import Violation, stack_rule

ROUTE = "aws:ec2/route:Route"
ROUTE_TABLE = "aws:ec2/routeTable:RouteTable"
ASSOCIATION = "aws:ec2/routeTableAssociation:RouteTableAssociation"


def _node_subnets(ctx) -> set[str]:
    subnets = set()
    for cluster in ctx.of_type("aws:eks/cluster:Cluster"):
        subnets |= {str(s) for s in as_list(get(cluster.props, "vpcConfig.subnetIds"))}
    for group in ctx.of_type("aws:eks/nodeGroup:NodeGroup"):
        subnets |= {str(s) for s in as_list(get(group.props, "subnetIds"))}
    return subnets


def _to_igw(route) -> bool:
    target = str(get(route, "gatewayId") or "")
    if not target or not cidrs_open(
        [
            get(route, "destinationCidrBlock"),
            get(route, "ipv6CidrBlock"),
            get(route, "destinationIpv6CidrBlock"),
            get(route, "cidrBlock"),
        ]
    ):
        return False
    # gatewayId names an internet gateway or a virtual private gateway (vgw-); NAT gateways have their own field.
    return not target.startswith(("vgw-", "local"))


@stack_rule(
    id="NET-15",
    title="The subnets nodes run in send no internet traffic straight to an internet gateway",
    severity="high",
    category="security",
    types=(ROUTE, ROUTE_TABLE, ASSOCIATION, "aws:eks/cluster:Cluster", "aws:eks/nodeGroup:NodeGroup"),
    remediation="Route the node subnets' 0.0.0.0/0 through a NAT gateway; only the load balancer's public subnets "
    "route to the internet gateway (a node there is one public IP away from the internet).",
    references=("CIS AWS 3.0 5.6", "custom"),
)
def disallow_public_node_subnets(ctx):
    nodes = _node_subnets(ctx)
    if not nodes:
        return
    tables = {
        str(get(a.props, "routeTableId")) for a in ctx.of_type(ASSOCIATION) if str(get(a.props, "subnetId")) in nodes
    }
    for route in ctx.of_type(ROUTE):
        if str(get(route.props, "routeTableId")) in tables and _to_igw(route.props):
            yield Violation(
                "a node subnet's route table sends 0.0.0.0/0 to an internet gateway; expected a NAT gateway", route.urn
            )
    for table in ctx.of_type(ROUTE_TABLE):
        if not any(refers_to(t, resource_names(table)) for t in tables):
            continue
        for entry in as_list(get(table.props, "routes")):
            if _to_igw(entry):
                yield Violation(
                    "a node subnet's route table sends 0.0.0.0/0 to an internet gateway; expected a NAT gateway",
                    table.urn,
                )
