"""GKE-20: GKE nodes keep the legacy metadata endpoints disabled."""

from policy.props import get
from policy.rules.base import resource_rule

KEY = "disable-legacy-endpoints"


@resource_rule(
    id="GKE-20",
    title="GKE nodes keep the legacy metadata endpoints disabled",
    severity="high",
    category="security",
    types=("gcp:container/nodePool:NodePool", "gcp:container/cluster:Cluster"),
    remediation="Leave nodeConfig.metadata 'disable-legacy-endpoints' unset or 'true': the v0.1/v1beta1 metadata "
    "endpoints answer without the Metadata-Flavor header, so a request forged through a pod reaches node "
    "credentials.",
    references=("CIS GKE 1.6 5.4.1",),
)
def disable_legacy_metadata_endpoints(resource, ctx):
    value = get(resource.props, "nodeConfig.metadata")
    value = value.get(KEY) if value is not None and hasattr(value, "get") else None
    if value is not None and str(value).strip().lower() == "false":
        yield f"nodeConfig.metadata['{KEY}'] is 'false'; expected 'true'"
