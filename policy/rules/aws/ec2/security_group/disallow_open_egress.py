"""NET-10: no security group allows all traffic out to the internet."""

from policy.props import as_list, get
from policy.rules._helpers import cidrs_open
from policy.rules._network import ALL_PORTS, DEFAULT_SG, SG, SG_RULE, port_range, protocol_of
from policy.rules.base import resource_rule

SG_EGRESS_RULE = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"


def _egress(resource):
    props = resource.props
    if resource.type in (SG, DEFAULT_SG):
        for index, rule in enumerate(as_list(get(props, "egress"))):
            cidrs = as_list(get(rule, "cidrBlocks")) + as_list(get(rule, "ipv6CidrBlocks"))
            yield f"egress[{index}]", protocol_of(get(rule, "protocol")), rule, cidrs
    elif resource.type == SG_EGRESS_RULE:
        cidrs = [c for c in (get(props, "cidrIpv4"), get(props, "cidrIpv6")) if c]
        yield "egress", protocol_of(get(props, "ipProtocol")), props, cidrs
    elif resource.type == SG_RULE and get(props, "type") == "egress":
        cidrs = as_list(get(props, "cidrBlocks")) + as_list(get(props, "ipv6CidrBlocks"))
        yield "egress", protocol_of(get(props, "protocol")), props, cidrs


@resource_rule(
    id="NET-10",
    title="No security group allows all traffic out to the internet",
    severity="medium",
    category="security",
    types=(SG, SG_EGRESS_RULE, SG_RULE, DEFAULT_SG),
    remediation="Allow egress only where the group's members talk to: the target security group or VPC CIDR and "
    "port, or 443 to the internet for nodes that pull images and weights.",
    references=("CKV_AWS_382", "custom"),
)
def disallow_open_egress(resource, ctx):
    for where, protocol, rule, cidrs in _egress(resource):
        internet = cidrs_open(cidrs)
        if not internet:
            continue
        if protocol in ("-1", "all") or port_range(rule, protocol) == ALL_PORTS:
            yield f"{where} allows all {'traffic' if protocol in ('-1', 'all') else protocol + ' ports'} to {internet[0]!r}; expected specific destinations and ports"
