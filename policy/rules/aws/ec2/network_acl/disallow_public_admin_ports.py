"""NET-13: no network ACL admits the internet to FTP, SSH or RDP."""

from policy.props import as_list, get, number
from policy.rules._helpers import cidrs_open
from policy.rules.base import resource_rule

ADMIN_PORTS = {20: "FTP data", 21: "FTP", 22: "SSH", 3389: "RDP"}
NACL = "aws:ec2/networkAcl:NetworkAcl"
NACL_RULE = "aws:ec2/networkAclRule:NetworkAclRule"
DEFAULT_NACL = "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl"


def _entries(resource):
    props = resource.props
    if resource.type == NACL_RULE:
        if get(props, "egress") not in (True, "true"):
            yield "rule", props, get(props, "ruleAction")
        return
    for index, entry in enumerate(as_list(get(props, "ingress"))):
        yield f"ingress[{index}]", entry, get(entry, "action")


def _ports(entry) -> tuple[int, int]:
    protocol = str(get(entry, "protocol") or "").lower()
    if protocol in ("-1", "all"):
        return 0, 65535
    low, high = number(get(entry, "fromPort")), number(get(entry, "toPort"))
    if low is None or high is None or (low == 0 and high == 0):
        return 0, 65535
    return int(low), int(high)


@resource_rule(
    id="NET-13",
    title="No network ACL admits the internet to FTP, SSH or RDP",
    severity="high",
    category="security",
    types=(NACL, NACL_RULE, DEFAULT_NACL),
    remediation="Deny (or do not allow) ports 20, 21, 22 and 3389 from 0.0.0.0/0 and ::/0 in network ACLs; reach "
    "nodes through SSM.",
    references=("CKV_AWS_229", "CKV_AWS_230", "CKV_AWS_231", "CKV_AWS_232"),
)
def disallow_public_admin_ports(resource, ctx):
    for where, entry, action in _entries(resource):
        if str(action or "").lower() != "allow":
            continue
        internet = cidrs_open([get(entry, "cidrBlock"), get(entry, "ipv6CidrBlock")])
        if not internet:
            continue
        low, high = _ports(entry)
        hit = [f"{p} ({name})" for p, name in ADMIN_PORTS.items() if low <= p <= high]
        if hit:
            yield f"{where} allows {', '.join(hit)} from {internet[0]!r}; expected no admin ports from the internet"
