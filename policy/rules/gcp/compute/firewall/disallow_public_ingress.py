"""NET-02: no GCP firewall rule admits the internet on any port but the edge's 443 and 80."""

from policy.props import as_list, get
from policy.rules._helpers import cidrs_open
from policy.rules._network import EDGE_PORTS
from policy.rules.base import resource_rule


def _beyond_edge(allow) -> list[str]:
    protocol = str(get(allow, "protocol") or "").lower()
    ports = [str(p) for p in as_list(get(allow, "ports"))]
    if protocol in ("all", "") or (protocol in ("tcp", "udp", "sctp", "6", "17") and not ports):
        return [f"{protocol or 'all'} (all ports)"]
    if protocol not in ("tcp", "udp", "sctp", "6", "17"):
        return [protocol]  # icmp, esp, ah, ...: no port to judge; the internet reaches the nodes
    out = []
    for spec in ports:
        low, _, high = spec.partition("-")
        try:
            lo, hi = int(low), int(high or low)
        except ValueError:
            out.append(f"{protocol} {spec}")
            continue
        if hi - lo > 1024 or any(p not in EDGE_PORTS for p in range(lo, hi + 1)):
            out.append(f"{protocol} {spec}")
    return out


@resource_rule(
    id="NET-02",
    title="No GCP firewall rule admits the internet on any port but the edge's 443 and 80",
    severity="high",
    category="security",
    types=("gcp:compute/firewall:Firewall",),
    remediation="Admit the internet only through the HTTPS load balancer; limit sourceRanges to Google's front ends "
    "(35.191.0.0/16, 130.211.0.0/22), IAP (35.235.240.0/20) or specific CIDRs for anything else.",
    references=("CKV_GCP_2", "CKV_GCP_3", "CKV_GCP_77", "CKV_GCP_106", "CIS GCP 2.0 3.6", "CIS GCP 2.0 3.7"),
)
def disallow_public_ingress(resource, ctx):
    props = resource.props
    if str(get(props, "direction") or "INGRESS").upper() != "INGRESS" or get(props, "disabled") is True:
        return
    ranges = as_list(get(props, "sourceRanges"))
    if not ranges and not as_list(get(props, "sourceTags")) and not as_list(get(props, "sourceServiceAccounts")):
        ranges = ["0.0.0.0/0"]  # GCP's default source for an ingress rule with no source at all
    internet = cidrs_open(ranges)
    if not internet:
        return
    extra = [p for allow in as_list(get(props, "allows")) for p in _beyond_edge(allow)]
    if extra:
        yield f"sourceRanges {internet[0]!r} reach {', '.join(extra)}; expected only 443/80 from the internet"
