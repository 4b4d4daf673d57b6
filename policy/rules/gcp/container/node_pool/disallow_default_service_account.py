"""GKE-05: GKE nodes run as a dedicated service account, not the Compute default."""

from policy.props import get
from policy.rules.base import resource_rule


@resource_rule(
    id="GKE-05",
    title="GKE nodes run as a dedicated service account, not the Compute default",
    severity="high",
    category="security",
    types=("gcp:container/nodePool:NodePool",),
    remediation="Create a node service account with roles/container.defaultNodeServiceAccount only and set "
    "nodeConfig.serviceAccount to its e-mail.",
    references=("CIS GKE 1.6 5.2.1", "CKV2_GCP_1"),
)
def disallow_default_service_account(resource, ctx):
    account = get(resource.props, "nodeConfig.serviceAccount")
    if not account:
        yield "nodeConfig.serviceAccount is not set (the Compute Engine default); expected a dedicated service account"
    elif account == "default" or str(account).endswith("-compute@developer.gserviceaccount.com"):
        yield f"nodeConfig.serviceAccount is {account!r} (the Compute Engine default); expected a dedicated service account"
