"""GKE-02: the GKE control plane is private or limited to authorized networks."""

from policy.props import as_list, get
from policy.rules._helpers import cidrs_open
from policy.rules.base import resource_rule


@resource_rule(
    id="GKE-02",
    title="The GKE control plane is private or limited to authorized networks",
    severity="high",
    category="security",
    types=("gcp:container/cluster:Cluster",),
    remediation="Set privateClusterConfig.enablePrivateEndpoint true, or masterAuthorizedNetworksConfig.cidrBlocks "
    "to the operator CIDRs (stack key masterAuthorizedCidrs) with gcpPublicCidrsAccessEnabled false.",
    references=("CIS GKE 1.6 5.6.3", "CIS GKE 1.6 5.6.4", "CKV_GCP_18", "CKV_GCP_20"),
)
def disallow_public_endpoint(resource, ctx):
    props = resource.props
    if get(props, "privateClusterConfig.enablePrivateEndpoint") is True:
        return
    man = get(props, "masterAuthorizedNetworksConfig")
    if man is None:
        yield "the endpoint is public and masterAuthorizedNetworksConfig is not set; expected a private endpoint or authorized networks"
        return
    cidrs = [get(b, "cidrBlock") for b in as_list(get(man, "cidrBlocks"))]
    if not cidrs:
        yield "masterAuthorizedNetworksConfig.cidrBlocks is empty on a public endpoint; expected operator CIDRs"
    elif cidrs_open(cidrs):
        yield f"masterAuthorizedNetworksConfig.cidrBlocks contains {cidrs_open(cidrs)[0]!r}; expected specific CIDRs"
    if get(man, "gcpPublicCidrsAccessEnabled") is True:
        yield "masterAuthorizedNetworksConfig.gcpPublicCidrsAccessEnabled is true; expected false"
