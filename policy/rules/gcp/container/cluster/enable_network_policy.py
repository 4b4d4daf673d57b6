"""GKE-10: GKE enforces NetworkPolicies (Dataplane V2)."""

from policy.props import get
from policy.rules.base import resource_rule


@resource_rule(
    id="GKE-10",
    title="GKE enforces NetworkPolicies (Dataplane V2)",
    severity="high",
    category="security",
    types=("gcp:container/cluster:Cluster",),
    remediation="Set datapathProvider 'ADVANCED_DATAPATH' (Dataplane V2 enforces NetworkPolicy).",
    references=("CKV_GCP_12",),
)
def enable_network_policy(resource, ctx):
    props = resource.props
    if get(props, "datapathProvider") == "ADVANCED_DATAPATH" or get(props, "networkPolicy.enabled") is True:
        return
    yield f"datapathProvider is {get(props, 'datapathProvider')!r} and networkPolicy is not enabled; expected 'ADVANCED_DATAPATH'"
