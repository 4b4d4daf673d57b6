"""NET-07: no NetworkPolicy admits every source to a model server or lets it reach the internet on every port or the metadata service."""

import ipaddress

from policy.props import as_list, get, is_empty_selector, is_map
from policy.rules._helpers import cidrs_open
from policy.rules._network import selects_model_server
from policy.rules.base import resource_rule

METADATA = ipaddress.ip_address("169.254.169.254")
"""The cloud instance metadata service: node credentials for whoever reaches it."""


def _reaches_metadata(block) -> bool:
    if not is_map(block):
        return False
    try:
        if METADATA not in ipaddress.ip_network(str(get(block, "cidr")), strict=False):
            return False
        return not any(METADATA in ipaddress.ip_network(str(e), strict=False) for e in as_list(get(block, "except")))
    except ValueError:
        return False


def _open_peer(peer) -> str | None:
    """Why a 'from' peer admits everyone (None if it does not)."""
    if not is_map(peer):
        return None
    block = get(peer, "ipBlock")
    if is_map(block):
        internet = cidrs_open([get(block, "cidr")])
        return f"ipBlock {internet[0]!r}" if internet else None
    every_namespace = "namespaceSelector" in peer and is_empty_selector(get(peer, "namespaceSelector"))
    if every_namespace and is_empty_selector(get(peer, "podSelector")):
        return "namespaceSelector {} (every pod of every namespace)"
    return None


@resource_rule(
    id="NET-07",
    title="No NetworkPolicy admits every source to a model server or lets it reach the internet on every port or the metadata service",
    severity="high",
    category="security",
    types=("kubernetes:networking.k8s.io/v1:NetworkPolicy",),
    remediation="Admit the model server port only from the gateway proxies (namespaceSelector on the gateway "
    "namespace plus their podSelector) and metrics only from the monitoring namespace.",
    references=("CIS Kubernetes 1.9 5.3.2", "custom"),
    doc="https://kubernetes.io/docs/concepts/services-networking/network-policies/",
)
def disallow_open_model_server_ingress(resource, ctx):
    spec = get(resource.props, "spec") or {}
    if not as_list(get(spec, "ingress")) and not as_list(get(spec, "egress")):
        return
    if not selects_model_server(ctx, resource, get(spec, "podSelector") or {}):
        return
    for index, rule in enumerate(as_list(get(spec, "egress"))):
        peers = as_list(get(rule, "to"))
        # On GKE, 169.254.169.254 is the GKE metadata server, which hands a pod only its own Workload
        # Identity (GKE-04 keeps node pools on GKE_METADATA); elsewhere it is the node's credentials.
        on_gke = ctx.target_kind_of(resource) == "gcp"
        metadata = [get(p, "ipBlock.cidr") for p in peers if not on_gke and _reaches_metadata(get(p, "ipBlock"))]
        if metadata:
            yield (
                f"spec.egress[{index}] lets a model server reach the instance metadata service through ipBlock "
                f"{metadata[0]!r}; expected 169.254.0.0/16 in except"
            )
        internet = not peers or cidrs_open([get(p, "ipBlock.cidr") for p in peers if is_map(get(p, "ipBlock"))])
        if internet and not as_list(get(rule, "ports")):
            yield (
                f"spec.egress[{index}] lets a model server reach {'everything' if not peers else repr(internet[0])} "
                "on every port; expected named destinations and ports (443 for the hub)"
            )
    for index, rule in enumerate(as_list(get(spec, "ingress"))):
        peers = as_list(get(rule, "from"))
        if not peers:
            yield f"spec.ingress[{index}] has no 'from' (every source) on a model server; expected the gateway only"
            continue
        reasons = [r for peer in peers if (r := _open_peer(peer))]
        ip_union = cidrs_open([get(p, "ipBlock.cidr") for p in peers if is_map(get(p, "ipBlock"))])
        if ip_union and not reasons:
            reasons.append(f"ipBlocks {ip_union[0]!r}")
        for reason in reasons:
            yield f"spec.ingress[{index}] admits {reason} to a model server; expected the gateway only"
